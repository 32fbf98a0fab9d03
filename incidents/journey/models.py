"""Journey signals as data: what an admin defines, what other systems push, and the state per customer.

De-duplication is per root cause (seed 003: no second proactive message
about the same root cause within 24 h). A signal type names its root cause
(`root_cause`, its own code when blank), so types describing one problem
share it, and the status-page components whose incidents are that problem
(`components`). Each outreach records the root causes it covered
(`OutreachRootCause`: the outbox row says whom and when, not what about, and
a reply on the customer's own ticket is no outbox row at all); incident
notices stay in the outbox (keys `incident:<id>:…`) and count for the types
linked to a component the incident affects.
"""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SignalSeverity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


# Most severe first; the ticket priority each maps to (helpdesk.Priority values).
SEVERITY_RANK = {"critical": 1, "high": 2, "medium": 3, "low": 4}


class Detection(models.TextChoices):
    API = "api", _("Pushed by another system through the API")
    REPEAT_CONTACT = "repeat_contact", _("Rule: repeat contact")
    WAITING_ON_US = "waiting_on_us", _("Rule: customer waiting on us too long")
    UNACKNOWLEDGED_ESCALATION = "unacknowledged_escalation", _("Rule: escalation without follow-up")
    SILENT_CUSTOMER = "silent_customer", _("Rule: silent customer")


class Tone(models.TextChoices):
    """Seed 003's tone by touch count: 1st helpful, 2nd empathetic, 3rd apologetic, 4th+ urgent ownership."""

    HELPFUL = "helpful", _("Helpful (first touch)")
    EMPATHETIC = "empathetic", _("Empathetic (second touch)")
    APOLOGETIC = "apologetic", _("Apologetic, taking ownership (third touch)")
    URGENT = "urgent", _("Urgent ownership (fourth touch and later)")


TONES = [Tone.HELPFUL, Tone.EMPATHETIC, Tone.APOLOGETIC, Tone.URGENT]


def tone_for(touches):
    return TONES[min(max(touches, 1), 4) - 1]


class SignalTypeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def detected_by_rule(self):
        return self.active().exclude(detection=Detection.API)


def root_cause_key(code, root_cause):
    """The root cause de-duplication compares: the admin's slug, else the type's own code (case-insensitive)."""
    return (root_cause or code).lower()


class SignalType(models.Model):
    """One kind of journey signal, as an admin defines it (e.g. `SIG-002 eSIM provisioning failed`)."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", _("Letters, digits, dots, dashes only."))],
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("what it means"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=SignalSeverity.choices)
    internal_response_minutes = models.PositiveIntegerField(
        _("internal response target (minutes)"), null=True, blank=True, help_text=_("Empty: best effort.")
    )
    outreach_minutes = models.PositiveIntegerField(
        _("customer outreach target (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: outreach is optional for this signal."),
    )
    detection = models.CharField(_("detected by"), max_length=30, choices=Detection.choices, default=Detection.API)
    parameters = models.JSONField(
        _("rule parameters"),
        default=dict,
        blank=True,
        help_text=_('For rules: e.g. {"count": 3, "days": 7} or {"hours": 8}.'),
    )
    alert_agents = models.BooleanField(
        _("alert agents (proactive queue)"),
        default=True,
        help_text=_(
            "On: the proactive ticket goes to this signal's queue and its agents are told by email. Off: the "
            "ticket is still opened as the record of what we did, outside the queue, and nobody is alerted."
        ),
    )
    alert_engineering = models.BooleanField(
        _("alert engineering chat"), default=False, help_text=_("Critical signals always alert engineering.")
    )
    bot_context = models.BooleanField(
        _("share with the portal and bot as context"),
        default=False,
        help_text=_("Only signals shared this way are answered by GET /api/signals/context/."),
    )
    template_helpful = models.SlugField(_("message: first touch"), max_length=80, blank=True)
    template_empathetic = models.SlugField(_("message: second touch"), max_length=80, blank=True)
    template_apologetic = models.SlugField(_("message: third touch"), max_length=80, blank=True)
    template_urgent = models.SlugField(_("message: fourth touch and later"), max_length=80, blank=True)
    queue = models.ForeignKey(
        "helpdesk.Queue", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("queue")
    )
    root_cause = models.SlugField(
        _("root cause"),
        max_length=50,
        blank=True,
        help_text=_(
            "A short name for the underlying problem, e.g. esim or port-in. Signal types with the same root cause "
            "are one problem to the customer: they hear about it at most once in 24 hours, whichever of these "
            "signals fire. Empty: the type is its own root cause (its code)."
        ),
    )
    components = models.ManyToManyField(
        "incidents.Component",
        blank=True,
        related_name="signal_types",
        verbose_name=_("covered by incidents on"),
        help_text=_(
            "Status page components whose incidents are this problem: a customer who had an incident notice about "
            "an incident affecting one of them in the last 24 hours is not sent a proactive message about it."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = SignalTypeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("signal type")
        verbose_name_plural = _("signal types")

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def root_cause_key(self):
        return root_cause_key(self.code, self.root_cause)

    def clean(self):
        super().clean()
        self.root_cause = self.root_cause.strip().lower()

    def template_slug(self, tone):
        """The admin's template for `tone`, else the nearest gentler one set, else the built-in default."""
        order = TONES[: TONES.index(tone) + 1]
        for candidate in reversed(order):
            slug = getattr(self, f"template_{candidate}")
            if slug:
                return slug
        return f"signal-{tone}"

    def parameter(self, name, default):
        value = (self.parameters or {}).get(name, default)
        return value if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else default


