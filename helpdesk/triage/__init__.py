"""Triage: every new ticket classified, prioritised and routed before an agent sees it.

`create_ticket` calls three functions, in its own transaction:

1. `decide` before the ticket is saved: language, flags, the classifier's
   guess and the admin's rules give category, priority, language and queue,
   so the SLA clock starts on the right priority;
2. `record` once it has an id: the decisions and their reasons go to the
   timeline and to the ticket's TicketTriage row;
3. `finish` after the clocks and the escalation rules: a rule's escalation
   and template, tags, and assignment to an agent.

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
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import (
    AssignmentMode,
    Category,
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
from .rules import Facts, rule_matches
from .text import detect_language, frustration_signals, security_words

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
    team: object = None
    escalate_to: int | None = None
    templates: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    flags: set = field(default_factory=set)
    suggestion: object = None
    suggestion_applied: bool = False
    matched: list = field(default_factory=list)  # the rules that matched, in order
    reasons: list = field(default_factory=list)  # {"what", "value", "reason"}
    failures: list = field(default_factory=list)  # {"step", "error"}

    def because(self, what, value, reason, *, quiet=False):
        """Note a decision and its reason; a quiet one (nothing was really decided) stays off the timeline."""
        entry = {"what": what, "value": str(value), "reason": str(reason)}
        if quiet:
            entry["quiet"] = True
        self.reasons.append(entry)


def _step(decision, name, function, *args):
    """Run one step in a savepoint; a failure is kept on the decision, never raised.

    Outside a transaction (the admin's rule tester, the bench) a step only
    reads, so it runs without one rather than opening a write transaction.
    """
    try:
        if not transaction.get_connection().in_atomic_block:
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
    *, subject, body, requester, channel, at, explicit, customer_said=None, inbound_address="", profile_language=""
):
    """What triage would do with a new ticket, without writing anything.

    `explicit` maps field names (category, priority, language, queue) to the
    values the caller chose; those are kept as they are. `customer_said`
    holds what a customer picked (priority, category): a rule overrules it,
    the model does not.
    """
    decision = Decision()
    facts = facts_for(subject=subject, body=body, requester=requester, channel=channel, at=at)
    with translation.override(settings.LANGUAGE_CODE):  # reasons are stored in the site's language
        _step(decision, "language", _decide_language, decision, facts, explicit, profile_language)
        facts.language = decision.language
        _step(decision, "flags", _decide_flags, decision, facts, requester, at)
        facts.flags = set(decision.flags)
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
                decision.because("queue", routed[0], routed[1])
        if decision.queue is None and decision.failures:
            decision.queue = config.current().default_queue
            if decision.queue is not None:
                decision.because("queue", decision.queue, _("default queue, because a triage step failed"))
    return decision


def _decide_language(decision, facts, explicit, profile_language):
    if explicit.get("language"):
        decision.language, decision.language_source = explicit["language"], "explicit"
        return
    detected = detect_language(f"{facts.subject}\n{facts.body}")
    codes = {code for code, _name in settings.LANGUAGES}
    if detected and detected.code in codes:
        decision.language, decision.language_source = detected.code, "text"
        decision.because(
            "language",
            detected.code,
            _("detected from the text (%(confidence)s)") % {"confidence": f"{detected.confidence:.2f}"},
        )
    else:
        decision.language = profile_language or settings.LANGUAGE_CODE
        decision.language_source = "profile"
        decision.because("language", decision.language, _("the customer's profile; the text did not say"), quiet=True)


def _decide_flags(decision, facts, requester, at):
    organization = requester.organization if requester is not None and requester.organization_id else None
    if organization is not None and (organization.is_vip or facts.tier in settings.FIRSTLINE_TRIAGE_VIP_TIERS):
        decision.flags.add(Flag.VIP)
        why = _("VIP account") if organization.is_vip else _("tier %(tier)s") % {"tier": facts.tier}
        decision.because("flag", Flag.VIP.label, why)
    text = f"{facts.subject}\n{facts.body}"
    found = security_words(text)
    if found:
        decision.flags.add(Flag.SECURITY)
        decision.because("flag", Flag.SECURITY.label, _("security words: %(words)s") % {"words": ", ".join(found[:5])})
    signals = frustration_signals(text)
    if len(signals) >= settings.FIRSTLINE_TRIAGE_FRUSTRATION_SIGNALS:
        decision.flags.add(Flag.FRUSTRATED)
        decision.because(
            "flag", Flag.FRUSTRATED.label, _("frustration signals: %(signals)s") % {"signals": ", ".join(signals[:5])}
        )
    if requester is not None and requester.pk:
        since = at - timedelta(days=settings.FIRSTLINE_TRIAGE_REPEAT_DAYS)
        earlier = Ticket.objects.filter(requester=requester, created_at__gte=since).count()
        if earlier + 1 >= settings.FIRSTLINE_TRIAGE_REPEAT_COUNT:
            decision.flags.add(Flag.REPEAT)
            decision.because(
                "flag",
                Flag.REPEAT.label,
                _("ticket %(n)s from this customer in %(days)s days")
                % {"n": earlier + 1, "days": settings.FIRSTLINE_TRIAGE_REPEAT_DAYS},
            )
    decision.tags.extend(FLAG_TAGS[flag] for flag in Flag if flag in decision.flags)


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
        decision.because("category", rule.set_category, _("rule “%(name)s” matched") % {"name": rule.name})
    elif customer_said.get("category") is not None:
        decision.category = customer_said["category"]
        decision.because("category", decision.category, _("chosen by the customer"), quiet=True)
    elif prediction and prediction.category is not None:
        reason = _("model, %(confidence)s") % {"confidence": f"{prediction.category_confidence:.2f}"}
        if prediction.category_confidence >= threshold:
            decision.category = prediction.category
            decision.suggestion_applied = True
            decision.because("category", prediction.category, reason)
        else:
            decision.because(
                "suggestion",
                prediction.category,
                _("%(reason)s: below %(threshold)s, only suggested")
                % {"reason": reason, "threshold": f"{threshold:.2f}"},
            )
    # Priority
    rule = _first(rules, "set_priority")
    if explicit.get("priority") is not None:
        decision.priority = explicit["priority"]
    else:
        if rule:
            decision.priority = rule.set_priority
            decision.because(
                "priority", Priority(rule.set_priority).label, _("rule “%(name)s” matched") % {"name": rule.name}
            )
        elif customer_said.get("priority") is not None:
            decision.priority = customer_said["priority"]
            decision.because("priority", Priority(decision.priority).label, _("chosen by the customer"), quiet=True)
        elif prediction and prediction.priority and prediction.priority_confidence >= threshold:
            decision.priority = prediction.priority
            decision.because(
                "priority",
                Priority(prediction.priority).label,
                _("model, %(confidence)s") % {"confidence": f"{prediction.priority_confidence:.2f}"},
            )
        raiser = _first(rules, "raise_priority")
        if raiser:
            before = decision.priority or Priority.MEDIUM
            decision.priority = max(Priority.CRITICAL, before - 1)
            if decision.priority != before:
                decision.because(
                    "priority",
                    Priority(decision.priority).label,
                    _("raised one step by rule “%(name)s”") % {"name": raiser.name},
                )
    # Queue, people, escalation, templates, tags
    rule = _first(rules, "set_queue_id")
    if rule and "queue" not in explicit:
        decision.queue = rule.set_queue
        decision.because("queue", rule.set_queue, _("rule “%(name)s” matched") % {"name": rule.name})
    rule = _first(rules, "set_assignee_id")
    if rule:
        decision.assignee = rule.set_assignee
        decision.because("assignee", rule.set_assignee, _("rule “%(name)s” matched") % {"name": rule.name})
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
    """The triage row and one timeline entry per decision (internal), in two statements."""
    suggestion = decision.suggestion
    TicketTriage.objects.create(
        ticket=ticket,
        created_at=now,
        language_source=decision.language_source,
        is_vip=Flag.VIP in decision.flags,
        is_security=Flag.SECURITY in decision.flags,
        is_frustrated=Flag.FRUSTRATED in decision.flags,
        is_repeat=Flag.REPEAT in decision.flags,
        suggested_category=suggestion.category if suggestion else None,
        suggested_priority=suggestion.priority if suggestion else None,
        confidence=suggestion.category_confidence if suggestion else None,
        suggestion_applied=decision.suggestion_applied,
        outcome=SuggestionOutcome.PENDING if suggestion and suggestion.category else SuggestionOutcome.NONE,
        reasons=decision.reasons,
        failed=bool(decision.failures),
    )
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
    """Tags, a rule's escalation and template, then assignment; each step wrapped like the others."""
    failures_before = len(decision.failures)
    if decision.tags:
        _step(decision, "tags", _add_tags, ticket, decision.tags, now)
    if decision.escalate_to and decision.escalate_to > ticket.level:
        _step(decision, "escalation", _escalate, ticket, decision)
        ticket.refresh_from_db()
    for rule_pk, slug, _name in decision.templates:
        _step(decision, "template", _send_template, ticket, rule_pk, slug)
    if ticket.assignee_id is None:
        _step(decision, "assignment", _assign, ticket, decision, now)
    for failure in decision.failures[failures_before:]:
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.TRIAGE_FAILED, data=failure, created_at=now)
    if len(decision.failures) > failures_before:
        TicketTriage.objects.filter(ticket=ticket).update(failed=True)


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
    from ..timeline import touch

    queue = ticket.queue
    if decision.assignee is not None:
        agent, reason = decision.assignee, _("rule “%(name)s” matched") % {"name": ", ".join(decision.matched)}
    elif queue is not None and (decision.team is not None or queue.assignment != AssignmentMode.MANUAL):
        mode = queue.assignment if queue.assignment != AssignmentMode.MANUAL else AssignmentMode.LEAST_LOADED
        with translation.override(settings.LANGUAGE_CODE):
            agent, reason = routing.assign_by_routing(ticket, now=now, mode=mode, team=decision.team)
        if agent is None:
            decision.because("assignee", "—", reason)
            TicketTriage.objects.filter(ticket=ticket).update(reasons=decision.reasons)
            return
    else:
        return
    ticket.assignee = agent
    touch(ticket, now, "assignee")
    routing.record_assignment(ticket, agent, reason, now)
    decision.because("assignee", agent.display_name, reason)
    TicketTriage.objects.filter(ticket=ticket).update(reasons=decision.reasons)
