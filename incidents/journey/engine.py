"""The engine: a detected signal becomes one proactive ticket per customer, a note, a draft and outreach.

`record_signal` runs in the caller's request or sweep, in one transaction:
the event row, the customer's proactive case and ticket (created or
updated), the internal note with the facts and the drafted message, and an
engineering alert for critical signals. Customer outreach is not sent there:
the case gets an `outreach_due_at` (now for a critical signal, after
FIRSTLINE_SIGNAL_MERGE_MINUTES otherwise) and `send_due_outreach` sends one
message for every signal still unaddressed, so signals arriving together
become one message. Before sending it asks the outbox whether the customer
heard from us (a proactive message or an incident notice) in the last 24 h,
and if so waits until the 24 h have passed.
"""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comms.models import OutboundChannel, OutboundMessage
from comms.services import channel_key, queue_message
from comms.templating import render, render_subject
from helpdesk import services as ticket_services
from helpdesk.models import Message, Priority, Role, Tag, Ticket, User
from helpdesk.models.core import EventKind
from helpdesk.replies import ticket_values
from helpdesk.timeline import local_time, message_template, record_event

from .models import SEVERITY_RANK, ProactiveCase, SignalEvent, SignalSeverity, tone_for

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "firstline-signals"
PROACTIVE_TAG = "proactive"
CONTACT_WINDOW = timedelta(days=7)
DEDUP_WINDOW = timedelta(hours=24)
# Prefixes of outbox keys that count as "we told this customer about a problem".
CUSTOMER_NOTICE_PREFIXES = ("signal:", "incident:")
ENGINEERING_ROOM = "engineering"
PAYLOAD_LINES = 20

# Seed 003's channel matrix: (severity, customer has an open ticket) -> what outreach does.
# "reply" is a public reply on the customer's open ticket, "note" an internal note asking the
# agent to follow up there; the rest are outbox channels. SMS and push also need the customer's
# tier to allow the channel, like every other message Firstline sends.
OUTREACH_MATRIX = {
    (SignalSeverity.CRITICAL, True): ["reply", "sms"],
    (SignalSeverity.CRITICAL, False): ["email", "sms", "push"],
    (SignalSeverity.HIGH, True): ["reply"],
    (SignalSeverity.HIGH, False): ["email"],
    (SignalSeverity.MEDIUM, True): ["note"],
    (SignalSeverity.MEDIUM, False): ["email"],
    (SignalSeverity.LOW, True): ["portal"],
    (SignalSeverity.LOW, False): ["portal"],
}


