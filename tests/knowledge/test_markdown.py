from html.parser import HTMLParser

import pytest

from knowledge.markdown import render_markdown, to_plain_text


class Elements(HTMLParser):
    """The elements and attributes a browser would build from the HTML (text is not markup)."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java\nscript:alert(1))",
        '<a href="#" onclick="steal()">x</a>',
        "![x](data:image/png;base64,AAAA)",
        "![tracker](http://example.com/pixel.png)",
        "![tracker](//example.com/pixel.png)",
        '<iframe src="https://evil.example"></iframe>',
        "[x](vbscript:msgbox)",
    ],
)
def test_markdown_never_carries_active_content(source):
    for tag, attrs in Elements(render_markdown(source)).found:
        assert tag not in {"script", "iframe", "style", "object"}
        assert not any(name.startswith("on") for name in attrs)
        for name in ("href", "src"):
            value = attrs.get(name, "").lower().replace(" ", "")
            assert not value.startswith(("javascript:", "vbscript:", "data:"))
        if tag == "img" and "src" in attrs:  # an image whose address was refused keeps only its alt text
            assert attrs["src"].startswith(("https://", "/")) and not attrs["src"].startswith("//")
    assert "<script" not in render_markdown(source)


def test_images_from_https_and_relative_addresses_are_kept():
    html = render_markdown("![Settings](https://cdn.example.com/a.png) ![Menu](/static/help/menu.png)")
    assert '<img src="https://cdn.example.com/a.png" alt="Settings">' in html
    assert '<img src="/static/help/menu.png" alt="Menu">' in html


def test_links_get_a_safe_rel_and_headings_start_below_the_page_title():
    html = render_markdown("# Title\n\n[docs](https://example.com)")
    assert "<h1>" not in html and "<h2>Title</h2>" in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_plain_text_drops_markup_and_keeps_words():
    assert to_plain_text("**Bold** and `code` & <b>raw</b>\n\n* item") == "Bold and code & <b>raw</b> item"
