"""The engine: a detected signal becomes one proactive ticket per customer, a note, a draft and outreach.

Recording is split in two. `ingest_signals` runs in the request (or the
rule sweep), set-wise, in the caller's transaction: the event rows and the
customers' proactive cases (severity, codes, targets, outreach time), in a
fixed number of statements whatever the batch size. The per-customer work
is the worker's, woken once per request (new cases, critical signals) and
caught up by the minute sweep: `prepare_case` opens the case's ticket
(through the helpdesk's own create_ticket: triage, clocks, tags), raises its
priority, and alerts the signal's audiences (agents of its queue by email,
engineering's chat); `write_case_note` adds the internal note with the facts
and the drafted message. Customer outreach waits for the case's
`outreach_due_at` (now for a critical signal, after
FIRSTLINE_SIGNAL_MERGE_MINUTES otherwise): `send_due_outreach` sends one
message for every signal still unaddressed, on the channels of the channel
matrix (OutreachRule, admin data), so signals arriving together become one
message.

De-duplication is per root cause, not per customer (seed 003: "don't send
multiple proactive messages for the same root cause within 24h"): a customer
told about a stuck order at 09:00 still hears at once about a broken eSIM at
10:00. Before sending, `heard_about` lists the root causes the customer heard
about in the last 24 h (our messages, recorded per root cause in
OutreachRootCause, and incident notices about an incident affecting a
component linked to the signal type). Signals about those root causes are
held back until their 24 h have passed; every other pending signal goes now,
in one message. Held, not dropped: a later signal about the same problem can
carry news (the eSIM was waiting, now its activation failed), so it goes when
the window closes, merged with whatever else is pending. That message is the
case's next touch (the tone moves on), and since the sweep sends outreach
before it runs the ladder, it also restarts the ladder's 24 h follow-up
clock: the customer never gets both at once. Follow-ups inside the 24 h
(the critical 4 h SMS) are the ladder's business, not this one's.
"""

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comms.models import OutboundChannel, OutboundMessage
from comms.services import channel_key, queue_message
from comms.templating import render, render_subject
from helpdesk import services as ticket_services
from helpdesk.models import Message, Priority, Role, Tag, Ticket, User
from helpdesk.models.core import SYSTEM_USERNAME_PREFIX, EventKind
from helpdesk.replies import ticket_values
from helpdesk.timeline import email_from_template, local_time, message_template, record_event

from ..models import Incident, IncidentComponent
from .defaults import OUTREACH_DEFAULTS
from .models import (
    SEVERITY_RANK,
    OutreachRootCause,
    OutreachRule,
    ProactiveCase,
    SignalEvent,
    SignalSeverity,
    SignalType,
    root_cause_key,
    tone_for,
)

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = SYSTEM_USERNAME_PREFIX + "signals"
PROACTIVE_TAG = "proactive"
CONTACT_WINDOW = timedelta(days=7)
DEDUP_WINDOW = timedelta(hours=24)
# Outbox keys of incident notices: `incident:<incident id>:update:…` and `incident:<incident id>:catch-up:…`.
INCIDENT_NOTICE_PREFIX = "incident:"
ENGINEERING_ROOM = "engineering"
PAYLOAD_LINES = 20
AGENT_ALERT_LIMIT = 50


def system_user():
    """The actor of everything the engine does on tickets: a system account (helpdesk's SYSTEM_USERNAME_PREFIX).

    Inactive, so nobody signs in with it and no list of agents, router or
    figure counts it; its timeline entries read "Firstline (automatic)".
    """
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "first_name": "Firstline",
            "role": Role.AGENT,
            "is_active": False,
            "is_available": False,
            "capacity": 0,
            "password": make_password(None),
        },
    )
    return user


def outreach_plan(severity, has_open_ticket):
    """The channel matrix's actions (admin data, OutreachRule); seed 003's default for a row an admin removed."""
    plan = OutreachRule.objects.plan(severity, has_open_ticket)
    if plan is None:
        logger.warning("No outreach rule for %s (open ticket: %s); using the default", severity, has_open_ticket)
        plan = OUTREACH_DEFAULTS[(str(severity), has_open_ticket)]
    return plan


def most_severe(severities):
    return min(severities, key=lambda s: SEVERITY_RANK[s])


def merge_minutes(severity):
    return 0 if severity == SignalSeverity.CRITICAL else settings.FIRSTLINE_SIGNAL_MERGE_MINUTES


