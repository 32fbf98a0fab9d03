"""Template helpers: safe Markdown, the hand-written <select> and the queue's "… ago"."""

from datetime import timedelta

import pytest
from django import forms
from django.template import engines
from django.utils import timezone, translation

from helpdesk.templatetags.firstline import render_markdown, select_field


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "![x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_markdown_never_lets_script_through(text):
    html = render_markdown(text)
    # Markup typed by a user comes out as text (escaped), never as a live element.
    assert "<script" not in html
    assert "<img src=x" not in html
    assert '<a href="javascript' not in html
    assert 'src="data:' not in html


def test_markdown_keeps_formatting_and_marks_links_nofollow():
    html = render_markdown("**bold** and [docs](https://example.com)")
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html and "nofollow" in html


class PickForm(forms.Form):
    colour = forms.ChoiceField(choices=[("", "Any"), ("red", "Red <hot>"), ("blue", "Blue")], required=False)


def test_select_field_marks_the_current_value_and_escapes_labels():
    html = select_field(PickForm({"colour": "red"})["colour"])
    assert html.startswith('<select name="colour" id="id_colour">')
    assert '<option value="red" selected>Red &lt;hot&gt;</option>' in html
    assert '<option value="blue">Blue</option>' in html


def test_select_field_takes_an_explicit_id():
    assert 'id="bulk_colour"' in select_field(PickForm()["colour"], "bulk_colour")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_ago_writes_what_the_blocktranslate_it_replaces_wrote(language):
    when = timezone.now() - timedelta(days=3, hours=4)
    engine = engines["django"]
    old = engine.from_string(
        "{% load i18n %}{% blocktranslate with ago=when|timesince %}{{ ago }} ago{% endblocktranslate %}"
    )
    new = engine.from_string("{% load firstline %}{{ when|ago }}")
    with translation.override(language):
        assert new.render({"when": when}) == old.render({"when": when})
