"""Surveys and quality review: invitations, answers, themes, the review queue and its checklist.

An invitation is one row per person and reason (a ticket's CSAT or pulse
rating, an NPS period); unique constraints, not the code that inserts them,
guarantee nobody is asked twice for the same thing. The link token is kept
only as a SHA-256 hash. Answers copy the ticket's dimensions (agent, team,
tier, category, language, channel) at the moment they arrive, so every
figure of the feedback page is one pass over one table.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.models import hash_token


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT")
    NPS = "nps", _("NPS")
    PULSE = "pulse", _("Quick rating")


# The answer's range per kind; checked by the database too (response_score_range).
SCORE_RANGES = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10), SurveyKind.PULSE: (0, 1)}


class SurveySettings(models.Model):
    """The feedback app's knobs, one row edited in admin; defaults from the support playbooks."""

    csat_enabled = models.BooleanField(_("send CSAT when a ticket is resolved"), default=True)
    csat_per_ticket = models.PositiveSmallIntegerField(
        _("CSAT invitations per ticket"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("How many times one ticket may be surveyed, however often it is reopened and resolved."),
    )
    pulse_channels = models.JSONField(
        _("channels with a quick rating"),
        default=list,
        blank=True,
        help_text=_('Tickets from these channels get a thumbs up/down instead of CSAT, e.g. ["chat"].'),
    )
    link_days = models.PositiveSmallIntegerField(
        _("links valid for (days)"), default=14, validators=[MinValueValidator(1)]
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind after (days)"), default=3, help_text=_("One reminder at most; 0 sends none.")
    )
    nps_enabled = models.BooleanField(_("send NPS surveys"), default=True)
    nps_every_months = models.PositiveSmallIntegerField(
        _("NPS every (months)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    nps_min_gap_days = models.PositiveSmallIntegerField(
        _("never ask one person for NPS more often than (days)"), default=90
    )
    review_sample_percent = models.PositiveSmallIntegerField(
        _("resolved tickets sampled for review (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    csat_target = models.DecimalField(_("CSAT target"), max_digits=3, decimal_places=2, default=4.5)
    nps_target = models.SmallIntegerField(_("NPS target"), default=50)

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self):
        return str(_("Survey settings"))

    @classmethod
    def current(cls):
        found = cls.objects.filter(pk=1).first()
        if found is None:
            found, _created = cls.objects.get_or_create(pk=1, defaults={"pulse_channels": ["chat"]})
        return found


class InvitationQuerySet(models.QuerySet):
    def by_token(self, token):
        """The invitation a link's token opens: the first email's or the reminder's."""
        if not token or len(token) > 100:
            return self.none()
        digest = hash_token(token)
        return self.filter(Q(token_hash=digest) | Q(reminder_token_hash=digest))

    def open_for(self, person):
        return self.filter(person=person, answered_at__isnull=True, opted_out_at__isnull=True)


class Invitation(models.Model):
    """One request for feedback to one person, for one ticket or one NPS period."""

    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_invitations", verbose_name=_("person")
    )
    ticket = models.ForeignKey(
        "helpdesk.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_invitations",
        verbose_name=_("ticket"),
    )
    # The ticket's n-th survey (a ticket resolved again may be asked again, up to the setting).
    round = models.PositiveSmallIntegerField(default=1)
    # NPS: the first day of the period asked about, e.g. "2026-04-01"; empty for ticket surveys.
    period = models.CharField(_("period"), max_length=10, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    reminder_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "ticket", "round"], condition=Q(ticket__isnull=False), name="invitation_ticket_round"
            ),
            models.UniqueConstraint(
                fields=["kind", "person", "period"], condition=~Q(period=""), name="invitation_person_period"
            ),
            models.CheckConstraint(
                condition=Q(kind="nps", ticket__isnull=True) | (~Q(kind="nps") & Q(ticket__isnull=False)),
                name="invitation_subject_by_kind",
            ),
        ]
        indexes = [
            # The response rate counts sent and answered from this index alone.
            models.Index(fields=["created_at", "kind", "answered_at"], name="invitation_created_answered"),
            models.Index(fields=["person", "kind", "created_at"], name="invitation_person_kind"),
            # Answers that came after a rollup day was rebuilt are found from here (few, recent).
            models.Index(
                fields=["answered_at", "created_at"],
                name="invitation_answered",
                condition=Q(answered_at__isnull=False),
            ),
            models.Index(
                fields=["created_at"],
                name="invitation_reminder_due",
                condition=Q(answered_at__isnull=True, reminded_at__isnull=True, opted_out_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.person_id} · {self.created_at:%Y-%m-%d}"

    def is_expired(self, now):
        return self.expires_at <= now


class SurveyOptOut(models.Model):
    """A person who asked not to be surveyed again; every invitation job skips them."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_opt_out", verbose_name=_("person")
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("survey opt-out")
        verbose_name_plural = _("survey opt-outs")

    def __str__(self):
        return str(self.person_id)


class FeedbackTheme(models.Model):
    """A category of comments (technical, billing…) recognised by keywords, per language."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_("Comma-separated words or phrases; a comment containing any of them belongs to this theme."),
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=100, help_text=_("When several themes match, the lowest position wins.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("feedback theme")
        verbose_name_plural = _("feedback themes")

    def __str__(self):
        return self.name


class ResponseQuerySet(models.QuerySet):
    def in_period(self, filters):
        """Answers received in [start, end), narrowed by team and tier (report filters)."""
        qs = self.filter(created_at__gte=filters.start, created_at__lt=filters.end)
        if filters.team:
            qs = qs.filter(team_id=filters.team)
        if filters.tier:
            qs = qs.filter(tier_id=filters.tier)
        return qs.order_by()

    def low(self):
        return self.filter(Q(kind=SurveyKind.CSAT, score__lte=2) | Q(kind=SurveyKind.NPS, score__lte=6))


class Response(models.Model):
    """One answer to one invitation. Dimensions are copied from the ticket when it arrives."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_responses", verbose_name=_("person")
    )
    ticket = models.ForeignKey(
        "helpdesk.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_responses"
    )
    score = models.SmallIntegerField(_("score"))
    speed = models.SmallIntegerField(_("speed"), null=True, blank=True)
    clarity = models.SmallIntegerField(_("clarity"), null=True, blank=True)
    effectiveness = models.SmallIntegerField(_("effectiveness"), null=True, blank=True)
    professionalism = models.SmallIntegerField(_("professionalism"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    theme = models.ForeignKey(
        FeedbackTheme, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("theme")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey("helpdesk.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    tier = models.ForeignKey("helpdesk.ServiceTier", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    category = models.ForeignKey(
        "helpdesk.Category", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("answered"), default=timezone.now)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="csat", score__gte=1, score__lte=5)
                | Q(kind="nps", score__gte=0, score__lte=10)
                | Q(kind="pulse", score__gte=0, score__lte=1),
                name="response_score_range",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"response_{name}_range",
                )
                for name in ("speed", "clarity", "effectiveness", "professionalism")
            ),
        ]
        indexes = [
            # The feedback page reads every figure from this index alone: the period's range, with
            # the score and each breakdown's column alongside (like helpdesk's ticket_report_dims).
            models.Index(
                fields=["created_at", "kind", "score", "agent", "team", "tier", "category", "language", "channel"],
                name="response_period_dims",
            ),
            models.Index(fields=["team", "created_at"], name="response_team_created"),
            models.Index(fields=["tier", "created_at"], name="response_tier_created"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.score}"

    @property
    def score_text(self):
        """The score as people read it: 👍 / 👎 for a quick rating, "2/5" or "7/10" otherwise."""
        if self.kind == SurveyKind.PULSE:
            return "👍" if self.score else "👎"
        return f"{self.score}/{SCORE_RANGES[self.kind][1]}"


# --- quality review ------------------------------------------------------------------------


class ReviewReason(models.TextChoices):
    LOW_CSAT = "low_csat", _("Low CSAT")
    DETRACTOR = "detractor", _("NPS detractor")
    THUMBS_DOWN = "thumbs_down", _("Thumbs down")
    ESCALATED = "escalated", _("Escalated")
    SAMPLE = "sample", _("Random sample")


class ReviewItemQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(reviewed_at__isnull=True)

    def with_queue_columns(self):
        return self.select_related("ticket", "agent", "response").order_by("-created_at", "-pk")


class ReviewItem(models.Model):
    """A ticket waiting for (or having had) a quality review; one per ticket."""

    ticket = models.OneToOneField(
        "helpdesk.Ticket", on_delete=models.CASCADE, related_name="review_item", verbose_name=_("ticket")
    )
    reason = models.CharField(_("reason"), max_length=12, choices=ReviewReason.choices)
    response = models.ForeignKey(Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey("helpdesk.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    objects = ReviewItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("review queue item")
        verbose_name_plural = _("review queue")
        indexes = [models.Index(fields=["reviewed_at", "-created_at"], name="reviewitem_waiting")]

    def __str__(self):
        return f"{self.ticket_id} · {self.get_reason_display()}"


class CriterionScale(models.TextChoices):
    SCORE = "score", _("1–5")
    PASS_FAIL = "pass_fail", _("Pass / fail")


class ReviewCriterion(models.Model):
    """One line of the review checklist."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    help_text = models.CharField(_("guidance"), max_length=200, blank=True)
    scale = models.CharField(_("scale"), max_length=10, choices=CriterionScale.choices, default=CriterionScale.SCORE)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("review criterion")
        verbose_name_plural = _("review criteria")

    def __str__(self):
        return self.name

    def percent(self, value):
        """A score on this criterion as 0–100: pass 100, fail 0; 1–5 spread evenly."""
        if self.scale == CriterionScale.PASS_FAIL:
            return 100.0 if value else 0.0
        return (int(value) - 1) * 25.0


class QualityReview(models.Model):
    """A reviewer's verdict on a ticket's handling, checklist scores summed into `percent`."""

    item = models.OneToOneField(ReviewItem, on_delete=models.CASCADE, related_name="review")
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="quality_reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewer")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_reviews",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey("helpdesk.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    percent = models.FloatField(_("score (%)"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("reviewed"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("quality review")
        verbose_name_plural = _("quality reviews")
        indexes = [models.Index(fields=["agent", "-created_at"], name="review_agent_created")]
        constraints = [models.CheckConstraint(condition=Q(percent__gte=0, percent__lte=100), name="review_percent")]

    def __str__(self):
        return f"{self.ticket_id} {self.percent:.0f}%"


class ReviewScore(models.Model):
    review = models.ForeignKey(QualityReview, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(ReviewCriterion, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(_("value"))

    class Meta:
        ordering = ["criterion__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="review_score_once"),
            models.CheckConstraint(condition=Q(value__lte=5), name="review_score_range"),
        ]
        verbose_name = _("review score")
        verbose_name_plural = _("review scores")

    def __str__(self):
        return f"{self.criterion_id}={self.value}"


class NpsRun(models.Model):
    """One NPS send-out per period: a second run of the job for the same period finds this and stops."""

    period = models.CharField(max_length=10, unique=True)
    ran_at = models.DateTimeField(default=timezone.now)
    invited = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("NPS send-out")
        verbose_name_plural = _("NPS send-outs")

    def __str__(self):
        return self.period


# --- the report's daily rollup ---------------------------------------------------------------


class RollupDimension(models.TextChoices):
    ALL = "all", _("All")
    AGENT = "agent", _("Agent")
    TEAM = "team", _("Team")
    TIER = "tier", _("Tier")
    CATEGORY = "category", _("Category")
    LANGUAGE = "language", _("Language")
    CHANNEL = "channel", _("Channel")


def _rollup_key(model):
    # A real foreign key for the names the report joins, but no constraint and no cascade:
    # rollup rows are rebuilt wholesale, and a deleted team must not block (or delete) them.
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+")


class FeedbackDailyScore(models.Model):
    """Answers received on one UTC day, summed for one breakdown of the report.

    One row per (day, kind, dimension, value) and per scope: the whole
    organisation (`scope_team_id` and `scope_tier_id` empty), one team, or one
    tier, so a filtered report reads only its own rows. A row of dimension
    `all` holds the day's totals. Only the column of the row's dimension is set.
    Rebuilt by `feedback.rollup`; see there for when a day is trusted.
    """

    day = models.DateField()
    scope_team_id = models.BigIntegerField(null=True)
    scope_tier_id = models.BigIntegerField(null=True)
    dimension = models.CharField(max_length=10, choices=RollupDimension.choices)
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    agent = _rollup_key(settings.AUTH_USER_MODEL)
    team = _rollup_key("helpdesk.Team")
    tier = _rollup_key("helpdesk.ServiceTier")
    category = _rollup_key("helpdesk.Category")
    language = models.CharField(max_length=10, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    answers = models.PositiveIntegerField()
    score_sum = models.PositiveIntegerField()
    # CSAT 4–5, NPS promoters (9–10), thumbs up.
    high = models.PositiveIntegerField()
    # NPS detractors (0–6).
    low = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("daily feedback count")
        verbose_name_plural = _("daily feedback counts")
        indexes = [
            models.Index(fields=["scope_team_id", "scope_tier_id", "dimension", "day"], name="feedback_daily_scope_day")
        ]

    def __str__(self):
        return f"{self.day} {self.dimension} {self.kind}"


class FeedbackDailyInvitations(models.Model):
    """Invitations created on one UTC day, sent and answered (as of the day's rebuild), by team and tier."""

    day = models.DateField()
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    # The ticket's queue's team and the person's organisation's tier, as the live report joins them.
    team_id = models.BigIntegerField(null=True)
    tier_id = models.BigIntegerField(null=True)
    sent = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("daily survey invitations")
        verbose_name_plural = _("daily survey invitations")
        indexes = [models.Index(fields=["day", "team_id", "tier_id"], name="feedback_daily_invitations")]

    def __str__(self):
        return f"{self.day} {self.sent}/{self.answered}"


class FeedbackRollupDay(models.Model):
    """A day the feedback rollup covers, and the moment its figures were taken.

    Answers and invitations of that day are all in the rollup (the day had
    ended by `as_of`); invitations answered after `as_of` are counted live.
    A day without a row is counted live entirely.
    """

    day = models.DateField(unique=True)
    as_of = models.DateTimeField()

    class Meta:
        verbose_name = _("feedback rollup day")
        verbose_name_plural = _("feedback rollup days")

    def __str__(self):
        return f"{self.day} as of {self.as_of:%Y-%m-%d %H:%M}"
