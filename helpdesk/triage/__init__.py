"""Triage: every new ticket classified, prioritised and routed before an agent sees it.

`create_ticket` calls three functions, in its own transaction:

1. `decide` before the ticket is saved: language, flags, customer type,
   complexity, the classifier's guess and the admin's rules give category,
   priority, language and queue, so the SLA clock starts on the right priority;
2. `record` once it has an id: the decisions and their reasons go to the
   timeline;
3. `finish` after the clocks and the escalation rules: a rule's escalation
   and template, tags, assignment to an agent, and the ticket's TicketTriage
   row with every decision (written once, at the end).

Reasons are stored as codes with parameters (helpdesk.triage.reasons) and
put into words in the reader's language when a page shows them.

A value given by the caller (an agent or admin choosing a priority, a
category, a queue) always wins over triage. Every step is wrapped: a step
that fails is logged and written to the timeline as an internal event, its
savepoint is rolled back, and the ticket carries on (to the default queue if
nothing routed it). Triage never loses or blocks a ticket.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import (
    AssignmentMode,
    Category,
    Complexity,
    CustomerType,
    EventKind,
    Flag,
    Priority,
    SuggestionOutcome,
    Tag,
    Ticket,
    TicketEvent,
    TicketTriage,
)
from . import classifier, config, routing
from .reasons import why
from .rules import Facts, rule_matches
from .text import complexity_signals, detect_language, frustration_signals, security_words

logger = logging.getLogger(__name__)

FLAG_TAGS = {Flag.VIP: "vip", Flag.SECURITY: "security", Flag.FRUSTRATED: "frustrated", Flag.REPEAT: "repeat-contact"}


@dataclass
class Decision:
    category: Category | None = None
    priority: int | None = None
    language: str = ""
    language_source: str = ""
    queue: object = None
    assignee: object = None
    assignee_rule: str = ""
    team: object = None
    escalate_to: int | None = None
    templates: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    flags: set = field(default_factory=set)
    complexity: str = ""
    customer_type: str = ""
    suggestion: object = None
    suggestion_applied: bool = False
    matched: list = field(default_factory=list)  # the rules that matched, in order
    reasons: list = field(default_factory=list)  # {"what", "value", "why": [parts]}, see .reasons
    failures: list = field(default_factory=list)  # {"step", "error"}

    def because(self, what, value, *parts, quiet=False):
        """Note a decision and the parts of its reason (`reasons.why(...)`); a quiet one (nothing was really
        decided) stays off the timeline. Values are codes (a priority, a flag, a language) or names (data)."""
        entry = {"what": what, "value": value if value is None or isinstance(value, int | str) else str(value)}
        entry["why"] = list(parts)
        if quiet:
            entry["quiet"] = True
        self.reasons.append(entry)


def _step(decision, name, function, *args, pure=False):
    """Run one step in a savepoint; a failure is kept on the decision, never raised.

    Outside a transaction (the admin's rule tester, the bench) a step only
    reads, so it runs without one rather than opening a write transaction.
    A `pure` step touches no database (reading the text), so a failure in it
    cannot spoil the transaction and it needs no savepoint.
    """
    try:
        if pure or not transaction.get_connection().in_atomic_block:
            return function(*args)
        with transaction.atomic():
            return function(*args)
    except Exception as error:  # noqa: BLE001 - triage must never lose the ticket
        logger.exception("Triage step %s failed", name)
        decision.failures.append({"step": name, "error": f"{type(error).__name__}: {error}"[:300]})
        return None


def facts_for(*, subject, body, requester, channel, at, language=""):
    organization = requester.organization if requester is not None and requester.organization_id else None
    tier = organization.tier if organization is not None else None

    def calendar():
        from .. import clocks, sla

        policy = clocks.policy_for_tier(tier)
        return sla.Calendar.from_snapshot(policy.calendar.to_snapshot()) if policy else None

    return Facts(
        subject=subject or "",
        body=body or "",
        sender=(requester.email if requester is not None else "") or "",
        organization=organization.name if organization else "",
        tier=tier.name if tier else "",
        channel=channel or "",
        language=language,
        at=at,
        calendar=calendar,
    )


def decide(
    *,
    subject,
    body,
    requester,
    channel,
    at,
    explicit,
    customer_said=None,
    inbound_address="",
    profile_language="",
    attachments=0,
):
    """What triage would do with a new ticket, without writing anything.

    `explicit` maps field names (category, priority, language, queue) to the
    values the caller chose; those are kept as they are. `customer_said`
    holds what a customer picked (priority, category): a rule overrules it,
    the model does not. `attachments` is how many files came with it (a
    sign of complexity).
    """
    decision = Decision()
    facts = facts_for(subject=subject, body=body, requester=requester, channel=channel, at=at)
    _step(decision, "language", _decide_language, decision, facts, explicit, profile_language, pure=True)
    facts.language = decision.language
    _step(decision, "flags", _decide_flags, decision, facts, requester, at)
    facts.flags = set(decision.flags)
    facts.customer_type = decision.customer_type
    _step(decision, "complexity", _decide_complexity, decision, facts, attachments, pure=True)
    facts.complexity = decision.complexity
    prediction = _step(decision, "classifier", classifier.predict, subject, body)
    rules = _step(decision, "rules", _matching_rules, decision, facts)
    _combine(decision, explicit, customer_said or {}, prediction, rules or [])
    if "queue" in explicit:
        decision.queue = explicit["queue"]
    elif decision.queue is None:
        tier = requester.organization.tier if requester is not None and requester.organization_id else None
        routed = _step(
            decision,
            "routing",
            lambda: routing.route_queue(
                category=decision.category, channel=channel, inbound_address=inbound_address, tier=tier
            ),
        )
        if routed and routed[0] is not None:
            decision.queue = routed[0]
            decision.because("queue", routed[0].name, routed[1])
    if decision.queue is None and decision.failures:
        decision.queue = config.current().default_queue
        if decision.queue is not None:
            decision.because("queue", decision.queue.name, why("default_queue_failed"))
    return decision


def _decide_language(decision, facts, explicit, profile_language):
    if explicit.get("language"):
        decision.language, decision.language_source = explicit["language"], "explicit"
        return
    detected = detect_language(f"{facts.subject}\n{facts.body}")
    codes = {code for code, _name in settings.LANGUAGES}
    if detected and detected.code in codes:
        decision.language, decision.language_source = detected.code, "text"
        decision.because("language", detected.code, why("detected", confidence=detected.confidence))
    else:
        decision.language = profile_language or settings.LANGUAGE_CODE
        decision.language_source = "profile"
        decision.because("language", decision.language, why("profile"), quiet=True)


def _decide_flags(decision, facts, requester, at):
    """VIP, security, frustration and repeat contact; and the customer type, from the same reading."""
    organization = requester.organization if requester is not None and requester.organization_id else None
    if organization is not None and (organization.is_vip or facts.tier in settings.FIRSTLINE_TRIAGE_VIP_TIERS):
        decision.flags.add(Flag.VIP)
        vip_why = why("vip_account") if organization.is_vip else why("vip_tier", tier=facts.tier)
        decision.because("flag", Flag.VIP.value, vip_why)
    text = f"{facts.subject}\n{facts.body}"
    found = security_words(text)
    if found:
        decision.flags.add(Flag.SECURITY)
        decision.because("flag", Flag.SECURITY.value, why("security_words", words=", ".join(found[:5])))
    signals = frustration_signals(text)
    if len(signals) >= settings.FIRSTLINE_TRIAGE_FRUSTRATION_SIGNALS:
        decision.flags.add(Flag.FRUSTRATED)
        decision.because("flag", Flag.FRUSTRATED.value, why("frustration", signals=", ".join(signals[:5])))
    earlier = recent = 0
    if requester is not None and requester.pk:
        since = at - timedelta(days=settings.FIRSTLINE_TRIAGE_REPEAT_DAYS)
        # One reading for both: tickets ever (new or returning) and lately (repeat contact).
        counts = Ticket.objects.filter(requester=requester).aggregate(
            earlier=Count("pk"), recent=Count("pk", filter=Q(created_at__gte=since))
        )
        earlier, recent = counts["earlier"], counts["recent"]
        if recent + 1 >= settings.FIRSTLINE_TRIAGE_REPEAT_COUNT:
            decision.flags.add(Flag.REPEAT)
            decision.because(
                "flag",
                Flag.REPEAT.value,
                why("repeat", n=recent + 1, days=settings.FIRSTLINE_TRIAGE_REPEAT_DAYS),
            )
    decision.tags.extend(FLAG_TAGS[flag] for flag in Flag if flag in decision.flags)
    if Flag.VIP in decision.flags:
        decision.customer_type = CustomerType.VIP
        decision.because("customer_type", CustomerType.VIP.value, vip_why)
    elif earlier == 0:
        decision.customer_type = CustomerType.NEW
        decision.because("customer_type", CustomerType.NEW.value, why("first_ticket"))
    else:
        decision.customer_type = CustomerType.RETURNING
        decision.because("customer_type", CustomerType.RETURNING.value, why("earlier_tickets"), quiet=True)


def _decide_complexity(decision, facts, attachments):
    """Simple, moderate or complex from the text's signals (a rule may say otherwise: see _combine)."""
    signals = complexity_signals(
        f"{facts.subject}\n{facts.body}", attachments=attachments, long_words=settings.FIRSTLINE_TRIAGE_LONG_WORDS
    )
    score = sum(weight for _code, _params, weight in signals)
    if score >= settings.FIRSTLINE_TRIAGE_COMPLEX_SCORE:
        decision.complexity = Complexity.COMPLEX
    elif score >= settings.FIRSTLINE_TRIAGE_MODERATE_SCORE:
        decision.complexity = Complexity.MODERATE
    else:
        decision.complexity = Complexity.SIMPLE
    parts = [why(code, **params) for code, params, _weight in signals] or [why("plain")]
    decision.because("complexity", decision.complexity, *parts, quiet=decision.complexity == Complexity.SIMPLE)


def _matching_rules(decision, facts, rules=None):
    matched = []
    for rule in config.current().rules if rules is None else rules:
        if rule_matches(rule, facts):
            matched.append(rule)
            if rule.stop_processing:
                break
    decision.matched = [rule.name for rule in matched]
    return matched


def _first(rules, attribute):
    return next((rule for rule in rules if getattr(rule, attribute)), None)


def _combine(decision, explicit, customer_said, prediction, rules):
    """Category, priority, queue, people and side effects: the caller first, then rules, then the model."""
    threshold = settings.FIRSTLINE_TRIAGE_CONFIDENCE
    decision.suggestion = prediction
    # Category
    rule = _first(rules, "set_category_id")
    if explicit.get("category") is not None:
        decision.category = explicit["category"]
    elif rule:
        decision.category = rule.set_category
        decision.because("category", rule.set_category.name, why("rule", name=rule.name))
    elif customer_said.get("category") is not None:
        decision.category = customer_said["category"]
        decision.because("category", decision.category.name, why("customer"), quiet=True)
    elif prediction and prediction.category is not None:
        confidence = prediction.category_confidence
        if confidence >= threshold:
            decision.category = prediction.category
            decision.suggestion_applied = True
            decision.because("category", prediction.category.name, why("model", confidence=confidence))
        else:
            decision.because(
                "suggestion",
                prediction.category.name,
                why("model_below", confidence=confidence, threshold=threshold),
            )
    # Priority
    rule = _first(rules, "set_priority")
    if explicit.get("priority") is not None:
        decision.priority = explicit["priority"]
    else:
        if rule:
            decision.priority = rule.set_priority
            decision.because("priority", int(rule.set_priority), why("rule", name=rule.name))
        elif customer_said.get("priority") is not None:
            decision.priority = customer_said["priority"]
            decision.because("priority", int(decision.priority), why("customer"), quiet=True)
        elif prediction and prediction.priority and prediction.priority_confidence >= threshold:
            decision.priority = prediction.priority
            decision.because(
                "priority", int(prediction.priority), why("model", confidence=prediction.priority_confidence)
            )
        raiser = _first(rules, "raise_priority")
        if raiser:
            before = decision.priority or Priority.MEDIUM
            decision.priority = max(Priority.CRITICAL, before - 1)
            if decision.priority != before:
                decision.because("priority", int(decision.priority), why("rule_raised", name=raiser.name))
    # Complexity: a rule's word beats the text's signals.
    rule = _first(rules, "set_complexity")
    if rule:
        decision.complexity = rule.set_complexity
        decision.because("complexity", rule.set_complexity, why("rule", name=rule.name))
    # Queue, people, escalation, templates, tags
    rule = _first(rules, "set_queue_id")
    if rule and "queue" not in explicit:
        decision.queue = rule.set_queue
        decision.because("queue", rule.set_queue.name, why("rule", name=rule.name))
    rule = _first(rules, "set_assignee_id")
    if rule:
        # Only named here: whether they can take it (available, under capacity) is settled at assignment.
        decision.assignee = rule.set_assignee
        decision.assignee_rule = rule.name
    rule = _first(rules, "set_team_id")
    if rule and decision.assignee is None:
        decision.team = rule.set_team
    escalations = [rule.escalate_to for rule in rules if rule.escalate_to]
    decision.escalate_to = max(escalations) if escalations else None
    decision.templates = [(rule.pk, rule.send_template, rule.name) for rule in rules if rule.send_template]
    for rule in rules:
        decision.tags.extend(tag.name for tag in rule.add_tags.all())


# --- writing it down ------------------------------------------------------------------------


def apply_fields(ticket, decision):
    """Copy the decided fields onto the unsaved ticket."""
    if decision.category is not None:
        ticket.category = decision.category
    if decision.priority is not None:
        ticket.priority = decision.priority
    if decision.language:
        ticket.language = decision.language
    if decision.queue is not None:
        ticket.queue = decision.queue


def record(ticket, decision, now):
    """One timeline entry per decision (internal), in one statement; the triage row is written by `finish`."""
    events = [
        TicketEvent(ticket=ticket, actor=None, kind=EventKind.TRIAGED, data=reason, created_at=now)
        for reason in decision.reasons
        if not reason.get("quiet")
    ]
    events += [
        TicketEvent(ticket=ticket, actor=None, kind=EventKind.TRIAGE_FAILED, data=failure, created_at=now)
        for failure in decision.failures
    ]
    TicketEvent.objects.bulk_create(events)


def finish(actor, ticket, decision, now):
    """Tags, a rule's escalation and template, then assignment, each step wrapped like the others;
    then the triage row, once, with every decision and whether a step failed."""
    failures_before = len(decision.failures)
    if decision.tags:
        _step(decision, "tags", _add_tags, ticket, decision.tags, now)
    if decision.escalate_to and decision.escalate_to > ticket.level:
        _step(decision, "escalation", _escalate, ticket, decision)
        # Only what escalation changes: the requester and organization read so far stay with the instance.
        ticket.refresh_from_db(fields=ESCALATED_FIELDS)
    for rule_pk, slug, _name in decision.templates:
        _step(decision, "template", _send_template, ticket, rule_pk, slug)
    if ticket.assignee_id is None:
        _step(decision, "assignment", _assign, ticket, decision, now)
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket=ticket, kind=EventKind.TRIAGE_FAILED, data=failure, created_at=now)
        for failure in decision.failures[failures_before:]
    )
    _save_triage(ticket, decision, now)


