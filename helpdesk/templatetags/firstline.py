"""Template helpers shared by every page."""

import nh3
from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# Raw HTML in Markdown is off; what the parser emits is still cleaned by nh3,
# so user text can never become markup we did not intend.
_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table").enable("strikethrough")
)

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text):
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


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
    if event.kind not in labels:
        return event.get_kind_display()
    name, choices = labels[event.kind]
    nobody = _("nobody") if event.kind == EventKind.ASSIGNED else _("none")
    old = data.get("from")
    new = data.get("to")
    old = choices.get(old, old) if old not in (None, "") else nobody
    new = choices.get(new, new) if new not in (None, "") else nobody
    return _("changed %(field)s from %(old)s to %(new)s") % {"field": name, "old": old, "new": new}


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