def customer_contacts(customer_id, now):
    """How often the customer wrote to us (new tickets and replies) in the last 7 days."""
    return Message.objects.filter(
        author_id=customer_id, is_internal=False, created_at__gte=now - CONTACT_WINDOW
    ).count()


def other_open_tickets(customer_id):
    return (
        Ticket.objects.open()
        .filter(requester_id=customer_id, proactive_case__isnull=True)
        .order_by("-updated_at", "-pk")
    )


@dataclass(frozen=True)
class Heard:
    """When the customer last heard about a root cause, and from which incident's notice (empty: from us)."""

    at: object
    incident_ref: str = ""

    @property
    def until(self):
        return self.at + DEDUP_WINDOW


def heard_about(customer_id, now):
    """The root causes the customer heard about in the last 24 h: {root cause: Heard}.

    Our own messages come from OutreachRootCause (one indexed query). An
    incident notice (an outbox row keyed `incident:<id>:…` to this customer)
    counts for every root cause whose signal types are linked to a component
    the incident affects: one outbox query, and one more only when there
    were notices. Exactly 24 h ago no longer counts.
    """
    since = now - DEDUP_WINDOW
    heard = {cause: Heard(at) for cause, at in OutreachRootCause.objects.heard_by(customer_id, since).items()}
    notices = {}
    keys = OutboundMessage.objects.filter(
        recipient_user_id=customer_id, created_at__gt=since, idempotency_key__startswith=INCIDENT_NOTICE_PREFIX
    ).values_list("idempotency_key", "created_at")
    for key, at in keys:
        incident_id = _incident_of(key)
        if incident_id is not None and (incident_id not in notices or at > notices[incident_id]):
            notices[incident_id] = at
    if notices:
        covered = (
            IncidentComponent.objects.filter(incident_id__in=notices, component__signal_types__isnull=False)
            .values_list("incident_id", "component__signal_types__code", "component__signal_types__root_cause")
            .distinct()
        )
        for incident_id, code, root_cause in covered:
            cause, at = root_cause_key(code, root_cause), notices[incident_id]
            if cause not in heard or at > heard[cause].at:
                heard[cause] = Heard(at, Incident.ref_for(incident_id))
    return heard


def _incident_of(key):
    digits = key[len(INCIDENT_NOTICE_PREFIX) :].split(":", 1)[0]
    return int(digits) if digits.isdigit() else None


# --- the facts and the draft ----------------------------------------------------------------------


def signal_lines(events, user):
    lines = []
    for event in events:
        summary = (event.payload or {}).get("summary")
        text = f"- {event.signal_type.name}"
        if isinstance(summary, str) and summary.strip():
            text += f": {' '.join(summary.split())[:200]}"
        lines.append(f"{text} ({_('since')} {local_time(event.occurred_at, user)})")
    return "\n".join(dict.fromkeys(lines))


def draft_for(case, events, touches):
    """The customer message for these signals, in the customer's language, in the tone of `touches`."""
    customer = case.customer
    ordered = sorted(events, key=lambda e: (SEVERITY_RANK[e.signal_type.severity], -e.pk))
    lead = ordered[0].signal_type
    tone = tone_for(touches)
    template = message_template(lead.template_slug(tone)) or message_template(f"signal-{tone}")
    language = customer.language or settings.LANGUAGE_CODE
    with translation.override(language):
        values = {
            **ticket_values(case.ticket, None),
            "signal_name": " + ".join(dict.fromkeys(e.signal_type.name for e in ordered)),
            "signal_lines": signal_lines(ordered, customer),
            "detected_at": local_time(case.first_detected_at, customer),
            "touch_count": str(touches),
        }
    subject, used = template.translated("subject", language)
    body, _used = template.translated("body", used)
    short, _used = template.translated("short_text", used)
    return {
        "subject": render_subject(subject, values),
        "body": render(body, values),
        "short_text": render_subject(short, values) if short else render_subject(subject, values),
        "language": used,
        "template_slug": template.slug,
        "tone": tone,
    }


def _payload_lines(payload):
    lines = []
    for name, value in list((payload or {}).items())[:PAYLOAD_LINES]:
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"- {name}: {' '.join(str(shown).split())[:200]}")
    return lines


