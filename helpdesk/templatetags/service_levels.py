"""Countdowns to a ticket's next SLA target, for queue rows and the ticket page."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.models import ClockTarget

register = template.Library()

SOON_SECONDS = 3600


def span(seconds):
    """A short, translated length of time: 23 min, 5 h, 3 days."""
    seconds = abs(int(seconds))
    if seconds < 3600:
        minutes = max(1, seconds // 60)
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    if seconds < 48 * 3600:
        hours = seconds // 3600
        return ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    days = seconds // 86400
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def countdown_text(target, due, now):
    """("first reply due in 23 min", "soon") or ("resolution breached 2 h ago", "breached")."""
    label = str(ClockTarget(target).label) if target in ClockTarget.values else _("Target")
    left = (due - now).total_seconds()
    if left < 0:
        return _("%(target)s breached %(span)s ago") % {"target": label, "span": span(left)}, "breached"
    state = "soon" if left <= SOON_SECONDS else "ok"
    return _("%(target)s due in %(span)s") % {"target": label, "span": span(left)}, state


@register.simple_tag
def sla_countdown(ticket, now=None):
    """The ticket's next due target as a coloured, labelled countdown; nothing when no clock runs."""
    now = now or timezone.now()
    if ticket.sla_paused_at:
        return format_html('<span class="sla sla-paused">{}</span>', _("SLA clock paused"))
    if not ticket.sla_due_at:
        return ""
    text, state = countdown_text(ticket.sla_due_target, ticket.sla_due_at, now)
    return format_html(
        '<time class="sla sla-{}" datetime="{}" title="{}">{}</time>',
        state,
        ticket.sla_due_at.isoformat(),
        timezone.localtime(ticket.sla_due_at).strftime("%Y-%m-%d %H:%M %Z"),
        text,
    )


@register.simple_tag
def clock_countdown(clock, now=None):
    now = now or timezone.now()
    if clock.paused_at:
        return format_html('<span class="sla sla-paused">{}</span>', _("paused"))
    text, state = countdown_text(clock.target, clock.due_at, now)
    return format_html('<time class="sla sla-{}" datetime="{}">{}</time>', state, clock.due_at.isoformat(), text)