ESCALATED_FIELDS = [
    "level",
    "level_since",
    "escalate_at",
    "escalation_count",
    "handoff_pending_since",
    "sla_due_at",
    "sla_due_target",
    "sla_paused_at",
    "updated_at",
    "version",
]


def _save_triage(ticket, decision, now):
    suggestion = decision.suggestion
    TicketTriage.objects.create(
        ticket=ticket,
        created_at=now,
        language_source=decision.language_source,
        is_vip=Flag.VIP in decision.flags,
        is_security=Flag.SECURITY in decision.flags,
        is_frustrated=Flag.FRUSTRATED in decision.flags,
        is_repeat=Flag.REPEAT in decision.flags,
        complexity=decision.complexity,
        customer_type=decision.customer_type,
        suggested_category=suggestion.category if suggestion else None,
        suggested_priority=suggestion.priority if suggestion else None,
        confidence=suggestion.category_confidence if suggestion else None,
        suggestion_applied=decision.suggestion_applied,
        outcome=SuggestionOutcome.PENDING if suggestion and suggestion.category else SuggestionOutcome.NONE,
        reasons=decision.reasons,
        failed=bool(decision.failures),
    )


def _add_tags(ticket, names, now):
    names = list(dict.fromkeys(names))
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    ticket.tags.add(*Tag.objects.filter(name__in=names))
    TicketEvent.objects.create(
        ticket=ticket, actor=None, kind=EventKind.TAGS, data={"added": names, "removed": []}, created_at=now
    )


