"""Triage and routing data: rules an admin writes, routes to queues, the classifier, and each ticket's triage record."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Category, Channel, Priority, Queue, ServiceTier, SupportLevel, Team


class ConditionField(models.TextChoices):
    TEXT = "text", _("Subject or body")
    SUBJECT = "subject", _("Subject")
    BODY = "body", _("Body")
    SENDER = "sender", _("Sender email")
    ORGANIZATION = "organization", _("Organization")
    TIER = "tier", _("Service tier")
    CHANNEL = "channel", _("Channel")
    LANGUAGE = "language", _("Language")
    TIME = "time", _("Time of arrival")
    FLAG = "flag", _("Triage flag")
    COMPLEXITY = "complexity", _("Complexity")
    CUSTOMER_TYPE = "customer_type", _("Customer type")


class Operator(models.TextChoices):
    CONTAINS = "contains", _("contains")
    NOT_CONTAINS = "not_contains", _("does not contain")
    EQUALS = "equals", _("equals")
    NOT_EQUALS = "not_equals", _("does not equal")
    IN_LIST = "in_list", _("is one of (comma-separated)")
    ANY_WORD = "any_word", _("contains any of (comma-separated)")
    REGEX = "regex", _("matches the regular expression")
    IN_HOURS = "in_hours", _("is within business hours")
    OUT_OF_HOURS = "out_of_hours", _("is outside business hours")
    IS_SET = "is_set", _("is raised")


class Flag(models.TextChoices):
    VIP = "vip", _("VIP")
    SECURITY = "security", _("Security")
    FRUSTRATED = "frustrated", _("Frustrated customer")
    REPEAT = "repeat", _("Repeat contact")


class Complexity(models.TextChoices):
    """How much work a ticket looks like (seed 001's triage): read from its text, or set by a rule."""

    SIMPLE = "simple", _("Simple")
    MODERATE = "moderate", _("Moderate")
    COMPLEX = "complex", _("Complex")


class CustomerType(models.TextChoices):
    """Who is asking (seed 001's user type): a VIP or enterprise account, a first-time or a returning customer."""

    VIP = "vip", _("VIP account")
    NEW = "new", _("New customer")
    RETURNING = "returning", _("Returning customer")


class Match(models.TextChoices):
    ALL = "all", _("All conditions")
    ANY = "any", _("Any condition")


class TriageRule(models.Model):
    """An admin's rule: when its conditions hold for a new ticket, its actions are applied.

    Rules run in `order`; a rule with `stop_processing` ends the evaluation
    when it matches. Validation (regexes, impossible rules) lives in
    helpdesk.triage.rules and the admin form that calls it.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    match = models.CharField(_("match"), max_length=3, choices=Match.choices, default=Match.ALL)
    stop_processing = models.BooleanField(
        _("stop processing"), default=False, help_text=_("When this rule matches, later rules are not evaluated.")
    )
    set_category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("set category")
    )
    set_priority = models.PositiveSmallIntegerField(_("set priority"), choices=Priority.choices, null=True, blank=True)
    raise_priority = models.BooleanField(
        _("raise priority one step"), default=False, help_text=_("Moves the ticket up the line, e.g. medium to high.")
    )
    set_queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("set queue")
    )
    set_complexity = models.CharField(
        _("set complexity"),
        max_length=10,
        choices=Complexity.choices,
        blank=True,
        help_text=_("Overrides the complexity read from the text; complex tickets go to higher support levels."),
    )
    add_tags = models.ManyToManyField("helpdesk.Tag", blank=True, related_name="+", verbose_name=_("add tags"))
    set_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"role__in": ["agent", "team_lead", "manager", "admin"]},
        verbose_name=_("assign to agent"),
    )
    set_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assign within team"),
        help_text=_("The least-loaded available member of this team takes the ticket."),
    )
    escalate_to = models.PositiveSmallIntegerField(
        _("escalate to level"), choices=SupportLevel.choices, null=True, blank=True
    )
    send_template = models.SlugField(
        _("send template"),
        max_length=80,
        blank=True,
        help_text=_("Slug of a message template sent to the customer through the outbox."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("triage rule")
        verbose_name_plural = _("triage rules")

    def __str__(self):
        return self.name

    def has_action(self):
        return bool(
            self.set_category_id
            or self.set_priority
            or self.raise_priority
            or self.set_queue_id
            or self.set_complexity
            or self.set_assignee_id
            or self.set_team_id
            or self.escalate_to
            or self.send_template
        )


class TriageCondition(models.Model):
    rule = models.ForeignKey(TriageRule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(_("field"), max_length=20, choices=ConditionField.choices)
    operator = models.CharField(_("operator"), max_length=20, choices=Operator.choices)
    value = models.CharField(_("value"), max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")

    def __str__(self):
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}".strip()


class RoutingRule(models.Model):
    """Which queue a ticket lands in, by category, channel, inbound address and tier; first match wins."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    inbound_address = models.EmailField(
        _("inbound address"), blank=True, help_text=_("The address an email was sent to, e.g. billing@…")
    )
    tier = models.ForeignKey(
        ServiceTier, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("tier")
    )
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="routes", verbose_name=_("queue"))

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=False) | ~Q(channel="") | ~Q(inbound_address="") | Q(tier__isnull=False),
                name="routing_rule_has_criterion",
            )
        ]

    def __str__(self):
        return self.name


