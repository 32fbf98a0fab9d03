"""Knowledge base actions: writing, reviewing, publishing and archiving articles, reader feedback.

Each takes the acting user first, runs in one transaction and refuses what
is not allowed with NotAllowed carrying a message for people. Views, admin
actions, demo data and the helpdesk all call these; none re-implements them.

Workflow: draft → in review → published → archived (→ draft again). Readers
only ever see published articles; every published change is kept as an
ArticleVersion and re-indexed for search at once.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .access import can_edit, can_publish
from .index import reindex_articles
from .models import Article, ArticleFeedback, ArticleVersion, Deflection, Status

TRANSLATED_FIELDS = ("title", "summary", "body")


class NotAllowed(Exception):
    """A refused action; str() is a message for the person who tried it."""


def language_fields():
    """(language code, field suffix) for every language of settings.LANGUAGES."""
    return [(code, code.replace("-", "_")) for code, _name in settings.LANGUAGES]


def snapshot(article):
    """Everything readers see of an article, in every language: the content of a version."""
    content = {name: {} for name in TRANSLATED_FIELDS}
    for code, suffix in language_fields():
        for name in TRANSLATED_FIELDS:
            value = getattr(article, f"{name}_{suffix}") or ""
            if value:
                content[name][code] = value
    content["tags"] = article.tags
    content["category"] = article.category.name if article.category_id else ""
    return content


def unique_slug(text, *, exclude_pk=None):
    base = slugify(text)[:100].strip("-") or "article"
    taken = set(Article.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _locked(article):
    """The article re-read under a row lock, so two editors cannot both move it on."""
    return Article.objects.select_for_update().get(pk=article.pk)


def _require(condition, message):
    if not condition:
        raise NotAllowed(message)


def _review_due(article, today):
    days = article.category.review_every_days if article.category_id else 90
    return today + timedelta(days=days)


def _record_version(actor, article, *, note):
    number = (ArticleVersion.objects.filter(article=article).aggregate(n=Max("number"))["n"] or 0) + 1
    return ArticleVersion.objects.create(
        article=article, number=number, content=snapshot(article), created_by=actor, note=note[:200]
    )


def _check_complete(article):
    labels = {"title": _("title"), "summary": _("summary"), "body": _("body")}
    missing = [labels[name] for name in TRANSLATED_FIELDS if not (getattr(article, f"{name}_en") or "").strip()]
    _require(not missing, _("Write the English %(fields)s first.") % {"fields": ", ".join(missing)})


def save_article(actor, article, *, related=None, note=""):
    """Save an article as an editor changed it (workspace form or admin).

    A new article starts as the actor's draft. An archived article must be
    restored before it is changed. A change to a published article goes live
    at once, so only someone who may publish can make it; it is kept as a new
    version, re-indexed, and restarts the review clock.
    """
    _require(can_edit(actor), _("You may not write knowledge base articles."))
    now = timezone.now()
    with transaction.atomic():
        is_new = article.pk is None
        if is_new:
            article.status = Status.DRAFT
            article.author = article.author or actor
            article.created_at = now
        else:
            current = _locked(article)
            article.status = current.status
            _require(current.status != Status.ARCHIVED, _("Restore this article to a draft before changing it."))
            if current.status == Status.PUBLISHED:
                _require(
                    can_publish(actor),
                    _("This article is published: only an editor who may publish can change it."),
                )
                _check_complete(article)
        if not article.slug:
            article.slug = unique_slug(article.title_en or article.title, exclude_pk=article.pk)
        article.updated_at = now
        if article.status == Status.PUBLISHED:
            article.review_due = _review_due(article, timezone.localdate())
        article.save()
        if related is not None:
            article.related.set([other for other in related if other.pk != article.pk])
        if article.status == Status.PUBLISHED:
            _record_version(actor, article, note=note or _("Changed while published"))
            reindex_articles([article.pk])
    return article


def submit_for_review(actor, article):
    """A draft goes to review once its English title, summary and body are written."""
    _require(can_edit(actor), _("You may not write knowledge base articles."))
    with transaction.atomic():
        current = _locked(article)
        _require(
            current.status == Status.DRAFT,
            _("Only a draft can be submitted for review; this article is %(status)s.")
            % {"status": current.get_status_display()},
        )
        _check_complete(current)
        current.status = Status.IN_REVIEW
        current.updated_at = timezone.now()
        current.save(update_fields=["status", "updated_at"])
    return current


def return_to_draft(actor, article):
    """An article in review goes back to its author's desk (the author, or someone who may publish)."""
    with transaction.atomic():
        current = _locked(article)
        _require(
            can_publish(actor) or (can_edit(actor) and current.author_id == actor.pk),
            _("Only the author or an approver can send this article back to draft."),
        )
        _require(current.status == Status.IN_REVIEW, _("Only an article in review can go back to draft."))
        current.status = Status.DRAFT
        current.save(update_fields=["status"])
    return current


