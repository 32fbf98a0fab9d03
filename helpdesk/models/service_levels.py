"""Service levels: calendars, SLA policies and targets, clocks, escalation.

Every figure here is data an admin edits; the defaults come from
`helpdesk.sla_defaults`. A ticket freezes the terms of its policy when it is
opened (`Ticket.sla_terms`), so editing a policy never rewrites the history
of tickets already running on it; the admin can ask to recompute open ones.
"""

import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Priority, SupportLevel


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), code="time_zone", params={"value": value})


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(models.Model):
    """When SLA clocks run: weekly hours and holidays in one time zone, or around the clock."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    always_open = models.BooleanField(
        _("around the clock (24×7)"), default=False, help_text=_("Every hour counts; weekly hours are ignored.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    def to_snapshot(self):
        """The calendar as plain data, frozen into a ticket's SLA terms. Reads hours and holidays."""
        hours = {}
        for window in self.hours.all():
            closes = "24:00" if window.closes == time(0) else window.closes.strftime("%H:%M")
            hours.setdefault(str(window.weekday), []).append([window.opens.strftime("%H:%M"), closes])
        return {
            "name": self.name,
            "time_zone": self.time_zone,
            "always_open": self.always_open,
            "hours": hours,
            "holidays": sorted(h.date.isoformat() for h in self.holidays.all()),
        }


class BusinessHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"), help_text=_("00:00 means midnight, the end of the day."))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")) | Q(closes=time(0)), name="business_hours_closes_after_opens"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self):
        if self.opens and self.closes and self.closes != time(0) and self.closes <= self.opens:
            raise ValidationError({"closes": _("Closing time must be after opening time.")}, code="order")


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_day")]

    def __str__(self):
        return f"{self.date} {self.name}"


class SlaPolicy(models.Model):
    """Targets per priority and tier, measured in a calendar."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("calendar")
    )
    is_default = models.BooleanField(
        _("default policy"), default=False, help_text=_("Used for tiers that name no policy of their own.")
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warn when used (%)"), default=75, help_text=_("Warn when this share of a target's time is used up.")
    )
    escalation_grace_minutes = models.PositiveIntegerField(
        _("extra resolution time on escalation (minutes)"),
        default=240,
        help_text=_("Granted once per escalation of a ticket that is not critical; 0 grants none."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_sla_policy"),
            models.CheckConstraint(condition=Q(warn_percent__gte=1, warn_percent__lte=99), name="sla_warn_percent"),
        ]

    def __str__(self):
        return self.name


class SlaTarget(models.Model):
    """One row of a policy's matrix: targets for a priority, for one tier or for any tier."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    tier = models.ForeignKey(
        "helpdesk.ServiceTier",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_targets",
        verbose_name=_("tier"),
        help_text=_("Empty: every tier without a row of its own."),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"))
    next_response_minutes = models.PositiveIntegerField(
        _("next response (minutes)"), help_text=_("How often the customer must hear from us while the ticket is open.")
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"))
    around_the_clock = models.BooleanField(
        _("around the clock"), default=False, help_text=_("Count every hour for this priority, not the calendar's.")
    )

    class Meta:
        ordering = ["policy", "tier", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "tier", "priority"], condition=Q(tier__isnull=False), name="sla_target_per_tier"
            ),
            models.UniqueConstraint(
                fields=["policy", "priority"], condition=Q(tier__isnull=True), name="sla_target_any_tier"
            ),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0, next_response_minutes__gt=0, resolution_minutes__gt=0),
                name="sla_target_positive",
            ),
        ]

    def __str__(self):
        return f"{self.policy} · {self.tier or _('any tier')} · {self.get_priority_display()}"


