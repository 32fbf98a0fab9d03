"""Routine notices: recurring broadcasts an admin defines, sent once per period by the minute sweep.

A routine's occurrences are "weekly on a weekday at a time" or "monthly on
a day at a time", in its own time zone. The sweep selects the routines whose
`next_run_at` has come (one query), claims each by moving `next_run_at` on
with a conditional UPDATE, records the period's RoutineRun (unique per
routine and period: the last guard) and writes the notices in the same
transaction. A late sweep sends the current period once and skips the
periods it slept through: a weekly update three weeks late is one update,
not three.
"""

import calendar
import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from comms.models import OutboundChannel
from comms.services import build_message, channel_key, choose_channels, deliverable_channels
from comms.templating import render, render_subject
from helpdesk.models import Role, User

from .defaults import MAINTENANCE_SHOWN_DAYS_AHEAD
from .models import Incident, MaintenanceWindow, RoutineFrequency, RoutineNotice, RoutineRun
from .outbox import insert_ignoring_existing

CONTACT_FIELDS = (
    "pk",
    "username",
    "first_name",
    "last_name",
    "email",
    "language",
    "preferred_channel",
    "backup_channel",
    "organization__name",
    "organization__tier__allowed_channels",
)


def _zone(routine):
    try:
        return zoneinfo.ZoneInfo(routine.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _add_months(day, months):
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def latest_occurrence(routine, now):
    """(period, when) of the last occurrence at or before `now`: period "2026-W10" or "2026-03"."""
    zone = _zone(routine)
    today = now.astimezone(zone).date()
    if routine.frequency == RoutineFrequency.WEEKLY:
        day = today - timedelta(days=(today.weekday() - routine.weekday) % 7)
        when = datetime.combine(day, routine.send_time, tzinfo=zone)
        if when > now:
            day -= timedelta(days=7)
            when = datetime.combine(day, routine.send_time, tzinfo=zone)
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}", when
    month = today.replace(day=1)
    when = datetime.combine(month.replace(day=routine.day_of_month), routine.send_time, tzinfo=zone)
    if when > now:
        month = _add_months(month, -1)
        when = datetime.combine(month.replace(day=routine.day_of_month), routine.send_time, tzinfo=zone)
    return f"{month:%Y-%m}", when


def next_occurrence(routine, now):
    """The first occurrence strictly after `now`, in UTC."""
    _period, last = latest_occurrence(routine, now)
    zone = _zone(routine)
    local = last.astimezone(zone)
    if routine.frequency == RoutineFrequency.WEEKLY:
        day = local.date() + timedelta(days=7)
    else:
        day = _add_months(local.date().replace(day=1), 1).replace(day=routine.day_of_month)
    return datetime.combine(day, routine.send_time, tzinfo=zone).astimezone(zoneinfo.ZoneInfo("UTC"))


def schedule_routine(routine, *, now=None):
    """Set the routine's next run after `now` (after an admin creates or edits it)."""
    now = now or timezone.now()
    routine.next_run_at = next_occurrence(routine, now)
    RoutineNotice.objects.filter(pk=routine.pk).update(next_run_at=routine.next_run_at)
    return routine.next_run_at


def audience(routine):
    """Active customers narrowed by each filled list of the routine (tiers, organizations, languages)."""
    people = User.objects.filter(role=Role.CUSTOMER, is_active=True, organization__isnull=False)
    tiers = [t.pk for t in routine.tiers.all()]
    organizations = [o.pk for o in routine.organizations.all()]
    if tiers:
        people = people.filter(organization__tier__in=tiers)
    if organizations:
        people = people.filter(organization__in=organizations)
    if routine.languages:
        people = people.filter(language__in=list(routine.languages))
    return people.order_by("pk").values(*CONTACT_FIELDS)


def send_due_routines(*, now=None):
    """Run every routine whose time has come; returns the runs written."""
    now = now or timezone.now()
    due = RoutineNotice.objects.due(now).select_related("template").prefetch_related("tiers", "organizations")
    return [run for routine in due if (run := run_routine(routine, now=now)) is not None]