def publish_article(actor, article):
    """Approve an article in review and publish it.

    The approver needs the publish permission and may not be the author: every
    article is read by a second person before customers see it. Publishing
    keeps a version, indexes the article for search and sets its review date
    from the category's review cadence.
    """
    _require(can_publish(actor), _("You may not approve and publish articles."))
    with transaction.atomic():
        current = _locked(article)
        _require(
            current.status == Status.IN_REVIEW,
            _("Only an article in review can be published; this one is %(status)s.")
            % {"status": current.get_status_display()},
        )
        _require(current.author_id != actor.pk, _("Someone other than the author must approve this article."))
        _require(current.category_id is not None, _("Choose a category before publishing."))
        _check_complete(current)
        now = timezone.now()
        current.status = Status.PUBLISHED
        current.approver = actor
        current.published_at = current.published_at or now
        current.updated_at = now
        current.review_due = _review_due(current, timezone.localdate())
        current.save(update_fields=["status", "approver", "published_at", "updated_at", "review_due"])
        _record_version(actor, current, note=_("Published"))
        reindex_articles([current.pk])
    return current


def archive_article(actor, article):
    """Take an article off the knowledge base (out of lists, search and related links)."""
    _require(can_publish(actor), _("You may not archive articles."))
    with transaction.atomic():
        current = _locked(article)
        _require(current.status != Status.ARCHIVED, _("This article is already archived."))
        current.status = Status.ARCHIVED
        current.save(update_fields=["status"])
        reindex_articles([current.pk])
    return current


def restore_article(actor, article):
    """An archived article becomes a draft again, to be reviewed before it returns."""
    _require(can_edit(actor), _("You may not write knowledge base articles."))
    with transaction.atomic():
        current = _locked(article)
        _require(current.status == Status.ARCHIVED, _("Only an archived article can be restored."))
        current.status = Status.DRAFT
        current.save(update_fields=["status"])
    return current


def mark_reviewed(actor, article):
    """Confirm a published article is still right: the review clock starts again, nothing else changes."""
    _require(can_edit(actor), _("You may not review knowledge base articles."))
    with transaction.atomic():
        current = _locked(article)
        _require(current.status == Status.PUBLISHED, _("Only a published article is reviewed on a schedule."))
        current.reviewer = actor
        current.review_due = _review_due(current, timezone.localdate())
        current.save(update_fields=["reviewer", "review_due"])
    return current


def capture_from_ticket(actor, *, title, summary, body, category=None, source_reference=""):
    """Turn what solved a ticket into an article waiting for review (the helpdesk calls this).

    The text is written in English; an approver checks it, picks a category
    if none was given, and publishes it.
    """
    _require(can_edit(actor), _("You may not write knowledge base articles."))
    with transaction.atomic():
        article = Article(
            title_en=title.strip()[:200],
            summary_en=summary.strip()[:300],
            body_en=body,
            category=category,
            source_reference=source_reference[:100],
        )
        _check_complete(article)
        save_article(actor, article)
        article.status = Status.IN_REVIEW
        article.save(update_fields=["status"])
    return article


# --- readers ---------------------------------------------------------------------------


def record_feedback(reader, article, *, helpful, comment="", session_key="", language=""):
    """One "was this helpful?" answer per reader and article; a second one changes nothing.

    Returns (feedback, created). Anonymous readers are told apart by their session.
    """
    user = reader if reader is not None and reader.is_authenticated else None
    _require(user is not None or session_key, _("We could not tell who you are; please enable cookies."))
    who = {"user": user} if user else {"user": None, "session_key": session_key}
    existing = ArticleFeedback.objects.filter(article=article, **who).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            feedback = ArticleFeedback.objects.create(
                article=article,
                helpful=helpful,
                comment=comment.strip()[:1000],
                session_key="" if user else session_key,
                language=language[:10],
                **({"user": user} if user else {}),
            )
            counter = "helpful_count" if helpful else "unhelpful_count"
            Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    except IntegrityError:  # the same reader, twice at once
        return ArticleFeedback.objects.filter(article=article, **who).first(), False
    return feedback, True


def record_view(article):
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


# A double click, or "back" and a second click, is one answered question, not two.
DEFLECTION_REPEAT = timedelta(minutes=10)


def record_deflection(article, *, user=None, session_key="", query=""):
    """A reader found their answer in `article` instead of opening a ticket.

    The same reader saying so again about the same article within a few
    minutes is counted once: the earlier row is returned.
    """
    user_id = user.pk if user is not None and user.is_authenticated else None
    session_key = "" if user_id else session_key[:40]
    if user_id or session_key:
        since = timezone.now() - DEFLECTION_REPEAT
        who = {"user_id": user_id} if user_id else {"user_id": None, "session_key": session_key}
        repeat = Deflection.objects.filter(article=article, created_at__gte=since, **who).order_by("-pk").first()
        if repeat is not None:
            return repeat
    return Deflection.objects.create(article=article, user_id=user_id, session_key=session_key, query=query[:200])
