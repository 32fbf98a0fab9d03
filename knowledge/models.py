"""Knowledge base: categories, articles and their versions, reader feedback, search analytics.

This app imports no other app of the project. Who may read what is decided
from the reader's audiences (see access.audiences_for), which look only at
authentication, permissions and plain attributes of the user.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    CUSTOMERS = "customers", _("Customers and visitors")
    AGENTS = "agents", _("Agents only")
    DEVELOPERS = "developers", _("Developers (staff only)")


# Who may read each audience is decided in access.py; these stay with the data.
PUBLIC_AUDIENCES = frozenset({Audience.CUSTOMERS})
STAFF_AUDIENCES = frozenset(Audience.values)


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


# Review cadence defaults (days), taken from the support playbooks: regular
# reviews quarterly, fast-moving troubleshooting content monthly.
DEFAULT_REVIEW_DAYS = 90


class CategoryQuerySet(models.QuerySet):
    def visible_to(self, audiences):
        return self.filter(audience__in=audiences)

    def with_article_counts(self):
        """Each category with the number of its published articles (one grouped query)."""
        return self.annotate(article_count=Count("articles", filter=Q(articles__status=Status.PUBLISHED)))


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices, default=Audience.CUSTOMERS)
    review_every_days = models.PositiveSmallIntegerField(
        _("review every (days)"),
        default=DEFAULT_REVIEW_DAYS,
        help_text=_("A published article is due for review this many days after it was last published or reviewed."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        constraints = [
            models.CheckConstraint(condition=Q(review_every_days__gte=1), name="kb_category_review_positive"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("knowledge:category-detail", args=[self.slug])


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def visible_to(self, audiences):
        """Published articles of categories the audiences may read: what a reader can ever see."""
        return self.filter(status=Status.PUBLISHED, category__audience__in=audiences)

    def with_category(self):
        return self.select_related("category")

    def popular(self):
        return self.order_by("-view_count", "-published_at", "pk")

    def recent(self):
        return self.order_by("-published_at", "-pk")

    def needing_review(self, today=None):
        today = today or timezone.localdate()
        return self.published().filter(review_due__lte=today).order_by("review_due", "pk")

    def with_people(self):
        return self.select_related("category", "author", "reviewer", "approver")


class Article(models.Model):
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("category"),
        help_text=_("Required before the article is submitted for review."),
    )
    # title, summary and body are translated (translation.py): one column per language.
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True, help_text=_("The answer in one sentence."))
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown. Images must use https or a relative link."))
    tags = models.CharField(_("tags"), max_length=200, blank=True, help_text=_("Comma-separated, e.g. vpn, network."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last reviewed by"),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last updated"), default=timezone.now)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    review_due = models.DateField(_("review due"), null=True, blank=True)
    related = models.ManyToManyField("self", blank=True, verbose_name=_("related articles"))
    source_reference = models.CharField(
        _("source"), max_length=100, blank=True, help_text=_("e.g. the ticket this article was captured from.")
    )
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0)
    unhelpful_count = models.PositiveIntegerField(_("unhelpful votes"), default=0)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [
            ("publish_article", _("Can approve, publish and archive articles")),
            ("view_internal_article", _("Can read articles for agents and developers")),
        ]
        indexes = [
            models.Index(fields=["status", "review_due"], name="kb_article_status_due"),
            models.Index(fields=["status", "-view_count"], name="kb_article_status_views"),
            models.Index(fields=["status", "-published_at"], name="kb_article_status_published"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("knowledge:article-detail", args=[self.slug])

    @property
    def tag_list(self):
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    def has_translation(self, language):
        """True when the article has its own title and body in `language` (not the English fallback)."""
        field = language.replace("-", "_")
        return bool(getattr(self, f"title_{field}", "") and getattr(self, f"body_{field}", ""))

    def content_in(self, language):
        """Title, summary and body in `language` when translated, else in English, with the language used."""
        used = language if self.has_translation(language) else settings.MODELTRANSLATION_DEFAULT_LANGUAGE
        field = used.replace("-", "_")
        return {
            "language": used,
            "title": getattr(self, f"title_{field}") or "",
            "summary": getattr(self, f"summary_{field}") or "",
            "body": getattr(self, f"body_{field}") or "",
        }

    def is_review_overdue(self, today):
        return self.status == Status.PUBLISHED and self.review_due is not None and self.review_due <= today


class ArticleVersion(models.Model):
    """What readers saw after one published change: every language, who and when."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions", verbose_name=_("article"))
    number = models.PositiveIntegerField(_("version"))
    # {"title": {"en": …, "es": …}, "summary": {…}, "body": {…}, "tags": "…"}
    content = models.JSONField(_("content"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("published"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique_number")]

    def __str__(self):
        return f"{self.article_id} v{self.number}"


class ArticleFeedback(models.Model):
    """One "was this helpful?" answer per reader per article: a user, or an anonymous session."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("article"))
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    session_key = models.CharField(_("anonymous session"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="kb_feedback_one_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True),
                name="kb_feedback_one_per_session",
            ),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(session_key=""), name="kb_feedback_has_reader"),
        ]
        indexes = [models.Index(fields=["created_at", "helpful"], name="kb_feedback_recent")]

    def __str__(self):
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"


class SearchLog(models.Model):
    """One row per search, kept narrow: it grows with every keystroke-pause of every reader."""

    query = models.CharField(_("query"), max_length=200)
    normalized = models.CharField(_("normalised query"), max_length=200)
    language = models.CharField(_("language"), max_length=10)
    result_count = models.PositiveIntegerField(_("results"))
    user_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    created_at = models.DateTimeField(_("searched at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("search")
        verbose_name_plural = _("search log")
        indexes = [models.Index(fields=["created_at", "result_count"], name="kb_searchlog_recent")]

    def __str__(self):
        return self.query


class Deflection(models.Model):
    """A reader who read an article instead of opening a ticket."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="deflections", verbose_name=_("article")
    )
    user_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    session_key = models.CharField(_("anonymous session"), max_length=40, blank=True)
    query = models.CharField(_("query"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        indexes = [models.Index(fields=["created_at"], name="kb_deflection_recent")]

    def __str__(self):
        return f"{self.article_id} @ {self.created_at:%Y-%m-%d}"


class SearchIndexQuerySet(models.QuerySet):
    def for_language(self, language):
        """The rows a reader of `language` searches: that translation, or English where there is none."""
        default = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
        if language == default:
            return self.filter(language=default)
        translated = ArticleSearchIndex.objects.filter(article_id=OuterRef("article_id"), language=language)
        return self.filter(Q(language=language) | (Q(language=default) & ~Exists(translated)))

    def visible_to(self, audiences):
        return self.filter(article__status=Status.PUBLISHED, article__category__audience__in=audiences)


class ArticleSearchIndex(models.Model):
    """The searchable text of one published article in one language it is written in.

    Plain text (Markdown removed) per field, so matches can be ranked by where
    they are; `document` is the same text case- and accent-folded for the
    portable search. On PostgreSQL `vector` holds the weighted tsvector
    (title A, tags B, summary C, body D) in the language's text-search
    configuration, with a GIN index made by migration 0002; on other databases
    it stays empty. Rows are rewritten set-wise by index.reindex_articles.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="search_rows")
    language = models.CharField(max_length=10)
    config = models.CharField(max_length=20, help_text="PostgreSQL text-search configuration")
    title = models.CharField(max_length=200)
    tags = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    document = models.TextField(blank=True)
    vector = SearchVectorField(null=True, editable=False)

    objects = SearchIndexQuerySet.as_manager()

    class Meta:
        verbose_name = _("search index row")
        verbose_name_plural = _("search index")
        constraints = [models.UniqueConstraint(fields=["article", "language"], name="kb_index_one_per_language")]
        indexes = [models.Index(fields=["language", "article"], name="kb_index_language")]

    def __str__(self):
        return f"{self.article_id}/{self.language}"