def _escalate(ticket, decision):
    from ..escalation import escalate_ticket
    from ..models import HandoffKind

    with translation.override(settings.LANGUAGE_CODE):
        rules = ", ".join(decision.matched)
        escalate_ticket(
            None,
            ticket,
            to_level=decision.escalate_to,
            kind=HandoffKind.PRIORITY,
            summary=_("Escalated on arrival by triage rule: %(rules)s.") % {"rules": rules},
            impact=_("Priority %(priority)s.") % {"priority": Priority(ticket.priority).label},
            steps_tried=_("None yet: the ticket has just arrived."),
            next_step=_("Read the ticket and take it up."),
        )


def _send_template(ticket, rule_pk, slug):
    from ..replies import ticket_values
    from ..timeline import email_from_template

    def send():
        email_from_template(
            ticket.requester,
            key=f"ticket:{ticket.pk}:triage-rule:{rule_pk}:user:{ticket.requester_id}",
            slug=slug,
            values=lambda _user: ticket_values(ticket, None),
            reference=ticket.ref,
        )

    transaction.on_commit(send)


def _assign(ticket, decision, now):
    """The agent a rule names, if they are available and have room; else the queue's automatic assignment
    (its least-loaded or next available agent by skills, languages and level); else the queue.

    The named agent is checked under the same row lock as automatic assignment
    (see helpdesk.triage.routing), so a rule cannot push anyone over capacity.
    """
    from ..timeline import touch

    queue = ticket.queue
    automatic = queue is not None and (decision.team is not None or queue.assignment != AssignmentMode.MANUAL)
    if decision.assignee is None and not automatic:
        return
    mode = queue.assignment if queue is not None and queue.assignment != AssignmentMode.MANUAL else None
    agent, parts = routing.assign_by_routing(
        ticket,
        now=now,
        mode=mode or AssignmentMode.LEAST_LOADED,
        team=decision.team,
        min_level=routing.level_for_complexity(decision.complexity),
        named=decision.assignee,
        rule=decision.assignee_rule,
        route=automatic,
    )
    if agent is None:
        decision.because("assignee", None, *parts)
        return
    ticket.assignee = agent
    touch(ticket, now, "assignee")
    routing.record_assignment(ticket, agent, parts, now)
    decision.because("assignee", agent.display_name, *parts)
