"""What changed between two versions of an article, as escaped HTML built from difflib."""

import difflib

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


def _lines(value):
    return (value or "").splitlines() or [""]


def _diff_html(old, new):
    """A line diff: removed lines in <del>, added ones in <ins>, unchanged ones plain; all text escaped."""
    rows = []
    for line in difflib.ndiff(_lines(old), _lines(new)):
        code, text = line[:2], line[2:]
        if code == "- ":
            rows.append(format_html('<del class="diff-del">- {}</del>', text))
        elif code == "+ ":
            rows.append(format_html('<ins class="diff-ins">+ {}</ins>', text))
        elif code == "  ":
            rows.append(format_html('<span class="diff-same">  {}</span>', text))
        # "? " hint lines are left out: the del/ins pair already shows the change.
    return mark_safe("\n".join(str(row) for row in rows))  # noqa: S308 - each row built by format_html


def diff_versions(old, new):
    """Changed parts between two ArticleVersions: a list of {label, html}, nothing for equal parts."""
    names = {"title": _("Title"), "summary": _("Summary"), "body": _("Body")}
    languages = dict(settings.LANGUAGES)
    changes = []
    for field, label in names.items():
        before, after = old.content.get(field, {}), new.content.get(field, {})
        for code in languages:
            if before.get(code, "") != after.get(code, ""):
                changes.append(
                    {"label": f"{label} · {languages[code]}", "html": _diff_html(before.get(code), after.get(code))}
                )
    for field, label in (("tags", _("Tags")), ("category", _("Category"))):
        if old.content.get(field, "") != new.content.get(field, ""):
            changes.append({"label": label, "html": _diff_html(old.content.get(field, ""), new.content.get(field, ""))})
    return changes