class LevelTarget(models.Model):
    """After a handoff, how soon the receiving level acknowledges and how often it updates."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="level_targets")
    level = models.PositiveSmallIntegerField(_("support level"), choices=SupportLevel.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    acknowledge_minutes = models.PositiveIntegerField(_("acknowledge within (minutes)"))
    update_minutes = models.PositiveIntegerField(_("update every (minutes)"))

    class Meta:
        ordering = ["policy", "level", "priority"]
        verbose_name = _("support level target")
        verbose_name_plural = _("support level targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "level", "priority"], name="level_target_once"),
            models.CheckConstraint(
                condition=Q(acknowledge_minutes__gt=0, update_minutes__gt=0), name="level_target_positive"
            ),
        ]

    def __str__(self):
        return f"{self.policy} · {self.get_level_display()} · {self.get_priority_display()}"


class EscalationTrigger(models.TextChoices):
    TIME = "time", _("Time at a level without resolution")
    PRIORITY = "priority", _("Priority when opened or raised")
    CATEGORY = "category", _("Category")


class EscalationRule(models.Model):
    """An automatic escalation: after time at a level, or at once for a priority or category."""

    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(_("active"), default=True)
    trigger = models.CharField(_("trigger"), max_length=10, choices=EscalationTrigger.choices)
    from_level = models.PositiveSmallIntegerField(_("from level"), choices=SupportLevel.choices, null=True, blank=True)
    after_minutes = models.PositiveIntegerField(
        _("after (minutes)"),
        null=True,
        blank=True,
        help_text=_("Business time at the level, in the ticket's calendar."),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, null=True, blank=True)
    category = models.ForeignKey(
        "helpdesk.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    to_level = models.PositiveSmallIntegerField(_("to level"), choices=SupportLevel.choices, null=True, blank=True)
    to_queue = models.ForeignKey(
        "helpdesk.Queue", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("to queue")
    )

    class Meta:
        ordering = ["trigger", "from_level", "priority", "name"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger="time") | Q(from_level__isnull=False, after_minutes__gt=0, to_level__isnull=False),
                name="escalation_time_rule_complete",
            ),
            models.CheckConstraint(
                condition=~Q(trigger="priority") | Q(priority__isnull=False), name="escalation_priority_rule_complete"
            ),
            models.CheckConstraint(
                condition=~Q(trigger="category") | Q(category__isnull=False), name="escalation_category_rule_complete"
            ),
            models.CheckConstraint(
                condition=Q(to_level__isnull=False) | Q(to_queue__isnull=False), name="escalation_rule_has_target"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.trigger == EscalationTrigger.TIME:
            if self.from_level is None:
                errors["from_level"] = _("A time rule needs the level it starts from.")
            if not self.after_minutes:
                errors["after_minutes"] = _("A time rule needs a number of minutes.")
            if self.to_level is None:
                errors["to_level"] = _("A time rule needs the level it escalates to.")
            elif self.from_level is not None and self.to_level <= self.from_level:
                errors["to_level"] = _("Escalation goes to a higher level.")
        if self.trigger == EscalationTrigger.PRIORITY and self.priority is None:
            errors["priority"] = _("A priority rule needs a priority.")
        if self.trigger == EscalationTrigger.CATEGORY and self.category_id is None:
            errors["category"] = _("A category rule needs a category.")
        if self.to_level is None and self.to_queue_id is None:
            errors["to_level"] = _("Name a level or a queue to escalate to.")
        if errors:
            raise ValidationError(errors)


class ClockTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First reply")
    NEXT_RESPONSE = "next_response", _("Next reply")
    RESOLUTION = "resolution", _("Resolution")
    ACKNOWLEDGEMENT = "acknowledgement", _("Handoff acknowledgement")


class SlaClockQuerySet(models.QuerySet):
    def running(self):
        return self.filter(met_at__isnull=True, stopped_at__isnull=True)

    def ticking(self):
        """Running and not paused: the clocks the sweep looks at."""
        return self.running().filter(paused_at__isnull=True)

    def due_for_warning(self, now):
        return self.ticking().filter(warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now)

    def due_for_breach(self, now):
        return self.ticking().filter(breached_at__isnull=True, due_at__lte=now)


class SlaClock(models.Model):
    """One target of one ticket, from start to met, breached or stopped.

    Next-response and acknowledgement targets recur: each cycle is a row of
    its own, so every reply is measured and a report counts every miss.
    """

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="clocks")
    target = models.CharField(max_length=20, choices=ClockTarget.choices)
    cycle = models.PositiveSmallIntegerField(default=1)
    target_minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True, help_text=_("No longer applies (e.g. ticket resolved)."))
    level = models.PositiveSmallIntegerField(choices=SupportLevel.choices, help_text=_("Level holding the ticket."))
    breached_level = models.PositiveSmallIntegerField(choices=SupportLevel.choices, null=True, blank=True)

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "cycle"], name="sla_clock_once_per_cycle"),
        ]
        indexes = [
            # The sweep's two searches, each over running clocks only.
            models.Index(
                fields=["warn_at"],
                name="sla_clock_warn_pending",
                condition=Q(
                    met_at__isnull=True, stopped_at__isnull=True, paused_at__isnull=True, warned_at__isnull=True
                ),
            ),
            models.Index(
                fields=["due_at"],
                name="sla_clock_breach_pending",
                condition=Q(
                    met_at__isnull=True, stopped_at__isnull=True, paused_at__isnull=True, breached_at__isnull=True
                ),
            ),
            models.Index(fields=["ticket", "target", "-cycle"], name="sla_clock_ticket_target"),
            # The manager's dashboard: settled targets by start, and breaches by start.
            models.Index(
                fields=["target", "started_at", "ticket", "met_at", "breached_at"],
                name="sla_clock_settled",
                condition=Q(met_at__isnull=False) | Q(breached_at__isnull=False),
            ),
            models.Index(
                fields=["started_at", "target", "breached_at", "breached_level"],
                name="sla_clock_breached",
                condition=Q(breached_at__isnull=False),
            ),
            # Targets settled since the dashboard's rollup was last refreshed.
            models.Index(fields=["met_at"], name="sla_clock_met_at", condition=Q(met_at__isnull=False)),
            models.Index(fields=["breached_at"], name="sla_clock_breached_at", condition=Q(breached_at__isnull=False)),
            models.Index(fields=["target", "started_at"], name="sla_clock_target_started"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.target} #{self.cycle}"

    @property
    def is_running(self):
        return self.met_at is None and self.stopped_at is None

    def state(self):
        if self.breached_at:
            return "breached"
        if self.met_at:
            return "met"
        if self.stopped_at:
            return "stopped"
        if self.paused_at:
            return "paused"
        return "running"


class IntervalKind(models.TextChoices):
    PAUSE = "pause", _("Clock paused")
    LEVEL = "level", _("Held by a support level")


class SlaInterval(models.Model):
    """A span of a ticket's life: a pause of its clocks, or one support level's ownership."""

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="sla_intervals")
    kind = models.CharField(max_length=10, choices=IntervalKind.choices)
    level = models.PositiveSmallIntegerField(choices=SupportLevel.choices, null=True, blank=True)
    reason = models.CharField(max_length=20, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("SLA interval")
        verbose_name_plural = _("SLA intervals")
        indexes = [models.Index(fields=["ticket", "kind", "started_at"], name="sla_interval_ticket")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "kind"], condition=Q(ended_at__isnull=True), name="sla_interval_one_open_per_kind"
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class HandoffKind(models.TextChoices):
    MANUAL = "manual", _("Escalated by an agent")
    TIME = "time", _("Escalated after time at the level")
    PRIORITY = "priority", _("Escalated for its priority")
    CATEGORY = "category", _("Routed for its category")
    CUSTOMER = "customer", _("Escalated at the customer's request")
    DEESCALATION = "deescalation", _("Handed back to a lower level")


class Handoff(models.Model):
    """The package that travels with an escalation, so the next level starts informed."""

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="handoffs")
    kind = models.CharField(max_length=12, choices=HandoffKind.choices)
    from_level = models.PositiveSmallIntegerField(choices=SupportLevel.choices)
    to_level = models.PositiveSmallIntegerField(choices=SupportLevel.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    summary = models.TextField(_("summary"))
    impact = models.TextField(_("customer impact"), blank=True)
    steps_tried = models.TextField(_("steps already tried"), blank=True)
    next_step = models.TextField(_("proposed next step"), blank=True)
    communication = models.TextField(_("customer communication so far"), blank=True)
    acknowledge_due = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set by automatic escalations, so a second sweep cannot write the same handoff twice.
    key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        indexes = [
            models.Index(fields=["ticket", "-created_at"], name="handoff_ticket_created"),
            models.Index(
                fields=["to_level", "created_at"],
                name="handoff_unacknowledged",
                condition=Q(acknowledged_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} L{self.from_level}→L{self.to_level}"


class EscalationRequest(models.Model):
    """A customer asks, from the portal, for their ticket to be escalated; the team must answer."""

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="escalation_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answer = models.TextField(_("answer"), blank=True)
    escalated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("escalation request")
        verbose_name_plural = _("escalation requests")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(answered_at__isnull=True), name="one_open_escalation_request"
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.created_at:%Y-%m-%d}"


class SweepLease(models.Model):
    """Who is running a periodic sweep right now; a second worker skips instead of doubling the work.

    Correctness never depends on it (every sweep step is guarded by a state
    change and unique keys); it only saves the duplicate effort.
    """

    name = models.CharField(max_length=40, unique=True)
    holder = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name


class SlaDailyCount(models.Model):
    """Settled first-response and resolution targets per day of start and per dimension.

    The dashboard's compliance over whole past days, precomputed by
    `helpdesk.rollup` every few minutes (its ticket dimensions are those at the
    last refresh); the period's partial first day and today are counted live.
    Plain ids rather than foreign keys: rows are rebuilt wholesale, never edited.
    """

    day = models.DateField()
    target = models.CharField(max_length=20, choices=ClockTarget.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    tier_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)
    met = models.PositiveIntegerField()
    breached = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("daily SLA count")
        verbose_name_plural = _("daily SLA counts")
        # Covering: the dashboard's sums read the index alone.
        indexes = [
            models.Index(
                fields=["day", "target", "priority", "tier_id", "team_id", "assignee_id", "met", "breached"],
                name="sla_daily_day",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.target}"


class SlaRollupDay(models.Model):
    """One day the compliance rollup covers, and the moment its counts were taken.

    Every target started that day and settled by `as_of` is in `SlaDailyCount`;
    the dashboard counts the ones settling later live. A day without a row is
    counted live entirely.
    """

    day = models.DateField(unique=True)
    as_of = models.DateTimeField()

    class Meta:
        verbose_name = _("SLA rollup day")
        verbose_name_plural = _("SLA rollup days")

    def __str__(self):
        return f"{self.day} as of {self.as_of:%Y-%m-%d %H:%M}"
