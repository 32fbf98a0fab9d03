"""Why triage decided what it did: stored as codes with parameters, read in the reader's language.

A decision is written to the ticket's timeline and triage record as
`{"what": "priority", "value": 2, "why": [{"code": "rule", "params": {"name": "Payment failed"}}]}`:
no sentence is stored, so a Spanish-speaking agent reads the reason in
Spanish and an English one in English, from the same row. Parameters are
data (a rule's or a category's name, a number, a language code, a support
level); the sentence around them comes from gettext when the row is shown.
A reason of several parts (an assignment: speaks Spanish, skilled in
Billing, least loaded) is a list of parts joined by commas.

Rows written before reasons were codes hold `{"what", "value", "reason"}`
with an English sentence; `explain` and `describe_value` show those as they
are, so old tickets stay readable without rewriting them.

The message ids are the ones the sentences had when they were stored as
text, with the same placeholders, so the existing catalogues translate them.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

MESSAGES = {
    # Rules, the customer, the model
    "rule": _("rule “%(name)s” matched"),
    "rule_raised": _("raised one step by rule “%(name)s”"),
    "customer": _("chosen by the customer"),
    "model": _("model, %(confidence)s"),
    "model_below": _("%(reason)s: below %(threshold)s, only suggested"),  # reason: the "model" sentence
    # Language
    "detected": _("detected from the text (%(confidence)s)"),
    "profile": _("the customer's profile; the text did not say"),
    # Flags and customer type
    "vip_account": _("VIP account"),
    "vip_tier": _("tier %(tier)s"),
    "security_words": _("security words: %(words)s"),
    "frustration": _("frustration signals: %(signals)s"),
    "repeat": _("ticket %(n)s from this customer in %(days)s days"),
    "first_ticket": _("first ticket from this customer"),
    "earlier_tickets": _("has written to us before"),
    # Complexity
    "long": _("long message (%(words)s words)"),
    "questions": ngettext_lazy("%(n)s question", "%(n)s questions", "n"),
    "attachments": ngettext_lazy("%(n)s attachment", "%(n)s attachments", "n"),
    "technical": _("technical terms: %(terms)s"),
    "error_output": _("error output or code"),
    "plain": _("short, with no sign of complexity"),
    # Queues
    "route": _("routing rule “%(name)s”"),
    "default_queue": _("default queue"),
    "default_queue_failed": _("default queue, because a triage step failed"),
    # Assignment
    "speaks": _("speaks %(language)s"),
    "skilled": _("skilled in %(category)s"),
    "next_in_turn": _("next in turn"),
    "least_loaded": _("least loaded (%(load)s of %(capacity)s open)"),
    "needs_level": _("needs %(level)s or above"),
    "no_agent": _("no available agent in the queue's team"),
    "all_full": _("every available agent is at capacity"),
    "named_away": _("rule “%(name)s” names %(agent)s, who is away"),
    "named_full": _("rule “%(name)s” names %(agent)s, who is at capacity (%(load)s of %(capacity)s open)"),
    "named_inactive": _("rule “%(name)s” names %(agent)s, who can no longer take tickets"),
    "waits_in_queue": _("the ticket waits in its queue"),
    "away_release": _("back to the queue: the assignee has been away for %(minutes)s minutes"),
}

# What a decision is about, as the timeline's sentence names it.
WHAT = {
    "category": _("category"),
    "priority": _("priority"),
    "language": _("language"),
    "queue": _("queue"),
    "assignee": _("assignee"),
    "flag": _("flag"),
    "suggestion": _("suggestion"),
    "complexity": _("complexity"),
    "customer_type": _("customer type"),
}


# The same, as a heading names it (the agent's sidebar, the admin's rule tester).
LABELS = {
    "category": _("Category"),
    "priority": _("Priority"),
    "language": _("Language"),
    "queue": _("Queue"),
    "assignee": _("Assignee"),
    "flag": _("Flag"),
    "suggestion": _("Suggestion"),
    "complexity": _("Complexity"),
    "customer_type": _("Customer type"),
}


def why(code, **params):
    """One part of a reason, as stored."""
    return {"code": code, "params": params} if params else {"code": code}


def _language_name(code):
    return str(dict(settings.LANGUAGES).get(code, code))


def _level_name(level):
    from ..models import SupportLevel

    try:
        return str(SupportLevel(int(level)).label)
    except (TypeError, ValueError):
        return str(level)


def _confidence(value):
    try:
        return f"{float(value):.2f}"
    except (TypeError, ValueError):
        return str(value)


# Parameters that are codes or numbers, shown the reader's way.
PARAMS = {"language": _language_name, "level": _level_name, "confidence": _confidence, "threshold": _confidence}


def _part(part):
    message = MESSAGES.get(part.get("code"))
    if message is None:
        return str(part.get("code", ""))
    params = {name: PARAMS[name](value) if name in PARAMS else value for name, value in part.get("params", {}).items()}
    if part.get("code") == "model_below":
        params["reason"] = _part(why("model", confidence=part.get("params", {}).get("confidence")))
    try:
        return str(message % params) if params else str(message)
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder must not break the page
        return str(message)


def explain(entry):
    """The reason of a decision or an assignment (its `why`, or the old stored sentence) in the active language."""
    if not entry:
        return ""
    parts = entry.get("why")
    if parts is None:
        return str(entry.get("reason", ""))
    return ", ".join(_part(part) for part in parts)


def describe_what(entry):
    what = entry.get("what", "")
    return str(WHAT[what]) if what in WHAT else what


def describe_value(entry):
    """A decision's value in the active language: labels for codes, names (data) as stored."""
    from ..models import Complexity, CustomerType, Flag, Priority

    value = entry.get("value")
    if "why" not in entry:  # an old row: its value was stored as shown
        return "" if value is None else str(value)
    if value in (None, ""):
        return "—"
    labels = {
        "priority": lambda: Priority(int(value)).label,
        "flag": lambda: Flag(value).label,
        "complexity": lambda: Complexity(value).label,
        "customer_type": lambda: CustomerType(value).label,
        "language": lambda: _language_name(value),
    }
    try:
        return str(labels[entry.get("what")]()) if entry.get("what") in labels else str(value)
    except (KeyError, ValueError, TypeError):
        return str(value)
