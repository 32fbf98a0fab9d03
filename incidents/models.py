"""Incidents, the status page's components, and the communication cadence that times them.

Every figure (cadence minutes, crisis tightening) is admin data with defaults
from `incidents.defaults`. An incident freezes its cadence terms when it is
declared (`Incident.terms`); the deadlines that follow are rows
(`CadenceDeadline`) that the sweep claims set-wise, stamping each so that no
warning or miss is ever repeated.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

REF_PREFIX = "INC"


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")
    MAINTENANCE = "maintenance", _("Under maintenance")


# Worst first: a group shows the worst status of its components.
STATUS_WEIGHT = {
    ComponentStatus.MAJOR_OUTAGE: 4,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.DEGRADED: 2,
    ComponentStatus.MAINTENANCE: 1,
    ComponentStatus.OPERATIONAL: 0,
}


class Severity(models.IntegerChoices):
    P1 = 1, _("P1 · critical")
    P2 = 2, _("P2 · high")
    P3 = 3, _("P3 · medium")
    P4 = 4, _("P4 · low")


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


OPEN_INCIDENT_STATUSES = (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING)


# Seed 002's impact matrix: each answer suggests a severity (the form shows the suggestion).
class UsersAffected(models.TextChoices):
    ALL = "all", _("All users")
    MULTIPLE = "multiple", _("Multiple users")
    SINGLE = "single", _("A single user")
    NONE = "none", _("No users")


class BusinessImpact(models.TextChoices):
    REVENUE = "revenue", _("Revenue affected")
    FEATURE = "feature", _("A feature is unavailable")
    MINOR = "minor", _("Minor degradation")
    NONE = "none", _("No business impact")


class SecurityImpact(models.TextChoices):
    BREACH = "breach", _("Data breach")
    VULNERABILITY = "vulnerability", _("Potential vulnerability")
    CONCERN = "concern", _("Security concern")
    NONE = "none", _("No security impact")


class CrisisLevel(models.IntegerChoices):
    LEVEL_1 = 1, _("Level 1 · few customers")
    LEVEL_2 = 2, _("Level 2 · many customers")
    LEVEL_3 = 3, _("Level 3 · core services")
    LEVEL_4 = 4, _("Level 4 · system-wide or security breach")


class ComponentGroup(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    ordering = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = _("component group")
        verbose_name_plural = _("component groups")

    def __str__(self):
        return self.name


class Component(models.Model):
    """Something customers use, shown on the status page with its current state."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    group = models.ForeignKey(
        ComponentGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="components",
        verbose_name=_("group"),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    ordering = models.PositiveSmallIntegerField(_("order"), default=100)
    status = models.CharField(
        _("status"), max_length=20, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self):
        return self.name


class CadencePolicy(models.Model):
    """How fast customers hear about an incident of one severity, and how often after that."""

    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, unique=True)
    first_notice_minutes = models.PositiveIntegerField(_("first customer notice within (minutes)"))
    update_minutes = models.PositiveIntegerField(_("an update every (minutes)"))
    resolve_minutes = models.PositiveIntegerField(_("resolve within (minutes)"))
    follow_up_minutes = models.PositiveIntegerField(_("follow-up within (minutes)"))
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of the interval)"),
        default=80,
        help_text=_("The communications lead is warned at this point."),
    )

    class Meta:
        ordering = ["severity"]
        verbose_name = _("cadence policy")
        verbose_name_plural = _("cadence policies")
        constraints = [
            models.CheckConstraint(condition=Q(warn_percent__gte=1, warn_percent__lte=99), name="cadence_warn_range"),
            models.CheckConstraint(condition=Q(update_minutes__gte=1), name="cadence_update_positive"),
        ]

    def __str__(self):
        return self.get_severity_display()


class CrisisPolicy(models.Model):
    """What a crisis level changes: a tighter cadence and whether executives get the summary."""

    level = models.PositiveSmallIntegerField(_("crisis level"), choices=CrisisLevel.choices, unique=True)
    cadence_percent = models.PositiveSmallIntegerField(
        _("cadence (percent of the severity's intervals)"),
        default=100,
        help_text=_("First notice and update intervals are multiplied by this; 50 means twice as often."),
    )
    notify_executives = models.BooleanField(_("executives receive the summary"), default=True)

    class Meta:
        ordering = ["level"]
        verbose_name = _("crisis policy")
        verbose_name_plural = _("crisis policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(cadence_percent__gte=10, cadence_percent__lte=100), name="crisis_cadence_range"
            ),
        ]

    def __str__(self):
        return self.get_level_display()