def facts_note(case, events, *, touches, draft):
    """The internal note: what happened, since when, touches so far, the customer's open tickets, the draft."""
    customer = case.customer
    open_tickets = [f"{t.ref} {t.subject}" for t in other_open_tickets(customer.pk)[:10]]
    lines = [
        f"**{_('Customer')}:** {customer.display_name} <{customer.email}>",
        f"**{_('First detected')}:** {case.first_detected_at:%Y-%m-%d %H:%M} UTC · "
        f"**{_('Touches so far')}:** {touches} · **{_('signals on this case')}:** {case.signal_count}",
        f"**{_('Open tickets of the customer')}:** " + ("; ".join(open_tickets) or _("none")),
    ]
    for event in events:
        signal = event.signal_type
        source = event.integration.name if event.integration_id else _("detection rule")
        lines += [
            "",
            f"**{_('Proactive signal')}:** {signal.code} {signal.name} ({signal.get_severity_display()}) · "
            f"{_('happened at')} {event.occurred_at:%Y-%m-%d %H:%M} UTC · {_('source')}: {source}",
        ]
        if signal.description:
            lines.append(signal.description)
        targets = []
        if signal.internal_response_minutes is not None:
            targets.append(_("act within %(n)s min") % {"n": signal.internal_response_minutes})
        if signal.outreach_minutes is not None:
            targets.append(_("tell the customer within %(n)s min") % {"n": signal.outreach_minutes})
        if targets:
            lines.append(f"**{_('Targets')}:** " + "; ".join(targets))
        lines += _payload_lines(event.payload)
    lines += [
        "",
        f"**{_('Drafted message')}** ({draft['tone']}): {draft['subject']}",
        "",
        *(f"> {line}" if line else ">" for line in draft["body"].splitlines()),
    ]
    return "\n".join(lines)


# --- recording signals ----------------------------------------------------------------------------


@dataclass
class Incoming:
    """One signal to record: from the API (with its integration) or from a detection rule."""

    signal_type: object
    customer_id: int
    key: str
    fingerprint: str = ""
    payload: dict = field(default_factory=dict)
    occurred_at: object = None


class KeyReused(Exception):
    """The idempotency key of item `index` was already used for a different event."""

    def __init__(self, index):
        super().__init__(index)
        self.index = index


@dataclass
class Recorded:
    event_id: int
    case_id: int
    ticket_id: int | None
    created: bool


def ingest_signals(items, *, integration=None, now=None):
    """Store a set of signals and bring their customers' cases up to date, in a fixed number of statements.

    Returns one `Recorded` per item, in order. Set-wise whatever the number
    of items: the customers' open cases are locked in one statement (their
    customers' rows too when a case must be opened, in id order, so two
    batches cannot deadlock), then the replays are found in one, the new cases
    and the new events are inserted in one each (events with ON CONFLICT DO
    NOTHING on their key, then read back) and the cases updated in one. The
    same key again (per integration, or per signal type for the built-in
    rules) answers with the stored event and changes nothing; the same key
    with a different event raises KeyReused. One open case per customer:
    further signals update it (severity, codes, targets, outreach time).

    The ticket is the worker's: `prepare_case` opens it (triage, clocks,
    tags), raises its priority, and alerts the signal's audiences; the cases
    that need it now are woken with one task after commit, the rest by the
    minute sweep. Must run inside the caller's transaction.
    """
    now = now or timezone.now()
    if not items:
        return []
    with transaction.atomic(savepoint=False):
        # Locks first, then the replays: a concurrent request with the same key for the same customer has
        # committed by the time we hold the customer, so its event is found here and counted once.
        customer_ids = sorted({item.customer_id for item in items})
        cases = _open_cases(customer_ids)
        missing = [customer_id for customer_id in customer_ids if customer_id not in cases]
        if missing:
            # No open case: the customer's row is the lock, and their case is read again once it is held
            # (a concurrent first signal may just have opened it).
            list(User.objects.select_for_update().filter(pk__in=missing).order_by("pk").values_list("pk", flat=True))
            cases.update(_open_cases(missing))
        stored = _stored_events(items, integration)
        results = [None] * len(items)
        fresh, first_of = [], {}
        for index, item in enumerate(items):
            ident = _ident(item, integration)
            found = stored.get(ident)
            if found is None and ident in first_of:
                found = first_of[ident]  # the same key twice in one batch: the second is a replay
            if found is not None:
                if found["fingerprint"] and item.fingerprint and found["fingerprint"] != item.fingerprint:
                    raise KeyReused(index)
                results[index] = found
                continue
            first_of[ident] = {"fingerprint": item.fingerprint, "index": index}
            fresh.append(index)
        if not fresh:
            return [_recorded(r, results) for r in results]
        by_customer = defaultdict(list)
        for index in fresh:
            by_customer[items[index].customer_id].append(index)
        done = [c.pk for k, c in cases.items() if k in by_customer and c.ticket_id and not c.ticket_open]
        if done:
            # Their last proactive ticket was resolved: those cases are over, these signals start new ones.
            ProactiveCase.objects.filter(pk__in=done).update(closed_at=now)
            cases = {customer_id: case for customer_id, case in cases.items() if case.pk not in done}
        wake, new_cases, changed = set(), [], []
        for customer_id, indexes in by_customer.items():
            case = cases.get(customer_id)
            if case is None:
                case = ProactiveCase(
                    customer_id=customer_id,
                    severity=items[indexes[0]].signal_type.severity,
                    first_detected_at=now,
                    last_detected_at=now,
                )
                new_cases.append(case)
                cases[customer_id] = case
            else:
                changed.append(case)
            for index in indexes:
                if _absorb(case, items[index].signal_type, now) and items[index].signal_type.severity == CRITICAL:
                    wake.add(customer_id)  # a critical signal new to the case: note and outreach at once
        if new_cases:
            ProactiveCase.objects.bulk_create(new_cases)
            wake.update(case.customer_id for case in new_cases)
        if len(changed) == 1:
            changed[0].save(update_fields=CASE_FIELDS)  # one row: a plain UPDATE plans faster than CASE WHEN
        elif changed:
            ProactiveCase.objects.bulk_update(changed, CASE_FIELDS)
        SignalEvent.objects.bulk_create(
            [
                SignalEvent(
                    integration=integration,
                    idempotency_key=items[index].key,
                    fingerprint=items[index].fingerprint,
                    signal_type=items[index].signal_type,
                    customer_id=items[index].customer_id,
                    case_id=cases[items[index].customer_id].pk,
                    payload=items[index].payload or {},
                    occurred_at=items[index].occurred_at or now,
                    received_at=now,
                )
                for index in fresh
            ],
            ignore_conflicts=True,
        )
        inserted = _stored_events([items[index] for index in fresh], integration)
        for index in fresh:
            row = inserted.get(_ident(items[index], integration))
            if row is None or row["case_id"] != cases[items[index].customer_id].pk:
                raise KeyReused(index)  # a concurrent request stored this key for another event
            results[index] = {**row, "created": True}
        for index, result in enumerate(results):
            if "index" in result:
                results[index] = results[result["index"]] | {"created": False}
        case_ids = sorted(cases[customer_id].pk for customer_id in wake)
        if case_ids:
            transaction.on_commit(lambda: wake_cases(case_ids))
    return [_recorded(r, results) for r in results]


