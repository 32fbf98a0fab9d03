"""The feedback page, read side: every figure is one aggregate query over answers or invitations.

Answers carry the ticket's dimensions, copied when they arrived, so the
breakdowns are GROUP BYs over one table (all six in one UNION ALL) and the
trend is one GROUP BY over TruncWeek / TruncMonth. No row is loaded into
Python except the grouped results and the few latest comments.

Definitions:
- CSAT: the average of 1–5 answers, and the share of 4s and 5s.
- NPS: % promoters (9–10) − % detractors (0–6) among NPS answers.
- Response rate: invitations created in the period that have been answered.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Avg, CharField, Count, F, Q, Sum, Value
from django.db.models.functions import Cast, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import reports as helpdesk_reports
from helpdesk.models import Channel, Ticket, _count

from . import rollup
from .models import (
    FeedbackDailyInvitations,
    FeedbackDailyScore,
    FeedbackRollupDay,
    Invitation,
    QualityReview,
    Response,
    ReviewItem,
    SurveyKind,
)

CSAT = Q(kind=SurveyKind.CSAT)
NPS = Q(kind=SurveyKind.NPS)
PULSE = Q(kind=SurveyKind.PULSE)
LATEST_COMMENTS = 10
# dimension -> (grouped column, the columns naming it: first name, last name, username; or one name)
BREAKDOWNS = {
    "agent": ("agent_id", ("agent__first_name", "agent__last_name", "agent__username")),
    "team": ("team_id", ("team__name",)),
    "tier": ("tier_id", ("tier__name",)),
    "category": ("category_id", ("category__name",)),
    "language": ("language", ()),
    "channel": ("channel", ()),
}
# dimension -> the rollup's column for it; `all` holds the day's totals, grouped by day for the trend.
ROLLUP_COLUMNS = {name: column.removesuffix("_id") for name, (column, _names) in BREAKDOWNS.items()} | {"all": "day"}


class _NativeTrunc:
    """TruncWeek / TruncMonth, computed by SQLite's own date functions when the time zone is UTC.

    Django's SQLite truncation calls a Python function once per row, which
    made the trend the slowest part of the page; PostgreSQL uses date_trunc as is.
    """

    sqlite_format = None

    def as_sqlite(self, compiler, connection, **extra):
        from django.utils import timezone

        if self.tzinfo is not None or timezone.get_current_timezone_name() != "UTC":
            return super().as_sqlite(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        # The backend formats the whole statement with %, so the date format keeps its %% here.
        return self.sqlite_format.replace("{lhs}", sql), params


class WeekStart(_NativeTrunc, TruncWeek):
    # The Monday of the row's week: forward to Sunday (or stay), then back six days.
    sqlite_format = "strftime('%%Y-%%m-%%d 00:00:00', {lhs}, 'weekday 0', '-6 days')"


class MonthStart(_NativeTrunc, TruncMonth):
    sqlite_format = "strftime('%%Y-%%m-01 00:00:00', {lhs})"


def _figures():
    """Conditional aggregates over answers shared by every grouping: counts and sums, never rows."""
    return {
        "csat_n": Count("pk", filter=CSAT),
        "csat_sum": Sum("score", filter=CSAT),
        "csat_good": Count("pk", filter=CSAT & Q(score__gte=4)),
        "nps_n": Count("pk", filter=NPS),
        "promoters": Count("pk", filter=NPS & Q(score__gte=9)),
        "detractors": Count("pk", filter=NPS & Q(score__lte=6)),
        "pulse_n": Count("pk", filter=PULSE),
        "pulse_up": Count("pk", filter=PULSE & Q(score=1)),
    }


def _rollup_figures():
    """The same figures summed from the daily rollup (see `feedback.rollup`)."""
    return {
        "csat_n": Sum("answers", filter=CSAT),
        "csat_sum": Sum("score_sum", filter=CSAT),
        "csat_good": Sum("high", filter=CSAT),
        "nps_n": Sum("answers", filter=NPS),
        "promoters": Sum("high", filter=NPS),
        "detractors": Sum("low", filter=NPS),
        "pulse_n": Sum("answers", filter=PULSE),
        "pulse_up": Sum("high", filter=PULSE),
    }


FIGURES = tuple(_figures())


@dataclass
class Scores:
    label: str
    csat_n: int = 0
    csat_sum: int = 0
    csat_good: int = 0
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0
    pulse_n: int = 0
    pulse_up: int = 0
    key: object = None

    @property
    def csat_avg(self):
        # The sum of whole scores is exact in a float, so this equals the database's AVG.
        return self.csat_sum / self.csat_n if self.csat_n else None

    @property
    def csat_share(self):
        return 100 * self.csat_good / self.csat_n if self.csat_n else None

    @property
    def nps(self):
        return round(100 * (self.promoters - self.detractors) / self.nps_n) if self.nps_n else None

    @property
    def pulse_share(self):
        return 100 * self.pulse_up / self.pulse_n if self.pulse_n else None

    @property
    def csat_width(self):
        """The average as a share of the 1–5 scale, for a bar (0–100)."""
        return (self.csat_avg - 1) * 25 if self.csat_avg is not None else 0

    @property
    def answers(self):
        return self.csat_n + self.nps_n + self.pulse_n

    def add(self, values):
        for name, value in zip(FIGURES, values, strict=True):
            setattr(self, name, getattr(self, name) + (value or 0))
        return self


# --- which days come from the rollup --------------------------------------------------------


@dataclass
class Window:
    """How the period splits between the rollup and the live tables.

    `covered` are the period's whole UTC days the rollup holds ({day: as_of});
    `live` selects the rows created in the rest of the period, `days` the
    rollup rows of the covered days, and `late` the invitations of covered
    days answered after their day was rebuilt.
    """

    filters: object
    unit: str
    covered: dict
    # The rollup's totals per covered day, [(day, figures)], once `breakdowns` has read them.
    rollup_days: list | None = None

    @property
    def live(self):
        spans, edge, q = _spans(self.covered), self.filters.start, Q()
        for first, last in spans:
            if rollup.midnight(first) > edge:
                q |= Q(created_at__gte=edge, created_at__lt=rollup.midnight(first))
            edge = rollup.midnight(last + timedelta(days=1))
        if edge < self.filters.end:
            q |= Q(created_at__gte=edge, created_at__lt=self.filters.end)
        # Nothing left to count live: an empty range rather than an empty Q (which matches everything).
        return q or Q(created_at__gte=self.filters.end, created_at__lt=self.filters.end)

    @property
    def days(self):
        q = Q()
        for first, last in _spans(self.covered):
            q |= Q(day__gte=first, day__lte=last)
        return q

    @property
    def late(self):
        by_as_of = defaultdict(list)
        for day, as_of in self.covered.items():
            by_as_of[as_of].append(day)
        q = Q()
        for as_of, days in by_as_of.items():
            for first, last in _spans(days):
                created = Q(created_at__gte=rollup.midnight(first), created_at__lt=rollup.midnight(last + timedelta(1)))
                q |= created & Q(answered_at__gt=as_of)
        return q

    def answers(self):
        return _narrow(Response.objects.filter(self.live), self.filters)

    def scores(self, dimension):
        rows = FeedbackDailyScore.objects.filter(self.days, dimension=dimension).order_by()
        return rows.filter(scope_team_id=self.filters.team or None, scope_tier_id=self.filters.tier or None)


def _spans(days):
    """Runs of consecutive days, as (first, last) pairs in order."""
    spans = []
    for day in sorted(days):
        if spans and day == spans[-1][1] + timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def _narrow(rows, filters, team="team_id", tier="tier_id"):
    if filters.team:
        rows = rows.filter(**{team: filters.team})
    if filters.tier:
        rows = rows.filter(**{tier: filters.tier})
    return rows.order_by()


def _bucket(moment, unit):
    """The trend's bucket of a moment: the start of its week or month, in the current time zone."""
    local = timezone.localtime(moment).date()
    first = local - timedelta(days=local.weekday()) if unit == "week" else local.replace(day=1)
    return timezone.make_aware(datetime.combine(first, time(0)))


