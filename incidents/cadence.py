"""The cadence sweep: warnings before, and misses after, every incident deadline — set-wise, once each.

Run every minute by django-q2, like the SLA sweep. Each step claims its
deadlines with one conditional UPDATE that stamps them (`warned_at`,
`missed_at`) and writes a fresh token, reads back exactly what it claimed,
and writes events, misses and outbox rows in bulk with keys that exist only
once. A second run, a late run or two workers at once find nothing left to
do. A missed update deadline schedules the next slot one interval later, so
an incident that stays silent is flagged at every slot it misses.
"""

import uuid
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from comms.models import OutboundChannel, OutboundMessage
from comms.services import build_message
from comms.templating import render, render_subject
from helpdesk.models import Role, User

from . import notices
from .models import (
    CadenceDeadline,
    CadenceMiss,
    DeadlineKind,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentUpdate,
)
from .services import refresh_due_times

BATCH = 5_000
# A late sweep works off consecutive missed slots in rounds; this bounds one run.
MAX_ROUNDS = 200
# Public updates whose notices no task has written after this long are written by the sweep.
NOTICE_GRACE = timedelta(minutes=1)


def sweep_cadence(*, now=None):
    """Warn, record misses and re-drive lost notices; returns what it did."""
    now = now or timezone.now()
    result = {"warnings": _warn(now), "misses": 0, "notices": 0}
    for _round in range(MAX_ROUNDS):
        missed = _miss(now)
        result["misses"] += missed
        if not missed:
            break
    stuck = IncidentUpdate.objects.awaiting_notices().filter(created_at__lte=now - NOTICE_GRACE)
    for update_id in stuck.values_list("pk", flat=True)[:50]:
        result["notices"] += notices.send_update_notices(update_id, now=now) > 0
    return result


def _claim(queryset, **stamp):
    """Stamp the first BATCH rows of `queryset` that still qualify; returns them as plain rows."""
    token = uuid.uuid4().hex
    ids = list(queryset.order_by("due_at", "pk").values_list("pk", flat=True)[:BATCH])
    if not ids:
        return []
    # The UPDATE repeats the queryset's conditions, so a row another worker stamped meanwhile is not taken twice.
    queryset.filter(pk__in=ids).update(claim_token=token, **stamp)
    return list(
        CadenceDeadline.objects.filter(claim_token=token).values(
            "pk",
            "kind",
            "due_at",
            "incident_id",
            "incident__title",
            "incident__severity",
            "incident__status",
            "incident__terms",
            "incident__commander_id",
            "incident__communications_lead_id",
        )
    )


def _events(rows, kind, suffix, now):
    IncidentEvent.objects.bulk_create(
        [
            IncidentEvent(
                incident_id=row["incident_id"],
                kind=kind,
                key=f"cadence:{row['pk']}:{suffix}",
                data={"deadline": row["kind"], "due": row["due_at"].isoformat()},
                created_at=now,
            )
            for row in rows
        ],
        ignore_conflicts=True,
    )


def _warn(now):
    with transaction.atomic():
        rows = _claim(CadenceDeadline.objects.due_for_warning(now), warned_at=now)
        if not rows:
            return 0
        _events(rows, EventKind.CADENCE_WARNING, "warning", now)
        people = defaultdict(set)
        for row in rows:
            people[row["pk"]].add(row["incident__communications_lead_id"])
            if row["kind"] in (DeadlineKind.RESOLUTION, DeadlineKind.FOLLOW_UP):
                people[row["pk"]].add(row["incident__commander_id"])
        _alert(rows, people, notices.template_for("incident-cadence-warning"), "warning", now)
    return len(rows)


