"""Maintenance windows: scheduling, rescheduling and cancelling, and the minute sweep that runs them.

Notices go to the affected organizations' customers (all organizations, or
the chosen ones) on the routine channels, and to the status page's
subscribers who follow an affected component: a week before, two hours
before, at the start and at completion, and when the window is rescheduled
or cancelled. Each notice is keyed by window, revision, stage and recipient,
so a second run writes nothing; each reminder stage is claimed by a
conditional UPDATE that stamps it in the transaction that writes its
notices, so a killed run leaves neither stamp nor notice and is done again.

A late sweep sends only what still makes sense: a window it finds already
started gets the start notice but no reminders, one it finds already over
gets only the completion notice.
"""

import uuid
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comms.models import OutboundChannel
from comms.services import build_message, channel_key, choose_channels, deliverable_channels
from comms.templating import render, render_subject
from helpdesk.models import Role, User

from . import defaults
from .models import (
    OPEN_INCIDENT_STATUSES,
    Component,
    ComponentStatus,
    Incident,
    IncidentComponent,
    MaintenanceEvent,
    MaintenanceStage,
    MaintenanceStatus,
    MaintenanceWindow,
    StatusSubscription,
)
from .outbox import insert_ignoring_existing

SLUGS = {stage: f"maintenance-{stage}" for stage in MaintenanceStage.values}
CONTACT_FIELDS = (
    "pk",
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "language",
    "time_zone",
    "preferred_channel",
    "backup_channel",
    "organization__name",
    "organization__tier__allowed_channels",
)


class MaintenanceError(Exception):
    """A rule refused the change (the message says which)."""


def week_before():
    return timedelta(
        hours=getattr(settings, "FIRSTLINE_MAINTENANCE_WEEK_BEFORE_HOURS", None)
        or defaults.MAINTENANCE_WEEK_BEFORE_HOURS
    )


def soon_before():
    return timedelta(
        hours=getattr(settings, "FIRSTLINE_MAINTENANCE_SOON_BEFORE_HOURS", None)
        or defaults.MAINTENANCE_SOON_BEFORE_HOURS
    )


def _event(window, actor, kind, now, **data):
    MaintenanceEvent.objects.create(window=window, actor=actor, kind=kind, data=data, created_at=now)


def _check_times(starts_at, ends_at, now):
    if ends_at <= starts_at:
        raise MaintenanceError(_("The window must end after it starts."))
    if ends_at <= now:
        raise MaintenanceError(_("The window would already be over; choose a time in the future."))


# --- services ---------------------------------------------------------------------------------


