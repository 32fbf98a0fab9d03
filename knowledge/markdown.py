"""Article Markdown to safe HTML, and to plain text for the search index.

Its own small renderer rather than the helpdesk's: this app imports no other
app. Raw HTML in Markdown is off, and whatever the parser emits is cleaned
again by nh3, so an article can never carry script, event handlers or
javascript: links. Images are allowed from https or relative addresses only.
"""

import html
import re

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")

_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _image_source_allowed(value):
    """https, or a relative address on this site (not protocol-relative, which could be plain http)."""
    value = value.strip()
    if value.lower().startswith("https://"):
        return True
    return not _SCHEME.match(value) and not value.startswith("//") and not value.startswith("\\")


def _filter_attribute(tag, attribute, value):
    if tag == "img" and attribute == "src" and not _image_source_allowed(value):
        return None
    return value


def render_markdown(text):
    """Markdown to HTML that is safe to show as it is. Headings start at h2: the page owns h1."""
    rendered = _markdown.render(text or "")
    rendered = re.sub(r"<(/?)h1>", r"<\1h2>", rendered)
    return nh3.clean(
        rendered,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def to_plain_text(text):
    """The words of a Markdown text without its markup: what search matches and snippets show."""
    rendered = _markdown.render(text or "")
    stripped = nh3.clean(rendered, tags=set())
    return re.sub(r"\s+", " ", html.unescape(stripped)).strip()
