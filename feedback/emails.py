"""Survey emails: the links an invitation carries and the message rendered from its template.

The words come from the admin-edited `MessageTemplate` whose slug is the
survey's kind (`csat`, `nps`, `pulse`, kind `survey_invitation`), in the
customer's language; until an admin has installed it, the default text from
comms.defaults is used, so a survey never goes out without words.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from comms.defaults import TEMPLATES
from comms.models import MessageTemplate
from comms.templating import render, render_subject

from .models import SCORE_RANGES, SurveyKind

SCORE_SALT = "feedback.score"


def score_signature(token, score):
    """A short signature binding a score to a token, so a link's score cannot be edited unnoticed."""
    return signing.Signer(salt=SCORE_SALT).signature(f"{token}:{score}")[:22]


def score_is_signed(token, score, signature):
    return bool(signature) and signing.constant_time_compare(score_signature(token, score), signature)


def survey_path(token):
    return reverse("feedback:survey-answer", args=[token])


def score_path(token, score):
    return f"{survey_path(token)}?score={score}&sig={score_signature(token, score)}"


def score_labels(kind):
    """(score, label) for each answer a survey offers, best first for CSAT and pulse."""
    if kind == SurveyKind.CSAT:
        return [
            (5, _("5 · Very satisfied")),
            (4, _("4 · Satisfied")),
            (3, _("3 · Neutral")),
            (2, _("2 · Dissatisfied")),
            (1, _("1 · Very dissatisfied")),
        ]
    if kind == SurveyKind.PULSE:
        return [(1, _("👍 Helpful")), (0, _("👎 Not helpful"))]
    low, high = SCORE_RANGES[SurveyKind.NPS]
    return [(n, str(n)) for n in range(high, low - 1, -1)]


def answer_links(kind, token, site):
    return "\n".join(f"{label}: {site}{score_path(token, score)}" for score, label in score_labels(kind))


def templates_for(kinds):
    """{slug: active MessageTemplate} for the survey kinds, in one query."""
    return {t.slug: t for t in MessageTemplate.objects.filter(slug__in=list(kinds), is_active=True)}


def _texts(template, slug, language):
    if template is not None:
        subject, used = template.translated("subject", language)
        body, _used = template.translated("body", used)
        return subject, body
    _kind, _name, texts = TEMPLATES[slug]
    return texts.get(language) or texts["en"]


def render_invitation(*, kind, token, language, values, template, expires_at, reminder=False):
    """(subject, body) of one survey email in `language`."""
    site = settings.FIRSTLINE_SITE_URL
    with translation.override(language or settings.LANGUAGE_CODE):
        values = {
            **values,
            "site_url": site,
            "survey_url": f"{site}{survey_path(token)}",
            "answer_links": answer_links(kind, token, site),
            "opt_out_url": f"{site}{reverse('feedback:survey-opt-out', args=[token])}",
            "expires_on": date_format(timezone.localtime(expires_at), "DATE_FORMAT"),
        }
        subject, body = _texts(template, kind, language or "en")
        subject = render_subject(subject, values)
        if reminder:
            subject = _("Reminder: %(subject)s") % {"subject": subject}
    return subject, render(body, values)