def schedule_maintenance(
    actor,
    *,
    title,
    starts_at,
    ends_at,
    components,
    description="",
    expected_impact="",
    all_organizations=True,
    organizations=(),
    now=None,
):
    """Plan a window on some components; its reminders and switches follow from the sweep."""
    now = now or timezone.now()
    _check_times(starts_at, ends_at, now)
    components = list(components)
    if not components:
        raise MaintenanceError(_("Choose at least one affected component."))
    if not all_organizations and not organizations:
        raise MaintenanceError(_("Choose the organizations to notify, or every organization."))
    with transaction.atomic():
        window = MaintenanceWindow.objects.create(
            title=title.strip(),
            description=description.strip(),
            expected_impact=expected_impact.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            all_organizations=all_organizations,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        window.components.set(components)
        if not all_organizations:
            window.organizations.set(organizations)
        _event(window, actor, "scheduled", now, starts=starts_at.isoformat(), ends=ends_at.isoformat())
    return window


def reschedule_maintenance(actor, window, *, starts_at, ends_at, now=None):
    """Move a window that has not started; a new revision, announced if anyone had already been told.

    The reminders whose moment has already come for the new time count as
    given by the reschedule notice; the others go out again at their time.
    A window nobody has heard of yet is simply moved.
    """
    now = now or timezone.now()
    _check_times(starts_at, ends_at, now)
    with transaction.atomic():
        window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
        if not window.is_changeable:
            raise MaintenanceError(_("Only a window that has not started can be rescheduled."))
        if (window.starts_at, window.ends_at) == (starts_at, ends_at):
            return window
        previous = window.starts_at
        announce = window.anyone_told
        window.revision += 1
        window.starts_at, window.ends_at, window.updated_at = starts_at, ends_at, now
        if announce:
            window.week_notice_at = now if starts_at - week_before() <= now else None
            window.soon_notice_at = now if starts_at - soon_before() <= now else None
        else:
            window.week_notice_at = window.soon_notice_at = None
        window.save(
            update_fields=["revision", "starts_at", "ends_at", "updated_at", "week_notice_at", "soon_notice_at"]
        )
        _event(
            window,
            actor,
            "rescheduled",
            now,
            revision=window.revision,
            starts=starts_at.isoformat(),
            ends=ends_at.isoformat(),
            previous=previous.isoformat(),
            announced=announce,
        )
        if announce:
            _write_notices([window], MaintenanceStage.RESCHEDULED, now, previous={window.pk: previous})
    return window


def cancel_maintenance(actor, window, *, now=None):
    """Call off a window that has not started; its recipients hear so if they had heard of it."""
    now = now or timezone.now()
    with transaction.atomic():
        window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
        if not window.is_changeable:
            raise MaintenanceError(_("Only a window that has not started can be cancelled."))
        window.status, window.cancelled_at, window.updated_at = MaintenanceStatus.CANCELLED, now, now
        window.save(update_fields=["status", "cancelled_at", "updated_at"])
        _event(window, actor, "cancelled", now, announced=window.anyone_told)
        if window.anyone_told:
            _write_notices([window], MaintenanceStage.CANCELLED, now)
    return window


def finish_maintenance(actor, window, *, now=None):
    """End a window in progress early: components come back and the completion notice goes out now."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = MaintenanceWindow.objects.filter(pk=window.pk, status=MaintenanceStatus.IN_PROGRESS).update(
            ends_at=now, updated_at=now
        )
        if not changed:
            raise MaintenanceError(_("Only a window in progress can be finished."))
        _event(window, actor, "finished_early", now)
    _complete(now, only=[window.pk])
    window.refresh_from_db()
    return window


def covering_window(component_ids):
    """The in-progress window under which every one of these components is, or None (the latest to end)."""
    component_ids = set(component_ids)
    if not component_ids:
        return None
    rows = (
        MaintenanceWindow.objects.in_progress()
        .filter(components__in=component_ids)
        .values_list("pk", "ends_at", "components")
    )
    covered, windows = set(), {}
    for pk, ends_at, component_id in rows:
        covered.add(component_id)
        windows[pk] = ends_at
    if not component_ids <= covered:
        return None
    return MaintenanceWindow.objects.get(pk=max(windows, key=windows.get))


# --- the sweep ---------------------------------------------------------------------------------


def sweep_maintenance(*, now=None):
    """Complete, start and remind, in that order, each set-wise; returns how many windows each step took."""
    now = now or timezone.now()
    return {
        "completed": _complete(now),
        "started": _start(now),
        "soon": _remind(now, MaintenanceStage.SOON),
        "week": _remind(now, MaintenanceStage.WEEK),
    }


def _claim(queryset, **stamp):
    token = uuid.uuid4().hex
    claimed = queryset.update(claim_token=token, **stamp)
    return list(MaintenanceWindow.objects.filter(claim_token=token).prefetch_related("components")) if claimed else []


def _remind(now, stage):
    scheduled = MaintenanceWindow.objects.filter(status=MaintenanceStatus.SCHEDULED, starts_at__gt=now)
    if stage == MaintenanceStage.SOON:
        due = scheduled.filter(soon_notice_at__isnull=True, starts_at__lte=now + soon_before())
        stamp = {"soon_notice_at": now}
    else:
        due = scheduled.filter(
            week_notice_at__isnull=True,
            soon_notice_at__isnull=True,
            starts_at__lte=now + week_before(),
            starts_at__gt=now + soon_before(),
        )
        stamp = {"week_notice_at": now}
    with transaction.atomic():
        windows = _claim(due, **stamp)
        _write_notices(windows, stage, now)
        for window in windows:
            _event(window, None, f"notice_{stage}", now, revision=window.revision)
    return len(windows)


def _held_components():
    return IncidentComponent.objects.filter(incident__status__in=OPEN_INCIDENT_STATUSES).values("component")


def _start(now):
    due = MaintenanceWindow.objects.filter(status=MaintenanceStatus.SCHEDULED, starts_at__lte=now, ends_at__gt=now)
    with transaction.atomic():
        windows = _claim(due, status=MaintenanceStatus.IN_PROGRESS, started_at=now, updated_at=now)
        if not windows:
            return 0
        ids = [w.pk for w in windows]
        # An outage an open incident shows says more than "maintenance": those components keep it.
        Component.objects.filter(maintenance_windows__in=ids).exclude(pk__in=_held_components()).update(
            status=ComponentStatus.MAINTENANCE, status_changed_at=now
        )
        _write_notices(windows, MaintenanceStage.STARTED, now)
        for window in windows:
            _event(window, None, "started", now)
    return len(windows)


def _complete(now, only=None):
    due = MaintenanceWindow.objects.filter(
        status__in=[MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS], ends_at__lte=now
    )
    if only is not None:
        due = due.filter(pk__in=only)
    with transaction.atomic():
        windows = _claim(due, status=MaintenanceStatus.COMPLETED, completed_at=now, updated_at=now)
        if not windows:
            return 0
        ids = [w.pk for w in windows]
        still = MaintenanceWindow.objects.in_progress().exclude(pk__in=ids).values("components")
        Component.objects.filter(maintenance_windows__in=ids, status=ComponentStatus.MAINTENANCE).exclude(
            pk__in=_held_components()
        ).exclude(pk__in=still).update(status=ComponentStatus.OPERATIONAL, status_changed_at=now)
        _write_notices(windows, MaintenanceStage.COMPLETED, now)
        for window in windows:
            _event(window, None, "completed", now)
        from .services import release_notices

        for incident in Incident.objects.filter(notices_held_by__in=ids):
            release_notices(None, incident, now=now)
    return len(windows)


# --- notices -------------------------------------------------------------------------------------


def _format(when, zone_name):
    try:
        zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def customer_contacts(window):
    people = User.objects.filter(role=Role.CUSTOMER, is_active=True, organization__isnull=False)
    if not window.all_organizations:
        people = people.filter(organization__in=window.organizations.all())
    return people.order_by("pk").values(*CONTACT_FIELDS)


def _name(row):
    return " ".join(filter(None, [row["first_name"], row["last_name"]])) or row["username"]


def _write_notices(windows, stage, now, previous=None):
    rows = []
    for window in windows:
        rows += notice_rows(window, stage, now, previous=(previous or {}).get(window.pk))
    insert_ignoring_existing(rows)
    if rows:
        from .notices import _wake_delivery

        transaction.on_commit(_wake_delivery)
    return len(rows)


def notice_rows(window, stage, now, *, previous=None):
    """Unsaved outbox rows of one stage of one window: every customer contact, then every subscriber."""
    from .notices import Texts, template_for

    texts = Texts(template_for(SLUGS[stage]))
    components = list(window.components.all())
    status_url = settings.FIRSTLINE_SITE_URL + reverse("status:page")
    base = {
        "maintenance_title": window.title,
        "maintenance_description": window.description,
        "expected_impact": window.expected_impact or "—",
        "affected_systems": ", ".join(c.name for c in components),
        "status_page_url": status_url,
        "site_url": settings.FIRSTLINE_SITE_URL,
    }
    prefix = f"maintenance:{window.pk}:r{window.revision}:{stage}"
    link = reverse("status:page") + f"#maintenance-{window.pk}"
    rows = []
    channels_for = {}

    def timed(zone):
        return {
            "window_start": _format(window.starts_at, zone),
            "window_end": _format(window.ends_at, zone),
            "previous_start": _format(previous, zone) if previous else "",
        }

    for row in customer_contacts(window):
        subject, body, short, used = texts.get(row["language"] or settings.LANGUAGE_CODE)
        with translation.override(used):
            note = _("You receive this as a contact of %(organization)s.") % {"organization": row["organization__name"]}
        mine = {
            **base,
            **timed(row["time_zone"]),
            "customer_name": _name(row),
            "organization": row["organization__name"],
            "recipient_note": note,
        }
        allowed = tuple(row["organization__tier__allowed_channels"] or ())
        combo = (allowed, row["preferred_channel"], row["backup_channel"])
        if combo not in channels_for:
            channels_for[combo] = deliverable_channels(
                choose_channels(severity="routine", allowed=allowed, preferred=combo[1], backup=combo[2])
            )
        for channel in channels_for[combo]:
            to = {OutboundChannel.EMAIL: row["email"], OutboundChannel.SMS: row["phone"]}.get(channel, str(row["pk"]))
            if not to:
                continue
            text = render_subject(short or subject, mine) if channel in ("sms", "push") else render(body, mine)
            try:
                rows.append(
                    build_message(
                        channel=channel,
                        key=channel_key(f"{prefix}:user:{row['pk']}", channel),
                        to=to,
                        subject=render_subject(subject, mine),
                        body=text,
                        recipient_user_id=row["pk"],
                        reference=f"maintenance-{window.pk}",
                        template_slug=texts.template.slug,
                        language=used,
                        link=link if channel != OutboundChannel.EMAIL else "",
                        now=now,
                    )
                )
            except ValueError:
                continue  # one unusable address does not hold back the others
    subscriptions = (
        StatusSubscription.objects.following([c.pk for c in components])
        .order_by("pk")
        .only("pk", "email", "language", "unsubscribe_token")
    )
    for subscription in subscriptions:
        subject, body, _short, used = texts.get(subscription.language or settings.LANGUAGE_CODE)
        unsubscribe = settings.FIRSTLINE_SITE_URL + reverse("status:unsubscribe", args=[subscription.unsubscribe_token])
        with translation.override(used):
            note = _("You follow these components on our status page. Unsubscribe in one click: %(url)s") % {
                "url": unsubscribe
            }
        mine = {**base, **timed("UTC"), "customer_name": "", "recipient_note": note}
        try:
            rows.append(
                build_message(
                    channel=OutboundChannel.EMAIL,
                    key=f"{prefix}:subscription:{subscription.pk}",
                    to=subscription.email,
                    subject=render_subject(subject, mine),
                    body=render(body, mine),
                    reference=f"maintenance-{window.pk}",
                    template_slug=texts.template.slug,
                    language=used,
                    now=now,
                )
            )
        except ValueError:
            continue
    return rows