def _miss(now):
    with transaction.atomic():
        rows = _claim(CadenceDeadline.objects.due_for_miss(now), missed_at=now)
        if not rows:
            return 0
        _events(rows, EventKind.CADENCE_MISS, "miss", now)
        CadenceMiss.objects.bulk_create(
            [
                CadenceMiss(
                    incident_id=row["incident_id"],
                    deadline_id=row["pk"],
                    kind=row["kind"],
                    due_at=row["due_at"],
                    detected_at=now,
                )
                for row in rows
            ],
            ignore_conflicts=True,
        )
        incident_ids = {row["incident_id"] for row in rows}
        misses = CadenceMiss.objects.filter(incident=OuterRef("pk")).order_by().values("incident")
        Incident.objects.filter(pk__in=incident_ids).update(
            cadence_misses=Subquery(misses.annotate(n=Count("pk")).values("n")[:1])
        )
        # A missed update (or first notice) is followed by the next slot: silence keeps being flagged.
        next_slots = []
        for row in rows:
            if row["kind"] not in (DeadlineKind.UPDATE, DeadlineKind.FIRST_NOTICE):
                continue
            if row["incident__status"] == "resolved":
                continue
            interval = timedelta(minutes=row["incident__terms"]["update"])
            warn = interval * row["incident__terms"].get("warn_percent", 80) / 100
            start = row["due_at"]
            next_slots.append(
                CadenceDeadline(
                    incident_id=row["incident_id"],
                    kind=DeadlineKind.UPDATE,
                    due_at=start + interval,
                    warn_at=start + warn,
                )
            )
        CadenceDeadline.objects.bulk_create(next_slots, ignore_conflicts=True)
        refresh_due_times(incident_ids)
        managers = set(User.objects.filter(role=Role.MANAGER, is_active=True).values_list("pk", flat=True))
        people = {row["pk"]: managers | {row["incident__commander_id"]} for row in rows}
        _alert(rows, people, notices.template_for("incident-cadence-missed"), "missed", now)
    return len(rows)


def _alert(rows, people_by_deadline, template, suffix, now):
    """One email per person and deadline, and one chat line per deadline for the incident room."""
    labels = dict(DeadlineKind.choices)
    people = {
        p["pk"]: p
        for p in User.objects.filter(pk__in={pk for pks in people_by_deadline.values() for pk in pks}).values(
            "pk", "email", "language", "time_zone"
        )
    }
    texts = notices.Texts(template)
    messages = []
    for row in rows:
        ref = Incident.ref_for(row["incident_id"])
        values = {
            "incident_id": ref,
            "incident_title": row["incident__title"],
            "severity": f"P{row['incident__severity']}",
            "deadline": str(labels.get(row["kind"], row["kind"])),
            "due_time": notices.format_due(row["due_at"]),
            "incident_url": settings.FIRSTLINE_SITE_URL + reverse("incidents:incident-detail", args=[ref]),
            "site_url": settings.FIRSTLINE_SITE_URL,
        }
        key = f"incident:{row['incident_id']}:deadline:{row['pk']}:{suffix}"
        subject, body, _short, used = texts.get("en")
        messages.append(
            build_message(
                channel=OutboundChannel.CHAT,
                key=f"{key}:chat",
                to=notices.CHAT_ROOM,
                subject=render_subject(subject, values),
                body=render(body, values),
                reference=ref,
                template_slug=template.slug,
                language=used,
                now=now,
            )
        )
        for pk in people_by_deadline.get(row["pk"], ()):
            person = people.get(pk)
            if not person or not person["email"]:
                continue
            subject, body, _short, used = texts.get(person["language"] or settings.LANGUAGE_CODE)
            mine = {**values, "due_time": notices.format_due(row["due_at"], person["time_zone"])}
            try:
                messages.append(
                    build_message(
                        channel=OutboundChannel.EMAIL,
                        key=f"{key}:user:{pk}",
                        to=person["email"],
                        subject=render_subject(subject, mine),
                        body=render(body, mine),
                        recipient_user_id=pk,
                        reference=ref,
                        thread=ref,
                        template_slug=template.slug,
                        language=used,
                        now=now,
                    )
                )
            except ValueError:
                continue
    OutboundMessage.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
