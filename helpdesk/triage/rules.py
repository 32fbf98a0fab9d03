"""Admin-written triage rules: checking them before they are saved, and matching them against a ticket.

Regexes come from admins, so they are compiled when saved, capped in length,
and refused when they nest quantifiers (`(a+)+`, `(\\w*)*`): the shape that
makes Python's backtracking engine take exponential time. With that shape
gone, matching needs no timeout, which the `re` module does not offer.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Complexity, ConditionField, CustomerType, Flag, Operator
from .text import has_phrase, padded_words

REGEX_MAX_LENGTH = 200
REPEAT = re.compile(r"[+*]|\{\d*,\d*\}|\{\d*\d{2,}\}|\{[2-9]\}")


def _repeats_at(pattern, index):
    """Whether a repeating quantifier (+, *, {n,}, {n,m}, {n} with n > 1) starts at `index`."""
    return REPEAT.match(pattern, index) is not None


def nests_quantifiers(pattern):
    """Whether a group that repeats contains something that repeats: (a+)+, ((a|b)+)*, (?:x*){2,}."""
    stack = [False]  # per open group: does it hold a repeat?
    i, length = 0, len(pattern)
    while i < length:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            if i < length and _repeats_at(pattern, i):
                stack[-1] = True
            continue
        if ch == "[":  # a character class: skip to its end
            i += 1
            if i < length and pattern[i] == "^":
                i += 1
            if i < length and pattern[i] == "]":
                i += 1
            while i < length and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
            i += 1
            if i < length and _repeats_at(pattern, i):
                stack[-1] = True
            continue
        if ch == "(":
            stack.append(False)
        elif ch == ")" and len(stack) > 1:
            inner = stack.pop()
            if i + 1 < length and _repeats_at(pattern, i + 1):
                if inner:
                    return True
                stack[-1] = True
            elif inner:
                stack[-1] = True
        elif _repeats_at(pattern, i):
            stack[-1] = True
        i += 1
    return False


# Operators each field accepts.
TEXT_OPERATORS = {
    Operator.CONTAINS,
    Operator.NOT_CONTAINS,
    Operator.ANY_WORD,
    Operator.REGEX,
    Operator.EQUALS,
    Operator.NOT_EQUALS,
}
VALUE_OPERATORS = {Operator.EQUALS, Operator.NOT_EQUALS, Operator.IN_LIST, Operator.CONTAINS, Operator.NOT_CONTAINS}
ALLOWED = {
    ConditionField.TEXT: TEXT_OPERATORS,
    ConditionField.SUBJECT: TEXT_OPERATORS,
    ConditionField.BODY: TEXT_OPERATORS,
    ConditionField.SENDER: {*VALUE_OPERATORS, Operator.REGEX},
    ConditionField.ORGANIZATION: VALUE_OPERATORS,
    ConditionField.TIER: VALUE_OPERATORS,
    ConditionField.CHANNEL: {Operator.EQUALS, Operator.NOT_EQUALS, Operator.IN_LIST},
    ConditionField.LANGUAGE: {Operator.EQUALS, Operator.NOT_EQUALS, Operator.IN_LIST},
    ConditionField.TIME: {Operator.IN_HOURS, Operator.OUT_OF_HOURS},
    ConditionField.FLAG: {Operator.IS_SET},
    ConditionField.COMPLEXITY: {Operator.EQUALS, Operator.NOT_EQUALS, Operator.IN_LIST},
    ConditionField.CUSTOMER_TYPE: {Operator.EQUALS, Operator.NOT_EQUALS, Operator.IN_LIST},
}
# Fields whose values are codes: a condition must name known ones.
CODED = {ConditionField.COMPLEXITY: Complexity, ConditionField.CUSTOMER_TYPE: CustomerType}


def check_regex(pattern):
    """The compiled pattern, or ValidationError saying what is wrong with it."""
    if len(pattern) > REGEX_MAX_LENGTH:
        raise ValidationError(
            _("Keep regular expressions under %(limit)s characters.") % {"limit": REGEX_MAX_LENGTH},
            code="regex_length",
        )
    if nests_quantifiers(pattern):
        raise ValidationError(
            _("A repeated group that itself repeats, such as (a+)+, can take forever to match; rewrite it."),
            code="regex_nested",
        )
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise ValidationError(
            _("This is not a valid regular expression: %(error)s") % {"error": error}, code="regex_invalid"
        ) from error


def check_condition(field_name, operator, value):
    """ValidationError when a condition cannot work: wrong operator for the field, missing or bad value."""
    if operator not in ALLOWED.get(field_name, ()):
        raise ValidationError(
            _("“%(operator)s” cannot be used with “%(field)s”.")
            % {"operator": Operator(operator).label, "field": ConditionField(field_name).label},
            code="operator",
        )
    needs_value = operator not in (Operator.IN_HOURS, Operator.OUT_OF_HOURS)
    if needs_value and not (value or "").strip():
        raise ValidationError(_("This condition needs a value."), code="value_missing")
    if operator == Operator.REGEX:
        check_regex(value)
    if field_name == ConditionField.FLAG and value not in Flag.values:
        raise ValidationError(_("Name one of the flags: %(flags)s.") % {"flags": ", ".join(Flag.values)}, code="flag")
    if field_name in CODED:
        choices = CODED[field_name]
        named = _items(value) if operator == Operator.IN_LIST else [value.strip().lower()]
        if not named or any(item not in choices.values for item in named):
            raise ValidationError(
                _("Use the codes %(codes)s.") % {"codes": ", ".join(choices.values)}, code="value_unknown"
            )


def check_actions(rule, *, template_exists, has_tags=False):
    """ValidationError listing what makes the rule's actions impossible or contradictory."""
    problems = []
    if not (rule.has_action() or has_tags or rule.stop_processing):
        problems.append(_("Give the rule at least one action."))
    if rule.set_priority and rule.raise_priority:
        problems.append(_("Either set a priority or raise it, not both."))
    if rule.set_assignee_id and rule.set_team_id:
        problems.append(_("Either assign to an agent or within a team, not both."))
    if rule.set_assignee_id and not (rule.set_assignee.is_active and rule.set_assignee.is_agent):
        problems.append(_("Tickets can only be assigned to active staff."))
    if rule.send_template and not template_exists(rule.send_template):
        problems.append(_("There is no message template “%(slug)s”.") % {"slug": rule.send_template})
    if problems:
        raise ValidationError(problems, code="actions")


