from django import template
from django.utils.safestring import mark_safe

from knowledge.markdown import render_markdown

register = template.Library()


@register.filter
def kb_markdown(text):
    """An article's Markdown as HTML, cleaned by nh3 (see knowledge.markdown)."""
    return mark_safe(render_markdown(text))  # noqa: S308 - cleaned by nh3 in render_markdown
