"""The escalation ladder and the systemic alert, as idempotent sweeps.

Ladder (seed 003), for open proactive cases:
  high      unresolved 4 h   -> engineering chat alert
            no customer response 24 h after our message -> follow-up message (next tone), about the
            case's root causes the customer has not heard about in the last 24 h (an incident
            notice about one holds it back like any message; see engine.heard_about)
            unresolved 48 h  -> escalated to L2 (the helpdesk's escalation service)
  critical  unresolved 2 h   -> engineering paged (chat)
            no customer response 4 h after our message -> SMS, or a note asking the agent to
            call when an SMS already went within 24 h (one message per 24 h stays the rule)

Each step is chosen by state and stamped on the case in the same
transaction as its work (a conditional UPDATE), so a second run, or a
second worker, finds nothing left to do. Every step is logged on the ticket.
"""

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from comms.models import OutboundChannel
from comms.services import queue_email, queue_message
from comms.templating import render, render_subject
from helpdesk import escalation
from helpdesk import services as ticket_services
from helpdesk.models import STAFF_ROLES, Message, Role, SupportLevel, Ticket, TicketEvent, User
from helpdesk.models.core import EventKind
from helpdesk.timeline import message_template

from .engine import (
    ENGINEERING_ROOM,
    alert_agents,
    alert_engineering,
    deliver,
    heard_about,
    system_user,
)
from .models import ProactiveCase, SignalEvent, SignalSeverity, SignalType, SystemicAlert

BATCH = 200
STEPS = {
    # name: (severity, stamp field, measured from, after)
    "engineering": (SignalSeverity.HIGH, "engineering_alerted_at", "first_detected_at", timedelta(hours=4)),
    "follow_up": (SignalSeverity.HIGH, "followed_up_at", "last_outreach_at", timedelta(hours=24)),
    "l2": (SignalSeverity.HIGH, "l2_escalated_at", "first_detected_at", timedelta(hours=48)),
    "page": (SignalSeverity.CRITICAL, "engineering_paged_at", "first_detected_at", timedelta(hours=2)),
    "sms": (SignalSeverity.CRITICAL, "sms_escalated_at", "last_outreach_at", timedelta(hours=4)),
}
NEEDS_SILENCE = {"follow_up", "sms"}


def _customer_answered():
    return Exists(
        Message.objects.filter(
            author_id=OuterRef("customer_id"), is_internal=False, created_at__gt=OuterRef("last_outreach_at")
        )
    )


def due_cases(step, now):
    severity, stamp, start, after = STEPS[step]
    cases = (
        ProactiveCase.objects.open()
        .with_ticket()
        .filter(severity=severity, **{f"{stamp}__isnull": True, f"{start}__lte": now - after})
    )
    if step in NEEDS_SILENCE:
        cases = cases.exclude(_customer_answered())
    return cases


def run_ladder(*, now=None):
    """Take every ladder step that is due; returns {step: cases handled}."""
    now = now or timezone.now()
    done = {}
    for step in STEPS:
        ids = list(due_cases(step, now).order_by("pk").values_list("pk", flat=True)[:BATCH])
        done[step] = sum(1 for pk in ids if take_step(step, pk, now=now))
    return done


def take_step(step, case_id, *, now):
    _severity, stamp, _start, _after = STEPS[step]
    with transaction.atomic():
        claimed = due_cases(step, now).filter(pk=case_id).update(**{stamp: now})
        if not claimed:
            return False
        case = ProactiveCase.objects.select_related("ticket", "customer__organization__tier").get(pk=case_id)
        STEP_ACTIONS[step](case, now)
    return True


def _note(case, text):
    ticket_services.reply_to_ticket(system_user(), case.ticket, body=text, internal=True)


def _engineering(case, now):
    event = case.events.select_related("signal_type").order_by("-pk").first()
    alert_engineering(case, event, reason=_("High signal unresolved after 4 hours"), key_suffix="unresolved-4h")
    _note(case, _("Ladder: unresolved 4 hours after detection; engineering alerted in chat."))