def window(filters, *, unit="month"):
    """The period's split between rollup and live tables: one query.

    Used are whole UTC days the rollup holds that lie in one trend bucket in
    the manager's time zone (a day straddling a local Monday or first of the
    month is counted live). No rollup for team and tier together: it keeps
    only one of them per row.
    """
    start_day = filters.start.astimezone(UTC).date()
    first = start_day if rollup.midnight(start_day) == filters.start else start_day + timedelta(days=1)
    last = filters.end.astimezone(UTC).date() - timedelta(days=1)
    if first > last or (filters.team and filters.tier):
        return Window(filters, unit, {})
    covered = {}
    for day, as_of in FeedbackRollupDay.objects.filter(day__gte=first, day__lte=last).values_list("day", "as_of"):
        begins, ends = rollup.midnight(day), rollup.midnight(day + timedelta(days=1))
        if as_of >= ends and _bucket(begins, unit) == _bucket(ends - timedelta(microseconds=1), unit):
            covered[day] = as_of
    return Window(filters, unit, covered)


# --- figures ------------------------------------------------------------------------------


def totals(filters, plan=None):
    """Every answer of the period summed: the trend's buckets added up."""
    result = Scores(label=_("All"))
    for row in trend(filters, unit="month", plan=plan):
        result.add([getattr(row, name) for name in FIGURES])
    return result