def ref_to_pk(ref):
    """`INC-0042` -> 42; None for anything else."""
    if not isinstance(ref, str) or not ref.upper().startswith(REF_PREFIX + "-"):
        return None
    digits = ref[len(REF_PREFIX) + 1 :]
    if not digits.isdigit() or len(digits) > 12 or int(digits) <= 0:
        return None
    return int(digits)


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=IncidentStatus.RESOLVED)

    def public(self):
        return self.filter(is_public=True)

    def affecting_organization(self, organization_id):
        """Incidents of all organizations, or naming this one."""
        return self.filter(Q(all_organizations=True) | Q(organizations__id=organization_id)).distinct()

    def with_list_columns(self):
        return self.select_related("commander", "communications_lead")


class Incident(models.Model):
    title = models.CharField(_("title"), max_length=200)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    crisis_level = models.PositiveSmallIntegerField(
        _("crisis level"), choices=CrisisLevel.choices, null=True, blank=True
    )
    users_affected = models.CharField(_("users affected"), max_length=12, choices=UsersAffected.choices, blank=True)
    business_impact = models.CharField(_("business impact"), max_length=12, choices=BusinessImpact.choices, blank=True)
    security_impact = models.CharField(_("security impact"), max_length=14, choices=SecurityImpact.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING
    )
    is_public = models.BooleanField(_("shown on the status page"), default=True)
    all_organizations = models.BooleanField(_("affects every organization"), default=False)
    organizations = models.ManyToManyField(
        "helpdesk.Organization", blank=True, related_name="incidents", verbose_name=_("affected organizations")
    )
    components = models.ManyToManyField(
        Component, through="IncidentComponent", blank=True, related_name="incidents", verbose_name=_("components")
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="commanded_incidents",
        verbose_name=_("incident commander"),
    )
    communications_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="communicated_incidents",
        verbose_name=_("communications lead"),
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("declared by")
    )
    declared_at = models.DateTimeField(_("declared"), default=timezone.now)
    first_notice_at = models.DateTimeField(_("first customer notice"), null=True, blank=True)
    last_update_at = models.DateTimeField(_("last public update"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    follow_up_at = models.DateTimeField(_("follow-up sent"), null=True, blank=True)
    # Copies of the earliest open deadline of each kind, so lists and the status page read them from the row.
    next_update_due = models.DateTimeField(_("next update due"), null=True, blank=True)
    follow_up_due = models.DateTimeField(_("follow-up due"), null=True, blank=True)
    cadence_misses = models.PositiveIntegerField(_("cadence misses"), default=0)
    # The cadence in minutes as it stood at declaration (see services.cadence_terms).
    terms = models.JSONField(default=dict, blank=True, editable=False)
    resolution = models.TextField(_("resolution"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Closed after resolution (a P1 or P2 only with a completed review): nothing more is expected of it.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set while every affected component is under this maintenance: customers are not notified automatically.
    notices_held_by = models.ForeignKey(
        "MaintenanceWindow",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="held_incidents",
        verbose_name=_("customer notices held back by"),
    )

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["status", "-declared_at"], name="incident_status_declared"),
            models.Index(fields=["is_public", "-declared_at"], name="incident_public_declared"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="incident_severity_range"),
        ]

    def __str__(self):
        return f"{self.ref} {self.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incidents:incident-detail", args=[self.ref])

    @property
    def ref(self):
        return self.ref_for(self.pk)

    @staticmethod
    def ref_for(pk):
        return f"{REF_PREFIX}-{pk:04d}"

    @property
    def is_open(self):
        return self.status != IncidentStatus.RESOLVED

    @property
    def is_closed(self):
        return self.closed_at is not None

    @property
    def severity_code(self):
        return f"P{self.severity}"


class IncidentComponent(models.Model):
    """A component an incident affects, and the status the incident set it to."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status during the incident"),
        max_length=20,
        choices=ComponentStatus.choices,
        default=ComponentStatus.PARTIAL_OUTAGE,
    )

    class Meta:
        verbose_name = _("affected component")
        verbose_name_plural = _("affected components")
        constraints = [models.UniqueConstraint(fields=["incident", "component"], name="incident_component_once")]

    def __str__(self):
        return f"{self.component_id}: {self.status}"


class IncidentUpdateQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)

    def awaiting_notices(self):
        return self.filter(is_public=True, notices_sent_at__isnull=True)


class IncidentUpdate(models.Model):
    """One message on an incident's timeline: public (customers see it) or internal."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=16, choices=IncidentStatus.choices)
    body = models.TextField(_("message"))
    body_html = models.TextField(blank=True, editable=False)
    is_public = models.BooleanField(_("public"), default=True)
    is_first_notice = models.BooleanField(default=False, editable=False)
    is_follow_up = models.BooleanField(default=False, editable=False)
    # Posted while the incident's notices were held back by maintenance: customers were not sent it
    # (when the hold lifts, the latest such update goes out once as a catch-up: notices.write_catch_up_notices).
    held_back = models.BooleanField(default=False, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incident_updates", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("posted"), default=timezone.now)
    # Stamped in the transaction that wrote every customer notice of this update: a second run skips it.
    notices_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    notices_count = models.PositiveIntegerField(default=0, editable=False)

    objects = IncidentUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")
        indexes = [
            models.Index(fields=["incident", "created_at"], name="incupdate_incident_created"),
            models.Index(
                fields=["created_at"], name="incupdate_awaiting", condition=Q(is_public=True, notices_sent_at=None)
            ),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.status}: {self.body[:40]}"


class EventKind(models.TextChoices):
    DECLARED = "declared", _("Incident declared")
    UPDATE = "update", _("Update posted")
    TICKET_LINKED = "ticket_linked", _("Ticket linked")
    TICKET_OFFERED = "ticket_offered", _("Ticket offered for linking")
    TICKET_UNLINKED = "ticket_unlinked", _("Ticket unlinked")
    CADENCE_WARNING = "cadence_warning", _("Deadline close")
    CADENCE_MISS = "cadence_miss", _("Deadline missed")
    RESOLVED = "resolved", _("Incident resolved")
    NOTICES_HELD = "notices_held", _("Customer notices held back")
    NOTICES_RELEASED = "notices_released", _("Customer notices resumed")
    SEVERITY_CHANGED = "severity_changed", _("Severity or crisis level changed")
    REVIEW_COMPLETED = "review_completed", _("Post-incident review completed")
    CLOSED = "closed", _("Incident closed")


class IncidentEvent(models.Model):
    """One entry of an incident's append-only log (updates appear through their own event)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    update = models.OneToOneField(IncidentUpdate, on_delete=models.CASCADE, null=True, blank=True, related_name="event")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by events the sweep writes, so a second run cannot write them twice.
    key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["incident", "created_at"], name="incevent_incident_created")]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")

    def __str__(self):
        return f"{self.incident_id} {self.kind}"


class LinkState(models.TextChoices):
    OFFERED = "offered", _("Offered")
    LINKED = "linked", _("Linked")
    UNLINKED = "unlinked", _("Unlinked")


class IncidentTicketLinkQuerySet(models.QuerySet):
    def linked(self):
        return self.filter(state=LinkState.LINKED)

    def offered(self):
        return self.filter(state=LinkState.OFFERED)


class IncidentTicketLink(models.Model):
    """A ticket answered together with an incident: linked by hand, or offered automatically and accepted."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="incident_links")
    state = models.CharField(_("state"), max_length=10, choices=LinkState.choices, default=LinkState.LINKED)
    auto_offered = models.BooleanField(_("offered automatically"), default=False)
    offered_reason = models.CharField(_("why it was offered"), max_length=200, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    linked_at = models.DateTimeField(null=True, blank=True)
    unlinked_at = models.DateTimeField(null=True, blank=True)
    unlinked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = IncidentTicketLinkQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("linked ticket")
        verbose_name_plural = _("linked tickets")
        constraints = [models.UniqueConstraint(fields=["incident", "ticket"], name="incident_ticket_once")]

    def __str__(self):
        return f"{self.incident_id} ↔ {self.ticket_id} ({self.state})"


class DeadlineKind(models.TextChoices):
    FIRST_NOTICE = "first_notice", _("First customer notice")
    UPDATE = "update", _("Next update")
    RESOLUTION = "resolution", _("Resolution")
    FOLLOW_UP = "follow_up", _("Follow-up")


class CadenceDeadlineQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(met_at__isnull=True, missed_at__isnull=True, cancelled_at__isnull=True)

    def due_for_warning(self, now):
        return self.pending().filter(warned_at__isnull=True, warn_at__lte=now, due_at__gt=now)

    def due_for_miss(self, now):
        return self.pending().filter(due_at__lte=now)


class CadenceDeadline(models.Model):
    """One promise to customers with a due time: met, missed (once) or cancelled; warned once before."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(max_length=14, choices=DeadlineKind.choices)
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Written by the conditional UPDATE that claims a row, so a sweep reads back exactly what it claimed.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)

    objects = CadenceDeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("cadence deadline")
        verbose_name_plural = _("cadence deadlines")
        constraints = [
            models.UniqueConstraint(fields=["incident", "kind", "due_at"], name="deadline_once"),
        ]
        indexes = [
            models.Index(
                fields=["warn_at"],
                name="deadline_pending_warn",
                condition=Q(met_at=None, missed_at=None, cancelled_at=None, warned_at=None),
            ),
            models.Index(
                fields=["due_at"],
                name="deadline_pending_due",
                condition=Q(met_at=None, missed_at=None, cancelled_at=None),
            ),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.kind} due {self.due_at:%Y-%m-%d %H:%M}"


class CadenceMiss(models.Model):
    """A deadline that passed without its notice: recorded once, for the review and the managers."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="misses")
    deadline = models.OneToOneField(CadenceDeadline, on_delete=models.CASCADE, related_name="miss")
    kind = models.CharField(max_length=14, choices=DeadlineKind.choices)
    due_at = models.DateTimeField()
    detected_at = models.DateTimeField()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("cadence miss")
        verbose_name_plural = _("cadence misses")

    def __str__(self):
        return f"{self.incident_id} {self.kind} missed {self.due_at:%Y-%m-%d %H:%M}"


class StatusSubscriptionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)

    def following(self, component_ids):
        """Active subscriptions to every component, or to one of `component_ids`, each once."""
        return self.active().filter(Q(all_components=True) | Q(components__in=list(component_ids))).distinct()


class StatusSubscription(models.Model):
    """A visitor of the status page who asked for its updates by email: pending until confirmed by link.

    The confirmation token is sent once and stored only as its SHA-256, so a
    copy of the database confirms nobody; it is cleared when used. The
    unsubscribe token goes into every email, so it is kept as is: it
    reaches this one subscription and nothing else.
    """

    email = models.EmailField(_("email"))
    all_components = models.BooleanField(_("every component"), default=True)
    components = models.ManyToManyField(
        Component, blank=True, related_name="subscriptions", verbose_name=_("components")
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    confirm_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    confirm_expires_at = models.DateTimeField(_("confirm by"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribe_token = models.CharField(max_length=64, unique=True, editable=False)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    # SHA-256 of the requesting address: enough to rate-limit, without keeping anyone's IP.
    requested_from = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)

    objects = StatusSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("status page subscription")
        verbose_name_plural = _("status page subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True),
                name="status_subscription_one_active",
            ),
        ]
        indexes = [
            models.Index(fields=["email", "created_at"], name="statussub_email_created"),
            models.Index(fields=["requested_from", "created_at"], name="statussub_from_created"),
        ]

    def __str__(self):
        return self.email

    @property
    def is_active(self):
        return self.confirmed_at is not None and self.unsubscribed_at is None


# --- maintenance windows --------------------------------------------------------------------


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class MaintenanceStage(models.TextChoices):
    """The notices of a window, each sent once per recipient and revision."""

    WEEK = "week", _("A week before")
    SOON = "soon", _("Two hours before")
    STARTED = "started", _("At the start")
    COMPLETED = "completed", _("At completion")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")


class MaintenanceWindowQuerySet(models.QuerySet):
    def upcoming_or_active(self, now):
        """Scheduled windows still ahead and windows in progress, soonest first."""
        return self.filter(
            status__in=[MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS], ends_at__gt=now
        ).order_by("starts_at", "pk")

    def in_progress(self):
        return self.filter(status=MaintenanceStatus.IN_PROGRESS)

    def affecting_organization(self, organization_id):
        return self.filter(Q(all_organizations=True) | Q(organizations__id=organization_id)).distinct()

    def with_list_columns(self):
        return self.select_related("created_by").prefetch_related("components")


class MaintenanceWindow(models.Model):
    """Planned work on some components, announced ahead, switched on and off by the maintenance sweep.

    `revision` grows with every reschedule; notice keys carry it, so the
    reminders of a new time go out again while those of one time never
    repeat. The `*_notice_at` stamps are written by the conditional UPDATE
    that claims a stage, in the transaction that writes its notices.
    """

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    expected_impact = models.CharField(_("expected impact"), max_length=300, blank=True)
    components = models.ManyToManyField(
        Component, related_name="maintenance_windows", verbose_name=_("affected components")
    )
    all_organizations = models.BooleanField(_("notify every organization"), default=True)
    organizations = models.ManyToManyField(
        "helpdesk.Organization", blank=True, related_name="maintenance_windows", verbose_name=_("organizations")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"), max_length=12, choices=MaintenanceStatus.choices, default=MaintenanceStatus.SCHEDULED
    )
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    week_notice_at = models.DateTimeField(null=True, blank=True, editable=False)
    soon_notice_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, editable=False)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = MaintenanceWindowQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="maintenance_status_start")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incidents:maintenance-detail", args=[self.pk])

    @property
    def is_changeable(self):
        return self.status == MaintenanceStatus.SCHEDULED

    @property
    def anyone_told(self):
        """Whether a notice of this window has gone out, so a change must be announced."""
        return bool(self.week_notice_at or self.soon_notice_at or self.started_at)


class MaintenanceEvent(models.Model):
    """The log of a maintenance window: scheduled, rescheduled, cancelled, started, completed, notices."""

    window = models.ForeignKey(MaintenanceWindow, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("maintenance event")
        verbose_name_plural = _("maintenance events")

    def __str__(self):
        return f"{self.window_id} {self.kind}"

    @property
    def kind_label(self):
        return MAINTENANCE_EVENT_LABELS.get(self.kind, self.kind)


MAINTENANCE_EVENT_LABELS = {
    "scheduled": _("Scheduled"),
    "rescheduled": _("Rescheduled"),
    "cancelled": _("Cancelled"),
    "started": _("Started: components under maintenance"),
    "completed": _("Completed: components back"),
    "finished_early": _("Finished early"),
    "notice_week": _("Reminder sent (a week before)"),
    "notice_soon": _("Warning sent (two hours before)"),
}


# --- routine notices ------------------------------------------------------------------------


class RoutineFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class RoutineNoticeQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(is_active=True, next_run_at__lte=now)


class RoutineNotice(models.Model):
    """A recurring broadcast to an audience of customers: weekly on a weekday or monthly on a day, at a local time.

    The audience narrows by each list that is filled (tiers, organizations,
    languages); an empty list does not narrow. `next_run_at` is the next
    occurrence in UTC, kept up to date by the service, so the sweep selects
    the due ones in SQL.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    template = models.ForeignKey(
        "comms.MessageTemplate", on_delete=models.PROTECT, related_name="+", verbose_name=_("template")
    )
    message = models.TextField(
        _("message"), blank=True, help_text=_("Placed where the template says {{ routine_message }}.")
    )
    tiers = models.ManyToManyField("helpdesk.ServiceTier", blank=True, related_name="+", verbose_name=_("tiers"))
    organizations = models.ManyToManyField(
        "helpdesk.Organization", blank=True, related_name="+", verbose_name=_("organizations")
    )
    languages = models.JSONField(_("languages"), default=list, blank=True, help_text=_("Language codes; empty: all."))
    frequency = models.CharField(_("frequency"), max_length=8, choices=RoutineFrequency.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, default=Weekday.MONDAY)
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"), default=1, help_text=_("1 to 28, so that every month has it.")
    )
    send_time = models.TimeField(_("time of day"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RoutineNoticeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("routine notice")
        verbose_name_plural = _("routine notices")
        constraints = [
            models.CheckConstraint(condition=Q(day_of_month__gte=1, day_of_month__lte=28), name="routine_day_range"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="routine_weekday_range"),
        ]

    def __str__(self):
        return self.name


class RoutineRun(models.Model):
    """One send-out of a routine notice for one period; the unique period is the last guard against a repeat."""

    routine = models.ForeignKey(RoutineNotice, on_delete=models.CASCADE, related_name="runs")
    period = models.CharField(_("period"), max_length=16)
    due_at = models.DateTimeField(_("due"))
    ran_at = models.DateTimeField(_("ran"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    messages = models.PositiveIntegerField(_("messages"), default=0)
    key_prefix = models.CharField(_("outbox key prefix"), max_length=120)

    class Meta:
        ordering = ["-ran_at", "-pk"]
        verbose_name = _("routine run")
        verbose_name_plural = _("routine runs")
        constraints = [models.UniqueConstraint(fields=["routine", "period"], name="routine_run_once_per_period")]

    def __str__(self):
        return f"{self.routine_id} {self.period}"


# --- post-incident review -------------------------------------------------------------------


class PostIncidentReview(models.Model):
    """What happened and what we change: written after resolution, required to close a P1 or P2."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    summary = models.TextField(_("summary"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    actions_taken = models.TextField(_("actions taken"), blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("post-incident review")
        verbose_name_plural = _("post-incident reviews")

    def __str__(self):
        return f"{self.incident_id} review"


class FollowUpTask(models.Model):
    """An action the review commits to, with an owner and a due date."""

    review = models.ForeignKey(PostIncidentReview, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incident_tasks", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")

    def __str__(self):
        return self.title


# Proactive journey signals (issue 7) live in their own module; imported here so Django sees them.
from .journey.models import (  # noqa: E402, F401
    CustomerIdentity,
    Integration,
    OutreachRootCause,
    ProactiveCase,
    SignalEvent,
    SignalType,
    SystemicAlert,
)