CRITICAL = SignalSeverity.CRITICAL
CASE_FIELDS = [
    "severity",
    "codes",
    "signal_count",
    "last_detected_at",
    "outreach_due_at",
    "internal_target_at",
    "outreach_target_at",
]


def _ident(item, integration):
    return item.key if integration is not None else (item.signal_type.pk, item.key)


def _stored_events(items, integration):
    """The stored events with these items' keys, by identity: one query."""
    events = SignalEvent.objects.order_by()
    if integration is not None:
        events = events.filter(integration=integration, idempotency_key__in={i.key for i in items})
    else:
        keys = defaultdict(set)
        for item in items:
            keys[item.signal_type.pk].add(item.key)
        either = Q()
        for type_id, type_keys in keys.items():
            either |= Q(signal_type_id=type_id, idempotency_key__in=type_keys)
        events = events.filter(either, integration__isnull=True)
    rows = events.values("pk", "idempotency_key", "signal_type_id", "fingerprint", "case_id", "case__ticket_id")
    if integration is not None:
        return {row["idempotency_key"]: row for row in rows}
    return {(row["signal_type_id"], row["idempotency_key"]): row for row in rows}


def _recorded(row, results):
    return Recorded(row["pk"], row["case_id"], row["case__ticket_id"], row.get("created", False))


def _open_cases(customer_ids):
    # The ticket's state as a subquery rather than a join: joining the ticket table multiplies
    # PostgreSQL's planning time, and only this one column is needed.
    ticket_open = Subquery(Ticket.objects.filter(pk=OuterRef("ticket_id")).values("is_open")[:1])
    cases = (
        ProactiveCase.objects.select_for_update(of=("self",))
        .filter(customer_id__in=customer_ids, closed_at__isnull=True)
        .annotate(ticket_open=ticket_open)
        .order_by("customer_id")
    )
    return {case.customer_id: case for case in cases}