class Integration(models.Model):
    """Another system allowed to push signals, with its own token and the signal codes it may send."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token starts with"), max_length=12, editable=False, blank=True)
    allowed_signals = models.ManyToManyField(SignalType, blank=True, related_name="+", verbose_name=_("may send"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("signal integration")
        verbose_name_plural = _("signal integrations")

    def __str__(self):
        return self.name


class CustomerIdentity(models.Model):
    """How an integration names one of our customers (its own id), when it does not send the email."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="identities")
    external_id = models.CharField(_("external id"), max_length=120)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [
            models.UniqueConstraint(fields=["integration", "external_id"], name="journey_identity_unique"),
        ]

    def __str__(self):
        return f"{self.integration_id}:{self.external_id}"


class OutreachAction(models.TextChoices):
    """What outreach does, one flag each on an outreach rule, in this order."""

    REPLY = "reply", _("Reply on the customer's open ticket")
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message (SMS)")
    PUSH = "push", _("Push notification")
    PORTAL = "portal", _("Portal inbox")
    NOTE = "note", _("Internal note only (an agent follows up)")


class OutreachRuleQuerySet(models.QuerySet):
    def plan(self, severity, has_open_ticket):
        """The actions for one case, or None when an admin removed the row (the engine falls back)."""
        rule = self.filter(severity=severity, has_open_ticket=has_open_ticket).first()
        return rule.actions() if rule else None


class OutreachRule(models.Model):
    """One row of the channel matrix: severity × whether the customer has an open ticket → what we do.

    Seed 003's matrix is installed by migration (defaults.OUTREACH_DEFAULTS)
    and then belongs to the admin. SMS and push still need the customer's
    tier to allow the channel, like every message Firstline sends.
    """

    severity = models.CharField(_("severity"), max_length=10, choices=SignalSeverity.choices)
    has_open_ticket = models.BooleanField(
        _("customer has an open ticket"), help_text=_("Another open ticket of theirs, not the proactive one.")
    )
    reply = models.BooleanField(OutreachAction.REPLY.label, default=False)
    email = models.BooleanField(OutreachAction.EMAIL.label, default=False)
    sms = models.BooleanField(OutreachAction.SMS.label, default=False)
    push = models.BooleanField(OutreachAction.PUSH.label, default=False)
    portal = models.BooleanField(OutreachAction.PORTAL.label, default=False)
    note = models.BooleanField(OutreachAction.NOTE.label, default=False)

    objects = OutreachRuleQuerySet.as_manager()

    class Meta:
        ordering = ["severity", "-has_open_ticket"]
        verbose_name = _("outreach rule")
        verbose_name_plural = _("outreach rules (channel matrix)")
        constraints = [
            models.UniqueConstraint(fields=["severity", "has_open_ticket"], name="journey_outreach_rule_unique"),
        ]

    def __str__(self):
        if self.has_open_ticket:
            return _("%(severity)s, with an open ticket") % {"severity": self.get_severity_display()}
        return _("%(severity)s, without an open ticket") % {"severity": self.get_severity_display()}

    def actions(self):
        return [action for action in OutreachAction.values if getattr(self, action)]

    def clean(self):
        super().clean()
        actions = self.actions()
        if not actions:
            message = _("Pick at least one action; choose the internal note when the customer should not be contacted.")
            raise ValidationError({NON_FIELD_ERRORS: ValidationError(message, code="no_action")})
        if self.reply and not self.has_open_ticket:
            message = _("Replying on the customer's ticket needs an open ticket: pick email or another channel.")
            raise ValidationError({"reply": ValidationError(message, code="reply_without_ticket")})
        if self.note and len(actions) > 1:
            message = _("An internal note only means no message to the customer: untick the note or the channels.")
            raise ValidationError({"note": ValidationError(message, code="note_with_channels")})


