"""The cadence timer: when the next update of an incident is due, like the SLA countdowns."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from helpdesk.templatetags.service_levels import span

register = template.Library()

SOON_SECONDS = 5 * 60


@register.simple_tag
def cadence_countdown(incident, now=None):
    """ "next update due in 7 min" (soon within 5 min) or "update overdue by 3 min"; nothing once resolved."""
    now = now or timezone.now()
    due = incident.next_update_due
    if not incident.is_open or due is None:
        return ""
    left = (due - now).total_seconds()
    if left < 0:
        text, state = _("update overdue by %(span)s") % {"span": span(left)}, "breached"
    else:
        text = _("next update due in %(span)s") % {"span": span(left)}
        state = "soon" if left <= SOON_SECONDS else "ok"
    # The page's script ticks it every second from `datetime` (minutes and seconds under an hour), with
    # these two sentences; without the script the server's text stays, refreshed with every HTMX swap.
    return format_html(
        '<time class="sla sla-{}" datetime="{}" title="{}" data-cadence-tick data-soon="{}" '
        'data-due-text="{}" data-overdue-text="{}">{}</time>',
        state,
        due.isoformat(),
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M %Z"),
        SOON_SECONDS,
        _("next update due in %(span)s") % {"span": "{}"},
        _("update overdue by %(span)s") % {"span": "{}"},
        text,
    )


@register.simple_tag
def duration_minutes(delta):
    """A timedelta as "4 min" or "1 h 20 min" (seconds dropped)."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    return _("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}