def _absorb(case, signal_type, now):
    """One more signal on the case (in memory): severity, codes, counts, times. True if its code is new."""
    new_code = signal_type.code not in case.codes
    if new_code:
        case.codes = [*case.codes, signal_type.code]
    if SEVERITY_RANK[signal_type.severity] < SEVERITY_RANK[case.severity]:
        case.severity = signal_type.severity
    case.signal_count += 1
    case.last_detected_at = now
    case.outreach_due_at = _earliest(case.outreach_due_at, now + timedelta(minutes=merge_minutes(signal_type.severity)))
    if signal_type.internal_response_minutes is not None and case.first_handled_at is None:
        due = now + timedelta(minutes=signal_type.internal_response_minutes)
        case.internal_target_at = _earliest(case.internal_target_at, due)
    if signal_type.outreach_minutes is not None and case.first_outreach_at is None:
        due = now + timedelta(minutes=signal_type.outreach_minutes)
        case.outreach_target_at = _earliest(case.outreach_target_at, due)
    return new_code


def _earliest(current, candidate):
    return min(current, candidate) if current else candidate


def record_signal(actor, *, signal_type, customer, key, occurred_at=None, payload=None, now=None, **fields):
    """Record one signal and prepare its case's ticket at once; returns (event, created).

    For callers already in the worker (the detection rules, tests): the
    ticket is opened and brought up to date in the same call rather than by
    a woken task. The note and the outreach still wait for the sweep (or the
    wake of a new case), so a burst of signals is one note and one message.
    """
    now = now or timezone.now()
    item = Incoming(signal_type, customer.pk, key, payload=payload or {}, occurred_at=occurred_at, **fields)
    with transaction.atomic():
        (recorded,) = ingest_signals([item], now=now)
        if recorded.created:
            prepare_case(recorded.case_id, now=now)
    event = SignalEvent.objects.select_related("case__ticket", "signal_type").get(pk=recorded.event_id)
    return event, recorded.created


def wake_cases(case_ids):
    """One task for the cases a request touched (their ticket, note and outreach); the sweep is the fallback."""
    from django_q.tasks import async_task

    try:
        async_task("incidents.journey.tasks.process_cases", list(case_ids), task_name=f"signal-cases-{case_ids[0]}")
    except Exception:  # the broker being down must not fail the request: the minute sweep does it
        logger.exception("Could not wake the signal worker for cases %s; the sweep will", case_ids)


# --- the worker's half: the ticket, the audiences, the note ---------------------------------------


def prepare_case(case_id, *, now):
    """Open the case's ticket if it has none and bring it up to date; alert the audiences. Safe to repeat."""
    with transaction.atomic():
        case = _locked_case_for_work(case_id)
        if case is None:
            return None
        events = list(case.events.filter(noted_at__isnull=True).select_related("signal_type").order_by("pk"))
        _prepare(system_user(), case, events, now)
    return case


def _locked_case_for_work(case_id):
    return (
        ProactiveCase.objects.select_for_update(of=("self",))
        .select_related("ticket__organization", "ticket__queue", "customer__organization")
        .filter(pk=case_id, closed_at__isnull=True)
        .first()
    )


def _prepare(actor, case, events, now):
    """The ticket side of the events not yet noted: opened, tagged, prioritised; audiences alerted (idempotent)."""
    types = list({event.signal_type.pk: event.signal_type for event in events}.values())
    if case.ticket_id is None:
        if not types:
            types = list(SignalType.objects.filter(code__in=case.codes))
        _open_ticket(actor, case, types, now)
        if any(t.alert_agents for t in types):
            alert_agents(case, reason=_("New proactive case"), key_suffix="new")
    else:
        _bring_ticket_up_to_date(actor, case, now)
    for event in events:
        signal = event.signal_type
        if signal.severity == CRITICAL or signal.alert_engineering:
            reason = _("Critical signal") if signal.severity == CRITICAL else _("Signal")
            alert_engineering(case, event, reason=reason, key_suffix=f"signal:{signal.pk}")


def _lead(types):
    return min(types, key=lambda t: (SEVERITY_RANK[t.severity], t.code))