def system_user():
    """The actor of everything the engine does on tickets: an agent account nobody signs in with."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = User(
            username=SYSTEM_USERNAME,
            first_name="Firstline",
            last_name="signals",
            role=Role.AGENT,
            is_active=True,
        )
        user.set_unusable_password()
        user.save()
    return user


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


def last_customer_notice(customer_id, now):
    """When the customer last heard from us about a problem (ours or an incident), within 24 h; or None."""
    since = now - DEDUP_WINDOW
    prefixes = Q()
    for prefix in CUSTOMER_NOTICE_PREFIXES:
        prefixes |= Q(idempotency_key__startswith=prefix)
    in_outbox = (
        OutboundMessage.objects.filter(recipient_user_id=customer_id, created_at__gte=since)
        .filter(prefixes)
        .aggregate(last=Max("created_at"))["last"]
    )
    # A reply on the customer's own ticket is keyed by the ticket, not by us: the cases remember it.
    by_case = ProactiveCase.objects.filter(customer_id=customer_id, last_outreach_at__gte=since).aggregate(
        last=Max("last_outreach_at")
    )["last"]
    found = [moment for moment in (in_outbox, by_case) if moment]
    return max(found) if found else None


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


# --- recording a signal ---------------------------------------------------------------------------


def find_event(*, integration, signal_type, key):
    # No join: joining the ticket table multiplies PostgreSQL's planning time by a hundred.
    events = SignalEvent.objects.all()
    if integration is not None:
        return events.filter(integration=integration, idempotency_key=key).first()
    return events.filter(integration__isnull=True, signal_type=signal_type, idempotency_key=key).first()


def record_signal(
    actor,
    *,
    signal_type,
    customer,
    key,
    occurred_at=None,
    payload=None,
    integration=None,
    fingerprint="",
    now=None,
):
    """Store one signal about `customer` and bring their proactive ticket up to date; returns (event, created).

    The same key again (per integration, or per signal type for the
    built-in rules) returns the stored event and changes nothing. One open
    proactive case per customer: a second signal updates its ticket
    (priority raised to the most severe signal, its code as a tag) rather
    than opening another. The event, the case and the ticket are one
    transaction; the internal note with the facts and the draft is written
    from the stored events by `write_case_notes` (woken at once for a new
    case or a critical signal, else by the minute sweep), one note for all
    the events that arrived together — a burst of 50 signals is one note.
    """
    now = now or timezone.now()
    occurred_at = occurred_at or now
    # Inside a batch's transaction no savepoint is needed: a failure rolls the whole batch back.
    with transaction.atomic(savepoint=False):
        # One writer per customer at a time: two signals about one customer must find one case.
        # The open case's row is the lock; without one, the customer's row is, and the case is
        # read again once it is held (a concurrent first signal may just have opened it).
        case = _locked_case(customer)
        if case is None:
            list(User.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True))
            case = _locked_case(customer)
        existing = find_event(integration=integration, signal_type=signal_type, key=key)
        if existing is not None:
            return existing, False
        if case is not None and not case.ticket_open:
            # The last proactive ticket was resolved: its case is done, this signal starts a new one.
            ProactiveCase.objects.filter(pk=case.pk).update(closed_at=now)
            case = None
        # The first time this case sees this code: alerts and wake-ups happen once per case and code.
        new_code = case is None or signal_type.code not in case.codes
        if case is None:
            case = _open_case(actor or system_user(), signal_type, customer, now)
        else:
            _raise_case(actor, case, signal_type, now)
        case.customer = customer
        event = SignalEvent.objects.create(
            integration=integration,
            idempotency_key=key,
            fingerprint=fingerprint,
            signal_type=signal_type,
            customer=customer,
            case=case,
            payload=payload or {},
            occurred_at=occurred_at,
            received_at=now,
        )
        case.signal_count += 1
        case.last_detected_at = now
        due = now + timedelta(minutes=merge_minutes(signal_type.severity))
        case.outreach_due_at = min(case.outreach_due_at, due) if case.outreach_due_at else due
        case.save(update_fields=["signal_count", "last_detected_at", "outreach_due_at", "severity", "codes"])
        critical = signal_type.severity == SignalSeverity.CRITICAL
        if new_code and (critical or signal_type.alert_engineering):
            alert_engineering(case, event, reason=_("Critical signal"), key_suffix=f"signal:{signal_type.pk}")
        if new_code and (critical or case.signal_count == 1):
            # A new case or a critical signal: the note (and a critical outreach) should not wait for the sweep.
            transaction.on_commit(lambda: _wake_case(case.pk))
    return event, True


def _locked_case(customer):
    # The ticket's state as a subquery rather than a join: joining the ticket table multiplies
    # PostgreSQL's planning time, and only this one column is needed on the common path.
    ticket_open = Subquery(Ticket.objects.filter(pk=OuterRef("ticket_id")).values("is_open")[:1])
    return (
        ProactiveCase.objects.select_for_update(of=("self",))
        .filter(customer=customer, closed_at__isnull=True)
        .annotate(ticket_open=ticket_open)
        .first()
    )


def _open_case(actor, signal_type, customer, now):
    language = customer.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("[Proactive] %(name)s") % {"name": signal_type.name}
        description = _(
            "We noticed a problem on your account before you had to tell us: %(name)s. "
            "Our team is looking into it and will keep you posted here."
        ) % {"name": signal_type.name}
    ticket = ticket_services.create_ticket(
        actor,
        requester=customer,
        subject=subject[:200],
        description=description,
        priority=SEVERITY_RANK[signal_type.severity],
        queue=signal_type.queue,
        channel="api",
        language=language,
        acknowledge=False,
    )
    tags = [_tag(PROACTIVE_TAG), _tag(signal_type.code.lower())]
    ticket.tags.add(*tags)
    record_event(ticket, actor, EventKind.TAGS, at=now, data={"added": [t.name for t in tags], "removed": []})
    return ProactiveCase.objects.create(
        customer=customer,
        ticket=ticket,
        codes=[signal_type.code],
        severity=signal_type.severity,
        first_detected_at=now,
        last_detected_at=now,
    )


def _raise_case(actor, case, signal_type, now):
    """A further signal on an open case: the most severe one sets the priority; its code becomes a tag.

    The actor is looked up only when something changes: most signals repeat what the case knows.
    """
    more_severe = SEVERITY_RANK[signal_type.severity] < SEVERITY_RANK[case.severity]
    if not more_severe and signal_type.code in case.codes:
        return
    actor = actor or system_user()
    if more_severe:
        case.severity = signal_type.severity
        wanted = Priority(SEVERITY_RANK[signal_type.severity])
        if case.ticket.priority > wanted:
            case.ticket = ticket_services.update_ticket(actor, case.ticket, priority=wanted)
    if signal_type.code in case.codes:
        return
    case.codes = [*case.codes, signal_type.code]
    tag = _tag(signal_type.code.lower())
    case.ticket.tags.add(tag)
    record_event(case.ticket, actor, EventKind.TAGS, at=now, data={"added": [tag.name], "removed": []})


def _tag(name):
    tag, _created = Tag.objects.get_or_create(name=name[:50])
    return tag


def _wake_case(case_id):
    from django_q.tasks import async_task

    try:
        async_task("incidents.journey.tasks.process_case", case_id, task_name=f"signal-case-{case_id}")
    except Exception:  # the broker being down must not fail the request: the minute sweep does it
        logger.exception("Could not wake the signal worker for case %s; the sweep will", case_id)


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
        case = (
            ProactiveCase.objects.select_for_update(of=("self",))
            .select_related("ticket__organization", "customer__organization")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            return False
        events = list(
            case.events.filter(noted_at__isnull=True).select_related("signal_type", "integration").order_by("pk")
        )
        if not events:
            return False
        case.ticket.requester = case.customer
        touches = max(customer_contacts(case.customer_id, now), 1) + case.outreach_count
        unaddressed = [e for e in case.events.select_related("signal_type") if e.addressed_at is None]
        draft = draft_for(case, unaddressed or events, touches)
        case.touches = touches
        case.draft_subject, case.draft_body, case.draft_language = draft["subject"], draft["body"], draft["language"]
        case.save(update_fields=["touches", "draft_subject", "draft_body", "draft_language"])
        ticket_services.reply_to_ticket(
            system_user(), case.ticket, body=facts_note(case, events, touches=touches, draft=draft), internal=True
        )
        SignalEvent.objects.filter(pk__in=[e.pk for e in events]).update(noted_at=now)
    return True


# --- internal alerts ------------------------------------------------------------------------------


def alert_engineering(case, event, *, reason, key_suffix):
    """One chat message to engineering per case and reason (the outbox key makes a repeat a no-op)."""
    signal = event.signal_type if event else None
    customer = case.customer
    template = message_template("signal-engineering-alert")
    values = {
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
    """One message for every unaddressed signal of the case, on the matrix's channels, at most once in 24 h."""
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
        last = last_customer_notice(case.customer_id, now)
        if last is not None:
            _postpone(case, last, now)
            return False
        severity = most_severe([e.signal_type.severity for e in pending])
        channels = deliver(case, pending, severity=severity, now=now, reason="outreach")
        SignalEvent.objects.filter(pk__in=[e.pk for e in pending]).update(addressed_at=now)
        case.outreach_due_at = None
        case.save(update_fields=["outreach_due_at"])
    return bool(channels)


def _postpone(case, last, now):
    until = last + DEDUP_WINDOW
    if case.postponed_until != until:
        ticket_services.reply_to_ticket(
            system_user(),
            case.ticket,
            body=_(
                "Outreach held back: the customer already heard from us at %(when)s (a proactive message or an "
                "incident notice). One message per 24 hours: the next one can go at %(until)s."
            )
            % {"when": f"{last:%Y-%m-%d %H:%M} UTC", "until": f"{until:%Y-%m-%d %H:%M} UTC"},
            internal=True,
        )
    case.postponed_until = until
    case.outreach_due_at = until
    case.save(update_fields=["postponed_until", "outreach_due_at"])


def deliver(case, events, *, severity, now, reason, only=None):
    """Send the drafted message for `events` on the matrix's channels (or `only` these); returns the channels.

    Logged on the proactive ticket. A note-only plan (medium signal, open
    ticket) reaches no customer and does not count as outreach.
    """
    actor = system_user()
    customer = case.customer
    open_ticket = other_open_tickets(customer.pk).first()
    plan = only or OUTREACH_MATRIX[(severity, open_ticket is not None)]
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
    if used:
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