def _page(case, now):
    event = case.events.select_related("signal_type").order_by("-pk").first()
    alert_engineering(case, event, reason=_("PAGE: critical signal unresolved after 2 hours"), key_suffix="page-2h")
    _note(case, _("Ladder: critical and unresolved 2 hours after detection; engineering paged."))


def _follow_up(case, now):
    heard = heard_about(case.customer_id, now)
    events = [
        e for e in case.events.select_related("signal_type").order_by("pk") if e.signal_type.root_cause_key not in heard
    ]
    if not events:
        # Every root cause of the case was in a message within 24 h (an incident notice about it, say):
        # the follow-up waits for that window, like any other message about the same root cause.
        ProactiveCase.objects.filter(pk=case.pk).update(followed_up_at=None)
        return
    used = deliver(case, events, severity=case.severity, now=now, reason="follow-up", only=["email"])
    _note(
        case,
        _("Ladder: no answer 24 hours after our message; follow-up sent (%(channels)s).")
        % {"channels": ", ".join(used) or _("no channel reached the customer")},
    )


def _l2(case, now):
    ticket = case.ticket
    if ticket.level >= SupportLevel.L2:
        _note(case, _("Ladder: unresolved 48 hours after detection; the ticket is already at L2 or above."))
        return
    escalation.escalate_ticket(
        system_user(),
        ticket,
        to_level=SupportLevel.L2,
        summary=_("Proactive signal unresolved 48 hours after detection: %(subject)s") % {"subject": ticket.subject},
        impact=_("%(count)s signal(s) about this customer since %(when)s.")
        % {"count": case.signal_count, "when": f"{case.first_detected_at:%Y-%m-%d %H:%M} UTC"},
        steps_tried=_("Proactive outreach %(count)s time(s); see the notes on this ticket.")
        % {"count": case.outreach_count},
        next_step=_("Find the root cause and tell the customer when it will be fixed."),
    )


def _sms(case, now):
    customer = case.customer
    sms_recently = "sms" in (case.last_outreach_channels or []) and case.last_outreach_at > now - timedelta(hours=24)
    allowed = set(customer.organization.tier.allowed_channels or []) if customer.organization_id else set()
    if sms_recently or not customer.phone or "sms" not in allowed:
        _note(
            case,
            _("Ladder: no answer 4 hours after our message. Call the customer%(phone)s: an SMS %(why)s.")
            % {
                "phone": f" ({customer.phone})" if customer.phone else "",
                "why": _("already went today") if sms_recently else _("cannot be sent to them"),
            },
        )
        return
    events = list(case.events.select_related("signal_type").order_by("pk"))
    deliver(case, events, severity=case.severity, now=now, reason="sms-4h", only=["sms"])
    _note(case, _("Ladder: no answer 4 hours after our message; SMS sent."))


STEP_ACTIONS = {"engineering": _engineering, "follow_up": _follow_up, "l2": _l2, "page": _page, "sms": _sms}


# --- systemic alerts ------------------------------------------------------------------------------


def systemic_window():
    return timedelta(hours=settings.FIRSTLINE_SIGNAL_SYSTEMIC_HOURS)


def raise_systemic_alerts(*, now=None):
    """3+ distinct customers with one signal inside the window: one alert per type and window."""
    now = now or timezone.now()
    since = now - systemic_window()
    wide = (
        SignalEvent.objects.filter(received_at__gte=since)
        .order_by()
        .values("signal_type_id")
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gte=settings.FIRSTLINE_SIGNAL_SYSTEMIC_MIN_CUSTOMERS)
    )
    raised = []
    for row in wide:
        alert = _raise(row["signal_type_id"], since, now)
        if alert is not None:
            raised.append(alert)
    return raised