def _open_ticket(actor, case, types, now):
    customer = case.customer
    lead = _lead(types)
    # The agents' queue only for a signal that alerts agents; otherwise the ticket is the record of what we do.
    routed = [t for t in types if t.alert_agents]
    queue = _lead(routed).queue if routed else None
    language = customer.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("[Proactive] %(name)s") % {"name": lead.name}
        description = _(
            "We noticed a problem on your account before you had to tell us: %(name)s. "
            "Our team is looking into it and will keep you posted here."
        ) % {"name": lead.name}
    ticket = ticket_services.create_ticket(
        actor,
        requester=customer,
        subject=subject[:200],
        description=description,
        priority=SEVERITY_RANK[case.severity],
        queue=queue,
        channel="api",
        language=language,
        acknowledge=False,
    )
    tags = [_tag(PROACTIVE_TAG), *(_tag(code.lower()) for code in case.codes)]
    ticket.tags.add(*tags)
    record_event(ticket, actor, EventKind.TAGS, at=now, data={"added": [t.name for t in tags], "removed": []})
    case.ticket = ticket
    case.save(update_fields=["ticket"])


def _bring_ticket_up_to_date(actor, case, now):
    """A further signal on a ticketed case: the most severe one sets the priority; each code becomes a tag."""
    ticket = case.ticket
    wanted = Priority(SEVERITY_RANK[case.severity])
    have = set(ticket.tags.values_list("name", flat=True))
    names = [code.lower()[:50] for code in case.codes if code.lower()[:50] not in have]
    if ticket.priority <= wanted and not names:
        return
    if ticket.priority > wanted:
        case.ticket = ticket_services.update_ticket(actor, ticket, priority=wanted)
    if names:
        case.ticket.tags.add(*(_tag(name) for name in names))
        record_event(case.ticket, actor, EventKind.TAGS, at=now, data={"added": names, "removed": []})


def _tag(name):
    tag, _created = Tag.objects.get_or_create(name=name[:50])
    return tag


def write_case_notes(*, now=None, case_ids=None, limit=500):
    """One internal note per case for its events not yet noted, with the facts and a fresh draft."""
    now = now or timezone.now()
    pending = SignalEvent.objects.filter(noted_at__isnull=True)
    if case_ids is not None:
        pending = pending.filter(case_id__in=case_ids)
    ids = list(pending.order_by("case_id").values_list("case_id", flat=True).distinct()[:limit])
    return sum(1 for pk in ids if write_case_note(pk, now=now))


def write_case_note(case_id, *, now):
    with transaction.atomic():
        case = _locked_case_for_work(case_id)
        if case is None:
            return False
        events = list(
            case.events.filter(noted_at__isnull=True).select_related("signal_type", "integration").order_by("pk")
        )
        if not events:
            return False
        actor = system_user()
        _prepare(actor, case, events, now)
        case.ticket.requester = case.customer
        touches = max(customer_contacts(case.customer_id, now), 1) + case.outreach_count
        unaddressed = [e for e in case.events.select_related("signal_type") if e.addressed_at is None]
        draft = draft_for(case, unaddressed or events, touches)
        case.touches = touches
        case.draft_subject, case.draft_body, case.draft_language = draft["subject"], draft["body"], draft["language"]
        case.save(update_fields=["touches", "draft_subject", "draft_body", "draft_language"])
        ticket_services.reply_to_ticket(
            actor, case.ticket, body=facts_note(case, events, touches=touches, draft=draft), internal=True
        )
        SignalEvent.objects.filter(pk__in=[e.pk for e in events]).update(noted_at=now)
    return True


# --- internal alerts ------------------------------------------------------------------------------


def alert_engineering(case, event, *, reason, key_suffix):
    """One chat message to engineering per case and reason (the outbox key makes a repeat a no-op)."""
    template = message_template("signal-engineering-alert")
    values = _alert_values(case, event.signal_type if event else None, reason)
    subject, used = template.translated("subject", "en")
    body, _used = template.translated("body", used)
    try:
        queue_message(
            channel=OutboundChannel.CHAT,
            key=f"journey:case:{case.pk}:engineering:{key_suffix}",
            to=ENGINEERING_ROOM,
            subject=render_subject(subject, values),
            body=render(body, values),
            reference=case.ticket.ref,
            template_slug=template.slug,
            language=used,
        )
    except ValueError as exc:
        logger.warning("Engineering alert for case %s not queued: %s", case.pk, exc)


def alert_agents(case, *, reason, key_suffix):
    """Email the agents who should pick the case up, once per case and reason (outbox keys).

    The ticket's assignee when it has one (routing may have chosen them),
    else the agents of its queue's team, else every agent: the same email
    notices the helpdesk sends on an escalation.
    """
    ticket = case.ticket
    template = message_template("signal-agent-alert")
    if template is None:
        logger.warning("No signal-agent-alert template: agents not alerted for case %s", case.pk)
        return 0
    if ticket.assignee_id:
        people = [ticket.assignee]
    else:
        agents = User.objects.agents().exclude(email="")
        team_id = ticket.queue.team_id if ticket.queue_id else None
        if team_id:
            agents = agents.filter(team_id=team_id)
        people = list(agents.order_by("pk")[:AGENT_ALERT_LIMIT])
    signal = case.events.select_related("signal_type").order_by("pk").first()
    base = _alert_values(case, signal.signal_type if signal else None, reason)
    for person in people:
        email_from_template(
            person,
            key=f"journey:case:{case.pk}:agents:{key_suffix}:user:{person.pk}",
            slug=template.slug,
            template=template,
            values=lambda _user: base,
            reference=ticket.ref,
        )
    return len(people)


