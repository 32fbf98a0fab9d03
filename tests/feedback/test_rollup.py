"""The feedback rollup: the report read from it gives exactly the live figures, and rebuilding is idempotent."""

import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Avg, FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from feedback import reports, rollup
from feedback.models import (
    FeedbackDailyInvitations,
    FeedbackDailyScore,
    FeedbackRollupDay,
    Invitation,
    Response,
)
from helpdesk.models import hash_token
from helpdesk.reports import Filters
from tests.helpdesk.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    OrganizationFactory,
    QueueFactory,
    ServiceTierFactory,
    TeamFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world():
    """Two teams, two tiers, three agents, two categories, tickets from every combination."""
    teams = [TeamFactory(name="Alpha"), TeamFactory(name="Beta")]
    tiers = [ServiceTierFactory(name="Gold"), ServiceTierFactory(name="Silver")]
    agents = [AgentFactory(team=teams[n % 2]) for n in range(3)] + [None]
    categories = [CategoryFactory(), CategoryFactory(), None]
    customers = [CustomerFactory(organization=OrganizationFactory(tier=tier)) for tier in tiers for _n in range(2)]
    queues = [QueueFactory(name=f"Desk {team.name}", team=team) for team in teams]
    tickets = [
        TicketFactory(
            requester=customer,
            queue=queues[n % 2],
            assignee=agents[n % 4],
            category=categories[n % 3],
            channel=("email", "chat", "web")[n % 3],
        )
        for n, customer in enumerate(customers * 3)
    ]
    return {"teams": teams, "tiers": tiers, "tickets": tickets, "customers": customers}


def seed_answers(world, *, n=400, days=120, seed=3):
    """Random answers and invitations over `days`, with the dimensions the service would copy."""
    rng = random.Random(seed)
    invitations, answers = [], []
    for i in range(n):
        created = NOW - timedelta(days=rng.uniform(0, days))
        kind = rng.choice(["csat", "csat", "csat", "nps", "pulse"])
        answered = rng.random() < 0.7
        if kind == "nps":
            person = rng.choice(world["customers"])
            ticket, extra = None, {"period": f"p{seed}-{i}"}
        else:
            ticket = rng.choice(world["tickets"])
            person, extra = ticket.requester, {"round": seed * 1000 + i + 1}
        invitation = Invitation(
            kind=kind,
            person=person,
            ticket=ticket,
            language=rng.choice(["en", "es", "ja"]),
            channel=ticket.channel if ticket else "",
            token_hash=hash_token(f"rollup-{seed}-{i}"),
            created_at=created,
            expires_at=created + timedelta(days=14),
            answered_at=created + timedelta(hours=1) if answered else None,
            **extra,
        )
        invitations.append(invitation)
        if answered:
            score = {"csat": rng.randint(1, 5), "nps": rng.randint(0, 10), "pulse": rng.randint(0, 1)}[kind]
            dims = {"tier_id": person.organization.tier_id}
            if ticket is not None:
                dims |= {
                    "agent_id": ticket.assignee_id,
                    "team_id": ticket.queue.team_id,
                    "category_id": ticket.category_id,
                    "channel": ticket.channel,
                }
            answers.append((invitation, kind, score, dims))
    Invitation.objects.bulk_create(invitations)
    Response.objects.bulk_create(
        Response(
            invitation=invitation,
            kind=kind,
            person_id=invitation.person_id,
            ticket_id=invitation.ticket_id,
            score=score,
            language=invitation.language,
            created_at=invitation.answered_at,
            **dims,
        )
        for invitation, kind, score, dims in answers
    )


def figures(scores):
    return (str(scores.label), scores.key, *(getattr(scores, name) for name in reports.FIGURES))


def snapshot(filters, unit):
    page = reports.page(filters, unit=unit)
    return {
        "totals": figures(page["totals"]),
        "rate": (page["rate"].part, page["rate"].whole),
        "trend": [(row.key.astimezone(UTC), *figures(row)[2:]) for row in page["trend"]],
        "breakdowns": {name: [figures(row) for row in rows] for name, rows in page["breakdowns"].items()},
    }


def filter_cases(world):
    team, tier = world["teams"][0].pk, world["tiers"][1].pk
    day = datetime(2026, 1, 5, tzinfo=UTC)
    return [
        ("90 days by week", Filters(start=NOW - timedelta(days=90), end=NOW, now=NOW), "week"),
        ("a year by month", Filters(start=NOW - timedelta(days=365), end=NOW, now=NOW), "month"),
        ("one team", Filters(start=NOW - timedelta(days=90), end=NOW, now=NOW, team=team), "week"),
        ("one tier", Filters(start=NOW - timedelta(days=60), end=NOW, now=NOW, tier=tier), "month"),
        ("team and tier", Filters(start=NOW - timedelta(days=90), end=NOW, now=NOW, team=team, tier=tier), "week"),
        ("whole days", Filters(start=day, end=day + timedelta(days=28), now=NOW), "week"),
    ]