def _raise(signal_type_id, since, now):
    with transaction.atomic():
        signal_type = SignalType.objects.select_for_update().get(pk=signal_type_id)
        if SystemicAlert.objects.filter(signal_type=signal_type, raised_at__gt=since).exists():
            return None
        events = list(
            SignalEvent.objects.filter(signal_type=signal_type, received_at__gte=since)
            .select_related("customer__organization__tier", "case")
            .order_by("received_at", "pk")
        )
        latest = {}
        for event in events:
            latest[event.customer_id] = event
        customers = [
            {
                "email": e.customer.email,
                "name": e.customer.display_name,
                "organization": e.customer.organization.name if e.customer.organization_id else "",
                "tier": e.customer.organization.tier.name if e.customer.organization_id else "",
                "ticket": Ticket.ref_for(e.case.ticket_id) if e.case.ticket_id else "",
                "since": e.occurred_at.isoformat(),
            }
            for e in latest.values()
        ]
        alert = SystemicAlert.objects.create(
            signal_type=signal_type,
            raised_at=now,
            window_start=since,
            customers=customers,
            shared=shared_factors(list(latest.values()), customers),
        )
        alert.cases.set({e.case_id for e in latest.values()})
        _announce(alert, signal_type, customers)
    return alert


def shared_factors(events, customers):
    """Fields every customer (or most of them) share: organization, tier, and the payload's plain values."""
    rows = []
    for customer, event in zip(customers, events, strict=True):
        plain = {k: v for k, v in (event.payload or {}).items() if isinstance(v, str | int | float | bool)}
        rows.append({"organization": customer["organization"], "tier": customer["tier"], **plain})
    total = len(rows)
    shared = {}
    for field in dict.fromkeys(name for row in rows for name in row):
        if field == "summary":
            continue
        value, count = Counter(str(row.get(field)) for row in rows if field in row).most_common(1)[0]
        if count * 2 > total:
            shared[field] = {"value": value, "count": count, "of": total}
    return shared


def describe_shared(shared):
    parts = []
    for field, found in shared.items():
        share = "" if found["count"] == found["of"] else f" ({found['count']}/{found['of']})"
        parts.append(f"{field}: {found['value']}{share}")
    return "; ".join(parts) or "—"


def _announce(alert, signal_type, customers):
    """Engineering chat and every manager, once per alert (outbox keys name the alert)."""
    url = settings.FIRSTLINE_SITE_URL + reverse("journey:systemic-detail", args=[alert.pk])
    template = message_template("signal-systemic-alert")
    values = {
        "signal_code": signal_type.code,
        "signal_name": signal_type.name,
        "customer_count": str(len(customers)),
        "customer_lines": "\n".join(
            f"{c['email']} · {c['organization']} · {c['tier']} · {c['ticket']}" for c in customers
        ),
        "shared_factors": describe_shared(alert.shared),
        "detected_at": f"{alert.window_start:%Y-%m-%d %H:%M} UTC",
        "ticket_agent_url": url,
        "site_url": settings.FIRSTLINE_SITE_URL,
    }
    subject = render_subject(template.translated("subject", "en")[0], values)
    body = render(template.translated("body", "en")[0], values)
    queue_message(
        channel=OutboundChannel.CHAT,
        key=f"journey:systemic:{alert.pk}:chat",
        to=ENGINEERING_ROOM,
        subject=subject,
        body=body,
        template_slug=template.slug,
    )
    for manager in User.objects.filter(role=Role.MANAGER, is_active=True).exclude(email=""):
        queue_email(
            key=f"journey:systemic:{alert.pk}:user:{manager.pk}",
            to=manager.email,
            subject=subject,
            body=body,
            recipient_user_id=manager.pk,
            template_slug=template.slug,
        )


# --- targets: internal response and customer outreach, per severity ------------------------------