def _alert_values(case, signal, reason):
    customer = case.customer
    return {
        **ticket_values(case.ticket, None),
        "ticket_agent_url": settings.FIRSTLINE_SITE_URL + case.ticket.get_absolute_url(),
        "signal_code": signal.code if signal else "",
        "signal_name": signal.name if signal else case.ticket.subject,
        "signal_severity": str(SignalSeverity(case.severity).label),
        "signal_lines": "",
        "customer_email": customer.email,
        "detected_at": f"{case.first_detected_at:%Y-%m-%d %H:%M} UTC",
        "touch_count": str(case.touches),
        "alert_reason": reason,
    }


# --- outreach ---------------------------------------------------------------------------------


def send_due_outreach(*, now=None, limit=200):
    """Send the outreach of every case whose merge window has passed; returns how many cases were handled."""
    now = now or timezone.now()
    due = list(
        ProactiveCase.objects.open()
        .filter(outreach_due_at__lte=now)
        .order_by("outreach_due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if send_outreach(pk, now=now))


def send_outreach(case_id, *, now=None):
    """One message for the case's unaddressed signals, on the matrix's channels, each root cause once in 24 h.

    Signals about a root cause the customer heard about in the last 24 h (a
    proactive message or an incident notice) are held until that has
    passed; all the others go now, together. Run twice, the second run finds
    the case no longer due (or its signals addressed) and sends nothing.
    """
    now = now or timezone.now()
    write_case_note(case_id, now=now)  # the agent reads the facts before the customer reads our message
    with transaction.atomic():
        case = (
            ProactiveCase.objects.select_for_update(of=("self",))
            .select_related("ticket", "customer__organization__tier")
            .filter(pk=case_id, outreach_due_at__lte=now, closed_at__isnull=True)
            .first()
        )
        if case is None:
            return False
        pending = list(case.events.filter(addressed_at__isnull=True).select_related("signal_type").order_by("pk"))
        if not pending or not case.ticket.is_open:
            ProactiveCase.objects.filter(pk=case.pk).update(outreach_due_at=None)
            return False
        heard = heard_about(case.customer_id, now)
        fresh = [e for e in pending if e.signal_type.root_cause_key not in heard]
        held = [e for e in pending if e.signal_type.root_cause_key in heard]
        channels = []
        if fresh:
            severity = most_severe([e.signal_type.severity for e in fresh])
            channels = deliver(case, fresh, severity=severity, now=now, reason="outreach")
            SignalEvent.objects.filter(pk__in=[e.pk for e in fresh]).update(addressed_at=now)
        _hold(case, held, heard)
    return bool(channels)


def _hold(case, held, heard):
    """Keep `held` for when their root causes' 24 h have passed (or clear the due time); note what and until when.

    The note is written when the set of held root causes or their times
    change, not on every sweep that finds them still held.
    """
    codes = defaultdict(dict)
    for event in held:
        codes[event.signal_type.root_cause_key][event.signal_type.code] = True
    state = {cause: heard[cause].until.isoformat() for cause in sorted(codes)}
    fields = ["outreach_due_at", "held_root_causes"]
    if state and state != case.held_root_causes:
        lines = []
        for cause in state:
            found = heard[cause]
            source = (
                _("incident notice %(ref)s") % {"ref": found.incident_ref}
                if found.incident_ref
                else _("a proactive message")
            )
            lines.append(
                "- "
                + _("%(cause)s (%(codes)s): told at %(when)s by %(source)s; held until %(until)s")
                % {
                    "cause": cause,
                    "codes": ", ".join(codes[cause]),
                    "when": f"{found.at:%Y-%m-%d %H:%M} UTC",
                    "source": source,
                    "until": f"{found.until:%Y-%m-%d %H:%M} UTC",
                }
            )
        header = _(
            "Outreach held back: the customer already heard about these root causes in the last 24 hours, and "
            "hears about one root cause at most once in 24 hours. Signals about any other root cause are not held."
        )
        ticket_services.reply_to_ticket(system_user(), case.ticket, body="\n".join([header, *lines]), internal=True)
    if state:
        untils = [heard[cause].until for cause in state]
        case.postponed_until = max(untils)
        case.outreach_due_at = min(untils)
        fields.append("postponed_until")
    else:
        case.outreach_due_at = None
    case.held_root_causes = state
    case.save(update_fields=fields)


def deliver(case, events, *, severity, now, reason, only=None):
    """Send the drafted message for `events` on the matrix's channels (or `only` these); returns the channels.

    Logged on the proactive ticket. A note-only plan (medium signal, open
    ticket) reaches no customer and does not count as outreach: the agent
    follows up on the customer's ticket, so the case's outreach target no
    longer applies.
    """
    actor = system_user()
    customer = case.customer
    open_ticket = other_open_tickets(customer.pk).first()
    plan = only or outreach_plan(severity, open_ticket is not None)
    if "reply" in plan and open_ticket is None:
        plan = ["email" if c == "reply" else c for c in plan]
    touches = max(customer_contacts(customer.pk, now), 1) + case.outreach_count
    draft = draft_for(case, events, touches)
    tier = customer.organization.tier if customer.organization_id else None
    allowed = set(tier.allowed_channels if tier else []) | {"email", "portal"}
    sequence = case.outreach_count + 1
    key = f"signal:case:{case.pk}:{reason}:{sequence}:user:{customer.pk}"
    used = []
    for channel in plan:
        if channel == "note":
            target = open_ticket.ref if open_ticket else case.ticket.ref
            ticket_services.reply_to_ticket(
                actor,
                case.ticket,
                body=_(
                    "No message sent to the customer (%(severity)s signal, open ticket %(ref)s): follow up with "
                    "them there. The drafted message is ready: use it from this ticket's sidebar."
                )
                % {"severity": SignalSeverity(severity).label, "ref": target},
                internal=True,
            )
            continue
        if channel == "reply":
            ticket_services.reply_to_ticket(actor, open_ticket, body=draft["body"])
            used.append(f"reply:{open_ticket.ref}")
            continue
        if channel not in allowed:
            continue
        to = {"email": customer.email, "sms": customer.phone}.get(channel, str(customer.pk))
        if not to:
            continue
        short = channel in (OutboundChannel.SMS, OutboundChannel.PUSH)
        try:
            queue_message(
                channel=channel,
                key=channel_key(key, channel),
                to=to,
                subject=draft["subject"],
                body=draft["short_text"] if short else draft["body"],
                recipient_user_id=customer.pk,
                reference=case.ticket.ref,
                thread=case.ticket.ref,
                template_slug=draft["template_slug"],
                language=draft["language"],
                link=case.ticket.get_portal_url() if channel != OutboundChannel.EMAIL else "",
            )
        except ValueError as exc:
            logger.warning("Outreach for case %s by %s skipped: %s", case.pk, channel, exc)
            continue
        used.append(channel)
    if plan == ["note"] and case.outreach_target_at is not None:
        case.outreach_target_at = None
        case.save(update_fields=["outreach_target_at"])
    if used:
        # What this message told the customer about, for de-duplication (heard_about); keyed like its outbox rows.
        OutreachRootCause.objects.bulk_create(
            [
                OutreachRootCause(
                    customer_id=customer.pk, case=case, root_cause=cause, reason=reason, sequence=sequence, told_at=now
                )
                for cause in dict.fromkeys(e.signal_type.root_cause_key for e in events)
            ],
            ignore_conflicts=True,
        )
        case.outreach_count += 1
        case.first_outreach_at = case.first_outreach_at or now
        case.last_outreach_at = now
        case.last_outreach_channels = used
        case.save(update_fields=["outreach_count", "first_outreach_at", "last_outreach_at", "last_outreach_channels"])
        ticket_services.reply_to_ticket(
            actor,
            case.ticket,
            body=_("We contacted the customer (%(channels)s) at %(when)s about: %(signals)s. Tone: %(tone)s.")
            % {
                "channels": ", ".join(used),
                "when": f"{now:%Y-%m-%d %H:%M} UTC",
                "signals": ", ".join(dict.fromkeys(f"{e.signal_type.code} {e.signal_type.name}" for e in events)),
                "tone": draft["tone"],
            },
            internal=True,
        )
    return used


def agent_url(case):
    return settings.FIRSTLINE_SITE_URL + reverse("helpdesk:ticket-detail", args=[case.ticket.ref])