def response_rate(filters, plan=None):
    """(answered, sent) over invitations created in the period: one query.

    Rollup days give what was sent and answered when they were rebuilt; the
    live parts add the rest of the period and the later answers.
    """
    plan = plan or window(filters)
    team, tier = "ticket__queue__team_id", "person__organization__tier_id"
    parts = [
        _narrow(Invitation.objects.filter(plan.live), filters, team, tier)
        .values_list(_text("live"))
        .annotate(sent=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
    ]
    if plan.covered:
        parts.append(
            _narrow(FeedbackDailyInvitations.objects.filter(plan.days), filters)
            .values_list(_text("rollup"))
            .annotate(sent=Sum("sent"), answered=Sum("answered"))
        )
        parts.append(
            _narrow(Invitation.objects.filter(plan.late), filters, team, tier)
            .values_list(_text("late"))
            .annotate(sent=Value(0), answered=Count("pk"))
        )
    sent = answered = 0
    for _part, part_sent, part_answered in parts[0].union(*parts[1:], all=True):
        sent += part_sent or 0
        answered += part_answered or 0
    return helpdesk_reports.Rate(answered, sent)


def trend(filters, *, unit, plan=None):
    """Scores per week or month of the period, oldest first.

    The live stretches in one GROUP BY; the rollup's days come with the
    breakdowns (see `breakdowns`) or, alone, in one more query.
    """
    plan = plan or window(filters, unit=unit)
    trunc = WeekStart if unit == "week" else MonthStart
    rows = plan.answers().annotate(bucket=trunc("created_at")).values("bucket").annotate(**_figures())
    buckets = {}
    for row in rows:
        buckets[row["bucket"]] = Scores(label=row["bucket"], key=row["bucket"]).add([row[n] for n in FIGURES])
    days = plan.rollup_days if plan.rollup_days is not None else _rollup_days(plan)
    for day, values in days:
        bucket = _bucket(rollup.midnight(day), unit)
        buckets.setdefault(bucket, Scores(label=bucket, key=bucket)).add(values)
    return [buckets[bucket] for bucket in sorted(buckets)]


def _rollup_days(plan):
    if not plan.covered:
        return []
    rows = plan.scores("all").values_list("day").annotate(**_rollup_figures())
    return [(day, values) for day, *values in rows]


def _text(value):
    return Value(value, output_field=CharField())


def _labels(prefix, label_columns):
    names = {f"l{i}": F(f"{prefix}{path}") for i, path in enumerate(label_columns)}
    names.update({f"l{i}": _text("") for i in range(len(label_columns), 3)})
    return names


def breakdowns(filters, plan=None):
    """Scores by agent, team, tier, category, language and channel, in one UNION ALL.

    Six GROUP BYs over the live stretches and six over the rollup's days
    (plus the rollup's totals per day, kept on the plan for the trend). Each
    part also groups by the columns naming its key (joined, so labels need no
    second query); keys are cast to text and absent name columns are '' so
    that all parts share one shape.
    """
    plan = plan or window(filters)
    parts = []
    for name, (column, label_columns) in BREAKDOWNS.items():
        parts.append(
            plan.answers()
            .annotate(part=_text(name), key=Cast(F(column), CharField()), **_labels("", label_columns))
            .values("part", "key", "l0", "l1", "l2")
            .annotate(**_figures())
            .values_list("part", "key", "l0", "l1", "l2", *FIGURES)
        )
    if plan.covered:
        # The rollup names its keys as foreign keys (agent, team…), so the same label paths join.
        for name, column in ROLLUP_COLUMNS.items():
            label_columns = BREAKDOWNS[name][1] if name in BREAKDOWNS else ()
            parts.append(
                plan.scores(name)
                .annotate(part=_text(name), key=Cast(F(column), CharField()), **_labels("", label_columns))
                .values("part", "key", "l0", "l1", "l2")
                .annotate(**_rollup_figures())
                .values_list("part", "key", "l0", "l1", "l2", *FIGURES)
            )
    languages = {code: str(label) for code, label in settings.LANGUAGES}
    channels = {value: str(label) for value, label in Channel.choices}
    found = {name: {} for name in BREAKDOWNS}
    plan.rollup_days = []
    for name, key, l0, l1, l2, *values in parts[0].union(*parts[1:], all=True):
        if name == "all":
            plan.rollup_days.append((date.fromisoformat(str(key)[:10]), values))
            continue
        row = found[name].get(key)
        if row is None:
            if name == "agent":
                label = helpdesk_reports.agent_name(l2, l0, l1) if key not in (None, "") else _("Unassigned")
            elif name == "language":
                label = languages.get(key, key)
            elif name == "channel":
                label = channels.get(key, key)
            else:
                label = l0
            row = found[name][key] = Scores(label=label or _("None"), key=key)
        row.add(values)
    result = {name: list(rows.values()) for name, rows in found.items()}
    for rows in result.values():
        rows.sort(key=lambda s: (s.key in (None, ""), str(s.label).casefold()))
    return result


def low_score_themes(filters):
    """Themes of the comments on low scores (CSAT ≤ 2, NPS ≤ 6), most frequent first: one GROUP BY."""
    rows = list(
        Response.objects.in_period(filters)
        .low()
        .exclude(comment="")
        .values("theme_id", "theme__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "theme_id")
    )
    widest = max((row["n"] for row in rows), default=0)
    return [
        helpdesk_reports.Bar(
            row["theme_id"],
            row["theme__name"] or _("Other"),
            row["n"],
            round(100 * row["n"] / widest, 1) if widest else 0,
        )
        for row in rows
    ]


def latest_low_comments(filters, limit=LATEST_COMMENTS):
    return list(
        Response.objects.in_period(filters)
        .low()
        .exclude(comment="")
        .select_related("theme", "ticket")
        .order_by("-created_at", "-pk")[:limit]
    )


def review_rollup(filters):
    """Quality review scores in the period by agent and by team, names joined: one UNION ALL."""
    reviews = QualityReview.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if filters.team:
        reviews = reviews.filter(team_id=filters.team)
    if filters.tier:
        reviews = reviews.filter(ticket__organization__tier_id=filters.tier)
    reviews = reviews.order_by()
    agent = reviews.annotate(dimension=_text("agent")).values_list(
        "dimension", "agent_id", "agent__first_name", "agent__last_name", "agent__username"
    )
    team = reviews.annotate(dimension=_text("team"), b1=_text(""), b2=_text("")).values_list(
        "dimension", "team_id", "team__name", "b1", "b2"
    )
    agent, team = (part.annotate(n=Count("pk"), avg=Avg("percent")) for part in (agent, team))
    result = {"agent": [], "team": []}
    for name, key, l0, l1, l2, n, avg in agent.union(team, all=True):
        if key is None:
            label = _("Unassigned") if name == "agent" else _("None")
        else:
            label = helpdesk_reports.agent_name(l2, l0, l1) if name == "agent" else l0
        result[name].append({"key": key, "label": label, "n": n, "avg": avg})
    for rows in result.values():
        rows.sort(key=lambda row: str(row["label"]).casefold())
    return result


def reopen_rate(filters):
    """Tickets resolved in the period that had been reopened, out of all resolved: two COUNT(*) subqueries
    answered from the helpdesk's (is_open, resolved_at, …, reopen_count) index, in one query."""
    resolved = Ticket.objects.filter(filters.narrow(), filters.within("resolved_at"), is_open=0).order_by()
    counts = {"resolved": _count(resolved), "reopened": _count(resolved.filter(reopen_count__gt=0))}
    row = Ticket.objects.order_by().values(**counts).first() or dict.fromkeys(counts, 0)
    return helpdesk_reports.Rate(row["reopened"], row["resolved"])


def waiting_reviews():
    return ReviewItem.objects.waiting().count()


def page(filters, *, unit):
    """Every section of the feedback page: ten queries whatever the volume."""
    plan = window(filters, unit=unit)
    parts = breakdowns(filters, plan)
    buckets = trend(filters, unit=unit, plan=plan)
    everything = Scores(label=_("All"))
    for row in buckets:
        everything.add([getattr(row, name) for name in FIGURES])
    return {
        "totals": everything,
        "rate": response_rate(filters, plan),
        "trend": buckets,
        "breakdowns": parts,
        "themes": low_score_themes(filters),
        "comments": latest_low_comments(filters),
        "reviews": review_rollup(filters),
        "reopen": reopen_rate(filters),
        "waiting_reviews": waiting_reviews(),
    }


def panel(filters):
    """The compact panel on the SLA dashboard: totals, response rate and the review queue's size."""
    plan = window(filters)
    return {
        "totals": totals(filters, plan),
        "rate": response_rate(filters, plan),
        "waiting_reviews": waiting_reviews(),
    }