# --- matching -------------------------------------------------------------------------------


@dataclass
class Facts:
    """What rules can look at, gathered once per ticket (or from the admin's test form)."""

    subject: str = ""
    body: str = ""
    sender: str = ""
    organization: str = ""
    tier: str = ""
    channel: str = ""
    language: str = ""
    at: datetime | None = None
    flags: set = field(default_factory=set)
    complexity: str = ""
    customer_type: str = ""
    # A function of the moment, read only by a rule about time (it reads the calendar).
    calendar: object = None
    _in_hours: bool | None = None

    def in_business_hours(self):
        if self._in_hours is None:
            from .. import sla

            calendar = self.calendar() if callable(self.calendar) else self.calendar
            if calendar is None or self.at is None:
                self._in_hours = True
            else:
                end = self.at + timedelta(seconds=1)
                self._in_hours = sla.business_seconds(calendar, self.at, end) > 0
        return self._in_hours

    def value_of(self, field_name):
        if field_name == ConditionField.TEXT:
            return f"{self.subject}\n{self.body}"
        return getattr(self, field_name, "") or ""


def _items(value):
    return [item.strip().lower() for item in re.split(r"[,\n]", value or "") if item.strip()]


def condition_holds(condition, facts, compiled=None):
    field_name, operator, value = condition.field, condition.operator, condition.value or ""
    if field_name == ConditionField.FLAG:
        return value in facts.flags
    if field_name == ConditionField.TIME:
        inside = facts.in_business_hours()
        return inside if operator == Operator.IN_HOURS else not inside
    actual = facts.value_of(field_name)
    lowered = actual.lower()
    wanted = value.strip().lower()
    if operator == Operator.CONTAINS:
        return wanted in lowered
    if operator == Operator.NOT_CONTAINS:
        return wanted not in lowered
    if operator == Operator.EQUALS:
        return lowered.strip() == wanted
    if operator == Operator.NOT_EQUALS:
        return lowered.strip() != wanted
    if operator == Operator.IN_LIST:
        return lowered.strip() in _items(value)
    if operator == Operator.ANY_WORD:
        padded = padded_words(actual)
        return any(has_phrase(item, padded, lowered) for item in _items(value))
    if operator == Operator.REGEX:
        pattern = compiled or check_regex(value)
        return pattern.search(actual) is not None
    return False


def rule_matches(rule, facts):
    """Whether `rule` (with its conditions prefetched) holds for `facts`. A rule without conditions never does."""
    conditions = list(rule.conditions.all())
    if not conditions:
        return False
    results = (condition_holds(condition, facts) for condition in conditions)
    return all(results) if rule.match == "all" else any(results)