class ProactiveCaseQuerySet(models.QuerySet):
    def open(self):
        """Open cases whose ticket is open; a case whose ticket the worker has not opened yet counts as open."""
        return self.filter(closed_at__isnull=True).filter(Q(ticket__isnull=True) | Q(ticket__is_open=1))

    def with_ticket(self):
        return self.filter(ticket__isnull=False)


class ProactiveCase(models.Model):
    """One customer's proactive ticket and what we did about it: every signal about them lands here.

    Outreach is gathered: a signal sets `outreach_due_at` (at once for a
    critical one, after a short merge window otherwise) and the outreach
    sweep sends one message for every signal still unaddressed, so two
    signals close together become one message addressing both. The ladder
    fields are stamps: each step happens once.
    """

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Empty until the worker opens the ticket: the API stores the signal and the case in the request and
    # leaves the ticket (triage, clocks, tags, note) to the worker, so ingestion stays set-wise.
    ticket = models.OneToOneField(
        "helpdesk.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="proactive_case",
        verbose_name=_("ticket"),
    )
    severity = models.CharField(_("severity"), max_length=10, choices=SignalSeverity.choices)
    first_detected_at = models.DateTimeField(_("first detected"))
    last_detected_at = models.DateTimeField(_("last detected"))
    signal_count = models.PositiveIntegerField(_("signals"), default=0)
    # The signal codes seen on this case (also the ticket's tags): a repeat needs no tag lookup.
    codes = models.JSONField(default=list, blank=True)
    touches = models.PositiveIntegerField(_("touches"), default=1)
    draft_subject = models.CharField(max_length=255, blank=True)
    draft_body = models.TextField(blank=True)
    draft_language = models.CharField(max_length=10, blank=True)
    outreach_due_at = models.DateTimeField(null=True, blank=True)
    outreach_count = models.PositiveSmallIntegerField(default=0)
    first_outreach_at = models.DateTimeField(_("first outreach"), null=True, blank=True)
    last_outreach_at = models.DateTimeField(_("last outreach"), null=True, blank=True)
    last_outreach_channels = models.JSONField(default=list, blank=True)
    postponed_until = models.DateTimeField(null=True, blank=True)
    # The root causes outreach is holding back and until when ({root cause: ISO time}): the internal note
    # saying so is written when this changes, not on every sweep.
    held_root_causes = models.JSONField(default=dict, blank=True)
    engineering_alerted_at = models.DateTimeField(null=True, blank=True)
    engineering_paged_at = models.DateTimeField(null=True, blank=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)
    sms_escalated_at = models.DateTimeField(null=True, blank=True)
    l2_escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The severity's targets (seed 003): act internally, and tell the customer, by these times. Each is the
    # earliest of its signals' targets; empty when every signal is best effort.
    internal_target_at = models.DateTimeField(_("internal response due"), null=True, blank=True)
    outreach_target_at = models.DateTimeField(_("customer outreach due"), null=True, blank=True)
    # First time a person (not the engine) did something on the ticket: assigned, replied, noted, changed it.
    first_handled_at = models.DateTimeField(_("first handled"), null=True, blank=True)
    # Stamps: a missed target is announced once.
    internal_missed_alerted_at = models.DateTimeField(null=True, blank=True)
    outreach_missed_alerted_at = models.DateTimeField(null=True, blank=True)

    objects = ProactiveCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-last_detected_at", "-pk"]
        verbose_name = _("proactive case")
        verbose_name_plural = _("proactive cases")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(closed_at__isnull=True), name="journey_one_open_case_per_customer"
            ),
        ]
        indexes = [
            models.Index(fields=["outreach_due_at"], name="journey_case_outreach_due"),
            models.Index(fields=["first_detected_at"], name="journey_case_detected"),
            models.Index(
                fields=["internal_target_at"],
                name="journey_case_internal_due",
                condition=Q(first_handled_at__isnull=True, internal_missed_alerted_at__isnull=True),
            ),
            models.Index(
                fields=["outreach_target_at"],
                name="journey_case_outreach_target",
                condition=Q(first_outreach_at__isnull=True, outreach_missed_alerted_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.ticket_id}"


class SignalEvent(models.Model):
    """One received or detected signal: stored once per idempotency key, with what it became."""

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    idempotency_key = models.CharField(max_length=120)
    # A digest of the event as sent, so a key reused for a different event is refused, not ignored.
    fingerprint = models.CharField(max_length=64, blank=True)
    signal_type = models.ForeignKey(SignalType, on_delete=models.PROTECT, related_name="events")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(ProactiveCase, on_delete=models.CASCADE, related_name="events")
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # Set when the case's internal note has recorded this event (see engine.write_case_notes).
    noted_at = models.DateTimeField(_("noted on the ticket"), null=True, blank=True)
    addressed_at = models.DateTimeField(_("customer told"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("signal event")
        verbose_name_plural = _("signal events")
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "idempotency_key"],
                condition=Q(integration__isnull=False),
                name="journey_event_key_per_integration",
            ),
            models.UniqueConstraint(
                fields=["signal_type", "idempotency_key"],
                condition=Q(integration__isnull=True),
                name="journey_event_key_per_rule",
            ),
        ]
        indexes = [
            models.Index(fields=["signal_type", "received_at"], name="journey_event_type_received"),
            models.Index(fields=["received_at"], name="journey_event_received"),
            models.Index(fields=["case"], name="journey_event_unnoted", condition=Q(noted_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.signal_type_id} {self.customer_id} {self.received_at:%Y-%m-%d %H:%M}"


class OutreachRootCauseQuerySet(models.QuerySet):
    def heard_by(self, customer_id, since):
        """{root cause: last told} for what the customer was told after `since`: one indexed query."""
        rows = (
            self.filter(customer_id=customer_id, told_at__gt=since)
            .order_by()
            .values("root_cause")
            .annotate(last=models.Max("told_at"))
        )
        return {row["root_cause"]: row["last"] for row in rows}


class OutreachRootCause(models.Model):
    """One root cause one proactive message covered: "we told this customer about it at this time".

    Written with the message (engine.deliver), one row per root cause of its
    signals, keyed like the message's outbox rows (case, reason, sequence),
    so a repeat writes nothing. De-duplication reads it per customer.
    """

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(ProactiveCase, on_delete=models.CASCADE, related_name="root_causes_told")
    root_cause = models.CharField(_("root cause"), max_length=50)
    reason = models.CharField(max_length=20)
    sequence = models.PositiveSmallIntegerField()
    told_at = models.DateTimeField(_("told"))

    objects = OutreachRootCauseQuerySet.as_manager()

    class Meta:
        ordering = ["-told_at", "-pk"]
        verbose_name = _("root cause told")
        verbose_name_plural = _("root causes told")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "reason", "sequence", "root_cause"], name="journey_root_cause_once_per_message"
            ),
        ]
        indexes = [models.Index(fields=["customer", "told_at"], name="journey_told_customer_time")]

    def __str__(self):
        return f"{self.customer_id} {self.root_cause} {self.told_at:%Y-%m-%d %H:%M}"


class SystemicAlert(models.Model):
    """Three or more customers with the same signal inside the window: raised once per window and type."""

    signal_type = models.ForeignKey(SignalType, on_delete=models.CASCADE, related_name="systemic_alerts")
    raised_at = models.DateTimeField(default=timezone.now)
    window_start = models.DateTimeField()
    customers = models.JSONField(default=list)
    shared = models.JSONField(default=dict)
    cases = models.ManyToManyField(ProactiveCase, blank=True, related_name="+")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("systemic alert")
        verbose_name_plural = _("systemic alerts")
        indexes = [models.Index(fields=["signal_type", "raised_at"], name="journey_systemic_type_raised")]

    def __str__(self):
        return f"{self.signal_type_id} {self.raised_at:%Y-%m-%d %H:%M}"