# What a person doing something on the proactive ticket looks like in its timeline: any entry but its opening,
# by an active staff account (the engine's system account is inactive, so it never counts).
HANDLING_KINDS_EXCLUDED = (EventKind.CREATED, EventKind.SLA_WARNING, EventKind.SLA_BREACH, EventKind.SLA_RECOMPUTED)
HANDLED_HORIZON = timedelta(days=30)


def stamp_first_handled(*, now=None):
    """Stamp when a person first handled each case (assigned, replied, noted, changed its ticket): one UPDATE.

    Read from the ticket's timeline, so no helpdesk service needs to know
    about cases; a stamped case is never looked at again.
    """
    now = now or timezone.now()
    handling = TicketEvent.objects.filter(
        ticket_id=OuterRef("ticket_id"), actor__is_active=True, actor__role__in=STAFF_ROLES
    ).exclude(kind__in=HANDLING_KINDS_EXCLUDED)
    return (
        ProactiveCase.objects.filter(
            first_handled_at__isnull=True, ticket__isnull=False, first_detected_at__gte=now - HANDLED_HORIZON
        )
        .filter(Exists(handling))
        .update(first_handled_at=Subquery(handling.order_by("created_at").values("created_at")[:1]))
    )


TARGETS = {
    # name: (target field, done field, stamp field)
    "internal": ("internal_target_at", "first_handled_at", "internal_missed_alerted_at"),
    "outreach": ("outreach_target_at", "first_outreach_at", "outreach_missed_alerted_at"),
}


def missed_target_cases(target, now):
    due, done, stamp = TARGETS[target]
    cases = (
        ProactiveCase.objects.open()
        .with_ticket()
        .filter(**{f"{due}__lt": now, f"{done}__isnull": True, f"{stamp}__isnull": True})
    )
    if target == "outreach":
        # Held back because the customer heard from us within 24 h (de-duplication): not a miss to chase.
        cases = cases.filter(postponed_until__isnull=True)
    return cases


def alert_missed_targets(*, now=None):
    """Each case that missed its internal response or outreach target: one alert, stamped in the same transaction.

    Engineering's chat and the agents who should pick it up hear it once per
    case and target (a conditional UPDATE claims it; the outbox keys name it).
    """
    now = now or timezone.now()
    done = {}
    for target in TARGETS:
        ids = list(missed_target_cases(target, now).order_by("pk").values_list("pk", flat=True)[:BATCH])
        done[target] = sum(1 for pk in ids if _alert_missed(target, pk, now))
    return done


def _alert_missed(target, case_id, now):
    due_field, _done, stamp = TARGETS[target]
    with transaction.atomic():
        if not missed_target_cases(target, now).filter(pk=case_id).update(**{stamp: now}):
            return False
        case = ProactiveCase.objects.select_related("ticket__queue", "customer").get(pk=case_id)
        due = getattr(case, due_field)
        if target == "internal":
            reason = _("Internal response target missed: nobody has handled it since %(due)s")
        else:
            reason = _("Customer outreach target missed: the customer has not been told since %(due)s")
        reason = reason % {"due": f"{due:%Y-%m-%d %H:%M} UTC"}
        event = case.events.select_related("signal_type").order_by("pk").first()
        alert_engineering(case, event, reason=reason, key_suffix=f"missed-{target}")
        alert_agents(case, reason=reason, key_suffix=f"missed-{target}")
        _note(case, reason)
    return True


def run_signal_sweep(*, now=None):
    """The minute job: notes of new signals, outreach whose merge window passed, the ladder, systemic alerts."""
    from .engine import send_due_outreach, write_case_notes

    now = now or timezone.now()
    notes = write_case_notes(now=now)
    outreach = send_due_outreach(now=now)
    stamp_first_handled(now=now)
    return {
        "notes": notes,
        "outreach": outreach,
        "ladder": run_ladder(now=now),
        "systemic": len(raise_systemic_alerts(now=now)),
        "targets": alert_missed_targets(now=now),
    }