class ClassifierModel(models.Model):
    """A trained text classifier, stored in the database.

    The pipeline is pickled with joblib by helpdesk.triage.classifier and only
    ever loaded from this table, which only our own training writes: the
    bytes are as trusted as the code. Keeping it in the database means every
    web process and worker sees the same model without a shared disk.
    """

    created_at = models.DateTimeField(_("trained"), default=timezone.now)
    is_active = models.BooleanField(_("in use"), default=False)
    trained_on = models.PositiveIntegerField(_("training tickets"), default=0)
    tested_on = models.PositiveIntegerField(_("held-out tickets"), default=0)
    category_accuracy = models.FloatField(_("category accuracy"), null=True, blank=True)
    priority_accuracy = models.FloatField(_("priority accuracy"), null=True, blank=True)
    labels = models.JSONField(_("categories"), default=list, blank=True)
    pipeline = models.BinaryField(editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("triage classifier")
        verbose_name_plural = _("triage classifiers")
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_classifier")
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M}"


class SuggestionOutcome(models.TextChoices):
    NONE = "", _("No suggestion")
    PENDING = "pending", _("Waiting for an agent")
    KEPT = "kept", _("Kept")
    CORRECTED = "corrected", _("Corrected")


class TicketTriage(models.Model):
    """What triage decided for one ticket and why: flags, language, the classifier's suggestion and its fate."""

    ticket = models.OneToOneField("helpdesk.Ticket", on_delete=models.CASCADE, related_name="triage")
    created_at = models.DateTimeField(default=timezone.now)
    language_source = models.CharField(max_length=10, blank=True)
    is_vip = models.BooleanField(_("VIP"), default=False)
    is_security = models.BooleanField(_("security"), default=False)
    is_frustrated = models.BooleanField(_("frustrated"), default=False)
    is_repeat = models.BooleanField(_("repeat contact"), default=False)
    complexity = models.CharField(_("complexity"), max_length=10, choices=Complexity.choices, blank=True)
    customer_type = models.CharField(_("customer type"), max_length=10, choices=CustomerType.choices, blank=True)
    suggested_category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    suggested_priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    suggestion_applied = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=SuggestionOutcome.choices, blank=True, default="")
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Each decision with its reason, in the order taken, as codes rendered in the reader's language
    # (helpdesk.triage.reasons): [{"what": ..., "value": ..., "why": [{"code": ..., "params": {...}}]}].
    # Rows written before reasons were codes hold {"what", "value", "reason"} in English; they are shown as they are.
    reasons = models.JSONField(default=list, blank=True)
    failed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("ticket triage")
        verbose_name_plural = _("ticket triage")
        indexes = [models.Index(fields=["created_at", "outcome"], name="triage_created_outcome")]

    def __str__(self):
        return f"triage of {self.ticket_id}"