def run_routine(routine, *, now=None):
    """Send the current period of one routine if it has not gone yet; None when another run took it."""
    now = now or timezone.now()
    period, due_at = latest_occurrence(routine, now)
    key_prefix = f"routine:{routine.pk}:{period}:"
    try:
        with transaction.atomic():
            claimed = RoutineNotice.objects.filter(pk=routine.pk, next_run_at=routine.next_run_at).update(
                next_run_at=next_occurrence(routine, now)
            )
            if not claimed or RoutineRun.objects.filter(routine=routine, period=period).exists():
                return None
            rows, recipients = _rows(routine, period, due_at, key_prefix, now)
            run = RoutineRun.objects.create(
                routine=routine,
                period=period,
                due_at=due_at,
                ran_at=now,
                recipients=recipients,
                messages=len(rows),
                key_prefix=key_prefix,
            )
            insert_ignoring_existing(rows)
    except IntegrityError:
        return None  # a concurrent run recorded this period first
    return run


def _period_start(routine, due_at):
    if routine.frequency == RoutineFrequency.WEEKLY:
        return due_at - timedelta(days=7)
    local = due_at.astimezone(_zone(routine))
    previous = _add_months(local.date().replace(day=1), -1)
    days = calendar.monthrange(previous.year, previous.month)[1]
    return due_at - timedelta(days=days)


def period_label(routine, due_at, language):
    """The period as a reader says it, in `language`: the week's Monday ("2 March 2026") or the month.

    The template puts the words around it ("week of …"), so no sentence is
    assembled here from pieces of two languages.
    """
    day = due_at.astimezone(_zone(routine)).date()
    with translation.override(language):
        if routine.frequency == RoutineFrequency.WEEKLY:
            return date_format(day - timedelta(days=day.weekday()), "DATE_FORMAT")
        return date_format(day, "YEAR_MONTH_FORMAT")


def _rows(routine, period, due_at, key_prefix, now):
    from .notices import Texts

    texts = Texts(routine.template)
    labels = {}
    shared = {
        "routine_name": routine.name,
        "routine_message": routine.message,
        "incident_count": str(
            Incident.objects.public()
            .filter(declared_at__gte=_period_start(routine, due_at), declared_at__lt=due_at)
            .count()
        ),
        "maintenance_count": str(
            MaintenanceWindow.objects.upcoming_or_active(now)
            .filter(starts_at__lte=now + timedelta(days=MAINTENANCE_SHOWN_DAYS_AHEAD))
            .count()
        ),
        "status_page_url": settings.FIRSTLINE_SITE_URL + reverse("status:page"),
        "site_url": settings.FIRSTLINE_SITE_URL,
    }
    rows, recipients, channels_for = [], 0, {}
    for row in audience(routine):
        recipients += 1
        subject, body, _short, used = texts.get(row["language"] or settings.LANGUAGE_CODE)
        name = " ".join(filter(None, [row["first_name"], row["last_name"]])) or row["username"]
        if used not in labels:
            labels[used] = period_label(routine, due_at, used)
        mine = {
            **shared,
            "period_label": labels[used],
            "customer_name": name,
            "organization": row["organization__name"],
        }
        allowed = tuple(row["organization__tier__allowed_channels"] or ())
        combo = (allowed, row["preferred_channel"], row["backup_channel"])
        if combo not in channels_for:
            chosen = choose_channels(severity="routine", allowed=allowed, preferred=combo[1], backup=combo[2])
            # A broadcast is long text: it goes where long text reads well.
            channels_for[combo] = [
                c for c in deliverable_channels(chosen) if c in (OutboundChannel.EMAIL, OutboundChannel.PORTAL)
            ]
        for channel in channels_for[combo]:
            to = row["email"] if channel == OutboundChannel.EMAIL else str(row["pk"])
            if not to:
                continue
            try:
                rows.append(
                    build_message(
                        channel=channel,
                        key=channel_key(f"{key_prefix}user:{row['pk']}", channel),
                        to=to,
                        subject=render_subject(subject, mine),
                        body=render(body, mine),
                        recipient_user_id=row["pk"],
                        reference=f"routine-{routine.pk}",
                        template_slug=routine.template.slug,
                        language=used,
                        now=now,
                    )
                )
            except ValueError:
                continue
    return rows, recipients