def test_the_report_from_the_rollup_equals_the_live_computation(world):
    seed_answers(world)
    cases = filter_cases(world)
    live = {name: snapshot(filters, unit) for name, filters, unit in cases}
    assert rollup.refresh(days=None) > 0
    for name, filters, unit in cases:
        if name != "team and tier":
            assert reports.window(filters, unit=unit).covered, name
        assert snapshot(filters, unit) == live[name], name


def test_the_average_equals_the_databases_own_average(world):
    seed_answers(world)
    rollup.refresh(days=None)
    filters = Filters(start=NOW - timedelta(days=100), end=NOW, now=NOW)
    expected = Response.objects.filter(
        kind="csat", created_at__gte=filters.start, created_at__lt=filters.end
    ).aggregate(avg=Avg(Cast("score", FloatField())))["avg"]
    assert reports.page(filters, unit="week")["totals"].csat_avg == expected


def test_in_another_time_zone_days_across_a_local_week_boundary_are_counted_live(world):
    seed_answers(world)
    filters = Filters(start=NOW - timedelta(days=90), end=NOW, now=NOW)
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        live = snapshot(filters, "week")
        rollup.refresh(days=None)
        plan = reports.window(filters, unit="week")
        # Every Monday begins at 04:00 or 05:00 UTC: the UTC day holding it is not the rollup's.
        assert plan.covered and not any(day.weekday() == 0 for day in plan.covered)
        assert snapshot(filters, "week") == live


def test_answers_and_invitations_after_the_rebuild_are_counted_live(world, clock):
    seed_answers(world)
    rollup.refresh(days=None)
    # A week-old invitation answered now, and a new answer today.
    late = Invitation.objects.filter(answered_at=None, created_at__lt=NOW - timedelta(days=7)).first()
    Invitation.objects.filter(pk=late.pk).update(answered_at=NOW)
    clock.shift(timedelta(minutes=5))
    now = timezone.now()
    filters = Filters(start=now - timedelta(days=90), end=now, now=now)
    with_rollup = snapshot(filters, "week")
    FeedbackRollupDay.objects.all().delete()
    assert snapshot(filters, "week") == with_rollup


def test_only_days_that_had_ended_before_the_rebuild_are_written(world):
    seed_answers(world, days=5)
    rollup.refresh()
    days = set(FeedbackRollupDay.objects.values_list("day", flat=True))
    assert max(days) == NOW.date() - timedelta(days=1)
    assert not FeedbackDailyScore.objects.filter(day__gte=NOW.date()).exists()


def test_a_refresh_run_twice_writes_the_same_rows(world):
    seed_answers(world)

    def rows():
        scores = FeedbackDailyScore.objects.values_list(*(c for c in rollup.SCORE_COLUMNS))
        return sorted(scores, key=repr), sorted(
            FeedbackDailyInvitations.objects.values_list("day", "kind", "team_id", "tier_id", "sent", "answered")
        )

    first = rollup.refresh(days=None)
    before = rows()
    assert rollup.refresh(days=None) == first
    assert rows() == before
    rollup.refresh()  # the recent days again: the same rows
    assert rows() == before


def test_the_recent_refresh_keeps_older_days(world):
    seed_answers(world)
    rollup.refresh(days=None)
    old = FeedbackDailyScore.objects.filter(day__lt=NOW.date() - timedelta(days=rollup.RECENT_DAYS)).count()
    rollup.refresh()
    assert (
        old
        and FeedbackDailyScore.objects.filter(day__lt=NOW.date() - timedelta(days=rollup.RECENT_DAYS)).count() == old
    )


def test_the_rebuild_command_and_the_tasks_fill_the_rollup(world):
    from feedback import tasks

    seed_answers(world, n=50)
    call_command("rebuild_feedback_rollup", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert FeedbackRollupDay.objects.exists()
    assert tasks.refresh_feedback_rollup() == tasks.refresh_feedback_rollup()
    assert tasks.rebuild_feedback_rollup() > 0
    assert rollup.refreshed_at() == NOW


def test_the_report_costs_the_same_queries_with_the_rollup(world, django_assert_max_num_queries):
    seed_answers(world, n=50)
    rollup.refresh(days=None)
    filters = Filters(start=NOW - timedelta(days=90), end=NOW, now=NOW)
    with django_assert_max_num_queries(10) as few:
        reports.page(filters, unit="week")
    seed_answers(world, n=200, seed=4)
    rollup.refresh(days=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        reports.page(filters, unit="week")
