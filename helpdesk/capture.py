"""Knowledge capture: what solved a ticket becomes a knowledge base article waiting for review.

The helpdesk side of `knowledge.services.capture_from_ticket`: which tickets
qualify, what the draft is pre-filled with, and the internal timeline entry
that links the article from the ticket it came from.
"""

import re

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from knowledge import services as kb_services
from knowledge.models import Category as ArticleCategory

from .models import DONE_STATUSES, STAFF_ROLES, EventKind, Message
from .timeline import NotAllowed, record_event

CAPTURE_PERMISSION = "knowledge.add_article"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def may_capture(user):
    """Agents who may start articles; the knowledge service checks its own edit permission too."""
    return user.is_authenticated and user.is_agent and user.has_perm(CAPTURE_PERMISSION)


def is_capturable(ticket):
    """Only a settled answer is worth an article: a resolved or closed ticket."""
    return ticket.status in DONE_STATUSES


def last_public_answer(ticket):
    """The latest public reply an agent wrote on the ticket (not a held macro reply), or None."""
    return (
        Message.objects.filter(ticket=ticket, is_internal=False, held_until__isnull=True)
        .filter(author__role__in=STAFF_ROLES)
        .order_by("-created_at", "-pk")
        .first()
    )


def suggested_category(ticket):
    """The knowledge category whose slug or English name is the ticket category's, if there is one."""
    if ticket.category_id is None:
        return None
    category = ticket.category
    return (
        ArticleCategory.objects.filter(Q(slug=category.slug) | Q(name_en__iexact=category.name))
        .order_by("position", "pk")
        .first()
    )


def _first_sentence(text, limit=300):
    plain = " ".join((text or "").split())
    sentence = _SENTENCE_END.split(plain, maxsplit=1)[0]
    return sentence[:limit]


def capture_initial(ticket):
    """The article form's starting point: the subject, the customer's question and the agent's answer.

    The agent edits it before submitting (names, addresses and account details
    of the customer have no place in an article).
    """
    answer = last_public_answer(ticket)
    answer_text = answer.body.strip() if answer else ""
    parts = [f"## {_('Question')}", ticket.description.strip() or ticket.subject]
    if answer_text:
        parts += [f"## {_('Answer')}", answer_text]
    return {
        "title": ticket.subject[:200],
        "summary": _first_sentence(answer_text) if answer_text else "",
        "body": "\n\n".join(parts),
        "category": suggested_category(ticket),
    }


def capture_article(actor, ticket, *, title, summary, body, category=None):
    """Write an article from a resolved or closed ticket and send it to review.

    The article records the ticket's reference as its source, and the ticket's
    timeline gets an internal entry linking the article. Open tickets are
    refused: their answer is not settled yet.
    """
    if not is_capturable(ticket):
        raise NotAllowed(_("Only a resolved or closed ticket can become an article."))
    if not may_capture(actor):
        raise NotAllowed(_("You may not write knowledge base articles."))
    with transaction.atomic():
        try:
            article = kb_services.capture_from_ticket(
                actor,
                title=title,
                summary=summary,
                body=body,
                category=category,
                source_reference=ticket.ref,
            )
        except kb_services.NotAllowed as refusal:
            raise NotAllowed(str(refusal)) from refusal
        record_event(
            ticket,
            actor,
            EventKind.ARTICLE_CAPTURED,
            data={"article_id": article.pk, "title": article.title_en},
        )
    return article
