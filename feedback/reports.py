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

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, CharField, Count, F, FloatField, Q, Value
from django.db.models.functions import Cast, TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from helpdesk import reports as helpdesk_reports
from helpdesk.models import Channel, Ticket, _count

from .models import Invitation, QualityReview, Response, ReviewItem, SurveyKind

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
    """Conditional aggregates shared by every grouping: counts and sums, never rows."""
    return {
        "csat_n": Count("pk", filter=CSAT),
        "csat_avg": Avg(Cast("score", FloatField()), filter=CSAT),
        "csat_good": Count("pk", filter=CSAT & Q(score__gte=4)),
        "nps_n": Count("pk", filter=NPS),
        "promoters": Count("pk", filter=NPS & Q(score__gte=9)),
        "detractors": Count("pk", filter=NPS & Q(score__lte=6)),
        "pulse_n": Count("pk", filter=PULSE),
        "pulse_up": Count("pk", filter=PULSE & Q(score=1)),
    }


@dataclass
class Scores:
    label: str
    csat_n: int = 0
    csat_avg: float | None = None
    csat_good: int = 0
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0
    pulse_n: int = 0
    pulse_up: int = 0
    key: object = None

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


def _scores(label, row, key=None):
    return Scores(
        label=label, key=key, **{name: row.get(name) or (None if name == "csat_avg" else 0) for name in _figures()}
    )


def totals(filters):
    row = Response.objects.in_period(filters).aggregate(**_figures())
    return _scores(_("All"), row)


def response_rate(filters):
    """(answered, sent) over invitations created in the period: one query."""
    invitations = Invitation.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if filters.team:
        invitations = invitations.filter(ticket__queue__team_id=filters.team)
    if filters.tier:
        invitations = invitations.filter(person__organization__tier_id=filters.tier)
    row = invitations.order_by().aggregate(sent=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
    return helpdesk_reports.Rate(row["answered"], row["sent"])


def trend(filters, *, unit):
    """Scores per week or month of the period, oldest first: one GROUP BY."""
    trunc = WeekStart if unit == "week" else MonthStart
    rows = (
        Response.objects.in_period(filters)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(**_figures())
        .order_by("bucket")
    )
    return [_scores(row["bucket"], row, key=row["bucket"]) for row in rows]


def _text(value):
    return Value(value, output_field=CharField())


def breakdowns(filters):
    """Scores by agent, team, tier, category, language and channel: six GROUP BYs in one UNION ALL.

    Each part also groups by the columns naming its key (joined, so labels
    need no second query); keys are cast to text and absent name columns
    are '' so that the six parts share one shape.
    """
    base = Response.objects.in_period(filters)
    figures = list(_figures())
    parts = []
    for name, (column, label_columns) in BREAKDOWNS.items():
        names = {f"l{i}": F(path) for i, path in enumerate(label_columns)}
        names.update({f"l{i}": _text("") for i in range(len(label_columns), 3)})
        parts.append(
            base.annotate(dimension=_text(name), key=Cast(F(column), CharField()), **names)
            .values("dimension", "key", "l0", "l1", "l2")
            .annotate(**_figures())
            .values_list("dimension", "key", "l0", "l1", "l2", *figures)
        )
    languages = {code: str(label) for code, label in settings.LANGUAGES}
    channels = {value: str(label) for value, label in Channel.choices}
    result = {name: [] for name in BREAKDOWNS}
    for name, key, l0, l1, l2, *values in parts[0].union(*parts[1:], all=True):
        if name == "agent":
            label = helpdesk_reports.agent_name(l2, l0, l1) if key not in (None, "") else _("Unassigned")
        elif name == "language":
            label = languages.get(key, key)
        elif name == "channel":
            label = channels.get(key, key)
        else:
            label = l0
        result[name].append(_scores(label or _("None"), dict(zip(figures, values, strict=True)), key=key))
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
    return {
        "totals": totals(filters),
        "rate": response_rate(filters),
        "trend": trend(filters, unit=unit),
        "breakdowns": breakdowns(filters),
        "themes": low_score_themes(filters),
        "comments": latest_low_comments(filters),
        "reviews": review_rollup(filters),
        "reopen": reopen_rate(filters),
        "waiting_reviews": waiting_reviews(),
    }


def panel(filters):
    """The compact panel on the SLA dashboard: totals, response rate and the review queue's size."""
    return {"totals": totals(filters), "rate": response_rate(filters), "waiting_reviews": waiting_reviews()}
