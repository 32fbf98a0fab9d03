"""`{% panels "place" ticket=ticket %}`: HTML contributed to a helpdesk page by the apps above it.

The helpdesk cannot import feedback or incidents (DESIGN.md); instead a page
names its place and sends `helpdesk.signals.page_panels`, and whichever app
listens returns its own rendered, access-checked fragment. With nobody
listening the tag renders nothing and costs no query.
"""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from helpdesk.signals import page_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, place, **objects):
    request = context.get("request")
    replies = page_panels.send(sender=place, place=place, request=request, context=context, **objects)
    parts = [(html,) for _receiver, html in replies if isinstance(html, SafeString) and html]
    return format_html_join("\n", "{}", parts)
