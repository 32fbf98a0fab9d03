"""Template helpers shared by every page."""

from django import template
from django.template.defaultfilters import timesince_filter
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from helpdesk.text import render_markdown

register = template.Library()


@register.filter
def message_html(message):
    """A message's body as HTML: rendered and cleaned when it was written."""
    html = message.body_html or render_markdown(message.body)
    return mark_safe(html)  # noqa: S308 - produced by render_markdown, cleaned by nh3


@register.filter(name="markdown")
def markdown_filter(text):
    return mark_safe(render_markdown(text))  # noqa: S308 - cleaned by nh3 above


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None drops one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def filesize(num):
    num = int(num or 0)
    for unit in ("B", "KB", "MB"):
        if num < 1024:
            return f"{num} {unit}"
        num //= 1024
    return f"{num} GB"


@register.filter
def ago(value):
    """The time since `value` and "ago", as `{% blocktranslate %}{{ ago }} ago{% endblocktranslate %}` writes it
    (same message id, same escaping) without a translation node per row of the queue."""
    return mark_safe(gettext("%(ago)s ago") % {"ago": escape(timesince_filter(value))})  # noqa: S308 - value escaped


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def event_summary(event):
    """One line describing a field change in the timeline, in the viewer's language."""
    from django.utils.translation import gettext as _

    from helpdesk.models import EventKind, Priority, Status, SupportLevel

    data = event.data or {}
    labels = {
        EventKind.STATUS: (_("status"), dict(Status.choices)),
        EventKind.PRIORITY: (_("priority"), dict(Priority.choices)),
        EventKind.LEVEL: (_("support level"), dict(SupportLevel.choices)),
        EventKind.CATEGORY: (_("category"), {}),
        EventKind.QUEUE: (_("queue"), {}),
        EventKind.ASSIGNED: (_("assignee"), {}),
    }
    if event.kind in (EventKind.ESCALATED, EventKind.DEESCALATED):
        levels = dict(SupportLevel.choices)
        verb = (
            _("escalated from %(old)s to %(new)s")
            if event.kind == EventKind.ESCALATED
            else _("handed back from %(old)s to %(new)s")
        )
        return verb % {"old": levels.get(data.get("from"), "?"), "new": levels.get(data.get("to"), "?")}
    if event.kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACH):
        from helpdesk.models import ClockTarget

        target = dict(ClockTarget.choices).get(data.get("target"), "")
        text = (
            _("%(target)s target nearly used")
            if event.kind == EventKind.SLA_WARNING
            else _("%(target)s target breached")
        )
        return text % {"target": target}
    if event.kind == EventKind.FILES_SKIPPED:
        reasons = {
            "type": _("file type not allowed"),
            "size": _("too large"),
            "count": _("too many files"),
            "empty": _("empty"),
        }
        files = ", ".join(
            f"{item.get('name', '?')} ({reasons.get(item.get('reason'), item.get('reason', ''))})"
            for item in data.get("files", [])
        )
        return _("sent attachments that were not kept: %(files)s") % {"files": files}
    if event.kind == EventKind.TAGS:
        parts = []
        if data.get("added"):
            parts.append(_("added the tags %(names)s") % {"names": ", ".join(data["added"])})
        if data.get("removed"):
            parts.append(_("removed the tags %(names)s") % {"names": ", ".join(data["removed"])})
        return "; ".join(parts) or event.get_kind_display()
    if event.kind == EventKind.MACRO_APPLIED:
        return _("applied the macro “%(name)s”") % {"name": data.get("macro", "")}
    if event.kind == EventKind.MACRO_UNDONE:
        if data.get("reply_withdrawn"):
            return _("undid the macro “%(name)s”; its reply was withdrawn unsent") % {"name": data.get("macro", "")}
        return _("undid the macro “%(name)s”") % {"name": data.get("macro", "")}
    if event.kind == EventKind.REMINDER:
        return _("reminder for %(agent)s: the customer has not answered") % {"agent": data.get("agent", "")}
    if event.kind == EventKind.DELIVERY_FAILED:
        return _("could not deliver a message (%(channel)s to %(recipient)s): %(error)s") % {
            "channel": data.get("channel", "?"),
            "recipient": data.get("recipient", "?"),
            "error": (data.get("error") or "?")[:200],
        }
    if event.kind == EventKind.SURVEY_ANSWERED:
        return _("Customer answered the %(survey)s survey: %(score)s") % {
            "survey": data.get("survey_label", ""),
            "score": data.get("score_label", ""),
        } + (f" — “{data['comment']}”" if data.get("comment") else "")
    if event.kind == EventKind.ARTICLE_CAPTURED:
        return _("wrote the knowledge base article “%(title)s” from this ticket; it waits for review") % {
            "title": data.get("title", "")
        }
    if event.kind == EventKind.TRIAGED:
        from helpdesk.triage import reasons

        return _("triage: %(what)s %(value)s — %(reason)s") % {
            "what": reasons.describe_what(data),
            "value": reasons.describe_value(data),
            "reason": reasons.explain(data),
        }
    if event.kind == EventKind.TRIAGE_FAILED:
        return _("triage step “%(step)s” failed (%(error)s); the ticket went on without it") % {
            "step": data.get("step", "?"),
            "error": (data.get("error") or "")[:200],
        }
    if event.kind == EventKind.SUGGESTION:
        if data.get("outcome") == "kept":
            return _("kept the suggested category %(category)s") % {"category": data.get("chosen", "")}
        return _("corrected the suggested category %(old)s to %(new)s") % {
            "old": data.get("suggested", ""),
            "new": data.get("chosen", ""),
        }
    if event.kind not in labels:
        return event.get_kind_display()
    name, choices = labels[event.kind]
    nobody = _("nobody") if event.kind == EventKind.ASSIGNED else _("none")
    old = data.get("from")
    new = data.get("to")
    old = choices.get(old, old) if old not in (None, "") else nobody
    new = choices.get(new, new) if new not in (None, "") else nobody
    text = _("changed %(field)s from %(old)s to %(new)s") % {"field": name, "old": old, "new": new}
    if data.get("why") or data.get("reason"):
        from helpdesk.triage import reasons

        # Routing says why, in the reader's language (escaped by the template like the rest).
        text += f" — {reasons.explain(data)}"
    return text


@register.filter
def triage_value(entry):
    """A triage decision's value in the reader's language (see helpdesk.triage.reasons)."""
    from helpdesk.triage import reasons

    return reasons.describe_value(entry)


@register.filter
def triage_reason(entry):
    """Why triage decided it, in the reader's language; old rows show the sentence they stored."""
    from helpdesk.triage import reasons

    return reasons.explain(entry)


@register.simple_tag
def select_field(bound_field, element_id=None):
    """A form field's <select>, written directly.

    Django's widget templates render each <option> through its own template,
    which makes a filter bar of eight selects the slowest part of the queue
    page; this writes the same markup in one pass.
    """
    from django.utils.html import format_html, format_html_join

    value = bound_field.value()
    current = {str(v) for v in value} if isinstance(value, list | tuple) else {"" if value is None else str(value)}
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (key, mark_safe(" selected") if str(key) in current else "", label)  # noqa: S308 - a constant
            for key, label in ((getattr(k, "value", k), lbl) for k, lbl in bound_field.field.choices)
        ),
    )
    return format_html(
        '<select name="{}" id="{}">{}</select>', bound_field.html_name, element_id or bound_field.auto_id, options
    )
