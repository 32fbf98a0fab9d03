"""The manager's SLA dashboard: who may see it, each figure on a hand-made dataset, the
filters, the HTMX body swap, the CSV export, and a query count that does not grow."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from helpdesk import reports, rollup
from helpdesk.models import ClockTarget, Role, SlaClock, SlaDailyCount

from .factories import (
    AgentFactory,
    CustomerFactory,
    MessageFactory,
    OrganizationFactory,
    QueueFactory,
    ServiceTierFactory,
    TeamFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
DASHBOARD = reverse("manager:dashboard")
EXPORT = reverse("manager:export")
HX = {"HTTP_HX_REQUEST": "true"}
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def ago(delta):
    return NOW - delta


def add_clock(ticket, target, started, *, met=None, breached=None, cycle=1, level=1, breached_level=None, minutes=60):
    """A clock row as the SLA engine would leave it, built directly for exact control."""
    return SlaClock.objects.create(
        ticket=ticket,
        target=target,
        cycle=cycle,
        target_minutes=minutes,
        started_at=started,
        due_at=started + timedelta(minutes=minutes),
        warn_at=started + timedelta(minutes=minutes * 3 // 4),
        met_at=met,
        breached_at=breached,
        level=level,
        breached_level=breached_level or (level if breached else None),
    )


def filters(days=30, **narrow):
    return reports.Filters(start=NOW - timedelta(days=days), end=NOW, now=NOW, **narrow)


@pytest.fixture
def manager(db):
    return AgentFactory(username="boss", manager=True)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def world(db):
    """Two tiers, two teams, two agents and ten tickets whose every figure is worked out by hand.

    30 days back from NOW:
    - T1 Gold/Alpha/ann, critical, escalated, resolved after 5 h: first reply in 30 min (on time);
      resolution breached at 4 h in L2, then met.
    - T2 Standard/Beta/ben, medium, open: first reply breached at 1 h (L1), met at 90 min;
      resolution running; a next-reply clock breached a day ago; next target due in 30 min.
    - T3 Standard/Alpha/ann, medium, reopened, resolved after 2 h: first reply in 10 min, resolution on time.
    - T4 Gold/Alpha/ann, critical, 40 days old: first reply breached — only inside 90 days.
    - T5–T8 open tickets aged 2 h, 10 d, 60 d and 2 d (T5–T7 ann's, T8 unassigned).
    - T9 resolved after 1 h with one public staff reply (first-contact); T10 after 3 h with two.
    """
    gold = ServiceTierFactory(name="Gold", rank=10, first_response_minutes=60)
    standard = ServiceTierFactory(name="Standard")
    alpha, beta = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    qa, qb = QueueFactory(name="Alpha desk", team=alpha), QueueFactory(name="Beta desk", team=beta)
    ann = AgentFactory(username="ann", first_name="Ann", last_name="Lee", team=alpha)
    ben = AgentFactory(username="ben", first_name="Ben", last_name="Ode", team=beta)
    gold_customer = CustomerFactory(organization=OrganizationFactory(name="Goldco", tier=gold))
    std_customer = CustomerFactory(organization=OrganizationFactory(name="Stdco", tier=standard))

    def ticket(customer, queue, assignee, priority, created, **fields):
        return TicketFactory(
            requester=customer,
            queue=queue,
            assignee=assignee,
            priority=priority,
            created_at=created,
            updated_at=created,
            status=fields.pop("status", "open"),
            **fields,
        )

    t1_at, t2_at, t3_at = ago(2 * DAY), ago(3 * DAY + HOUR), ago(5 * DAY)
    t1 = ticket(gold_customer, qa, ann, 1, t1_at, status="resolved", resolved_at=t1_at + 5 * HOUR, escalation_count=1)
    add_clock(t1, ClockTarget.FIRST_RESPONSE, t1_at, met=t1_at + 30 * MIN)
    add_clock(
        t1,
        ClockTarget.RESOLUTION,
        t1_at,
        met=t1_at + 5 * HOUR,
        breached=t1_at + 4 * HOUR,
        breached_level=2,
        minutes=240,
    )
    t2 = ticket(std_customer, qb, ben, 3, t2_at, sla_due_at=NOW + 30 * MIN, sla_due_target="resolution")
    add_clock(t2, ClockTarget.FIRST_RESPONSE, t2_at, met=t2_at + 90 * MIN, breached=t2_at + HOUR)
    add_clock(t2, ClockTarget.RESOLUTION, t2_at, minutes=60 * 24 * 10)
    add_clock(t2, ClockTarget.NEXT_RESPONSE, ago(DAY), breached=ago(DAY) + 2 * HOUR, minutes=120)
    t3 = ticket(std_customer, qa, ann, 3, t3_at, status="resolved", resolved_at=t3_at + 2 * HOUR, reopen_count=1)
    add_clock(t3, ClockTarget.FIRST_RESPONSE, t3_at, met=t3_at + 10 * MIN)
    add_clock(t3, ClockTarget.RESOLUTION, t3_at, met=t3_at + 2 * HOUR, minutes=240)
    MessageFactory(ticket=t3, author=ann)
    t4_at = ago(40 * DAY)
    t4 = ticket(gold_customer, qa, ann, 1, t4_at, status="resolved", resolved_at=t4_at + DAY)
    add_clock(t4, ClockTarget.FIRST_RESPONSE, t4_at, met=t4_at + 2 * HOUR, breached=t4_at + HOUR)
    ticket(std_customer, qa, ann, 2, ago(2 * HOUR), sla_due_at=NOW + 2 * HOUR)
    ticket(std_customer, qa, ann, 3, ago(10 * DAY), sla_due_at=NOW - 10 * MIN)
    ticket(gold_customer, qa, ann, 4, ago(60 * DAY))
    ticket(std_customer, qb, None, 3, ago(2 * DAY))
    t9_at = ago(6 * DAY)
    t9 = ticket(std_customer, qb, ben, 3, t9_at, status="resolved", resolved_at=t9_at + HOUR)
    MessageFactory(ticket=t9)  # the customer's own public message does not count
    MessageFactory(ticket=t9, author=ben)
    MessageFactory(ticket=t9, author=ben, is_internal=True)  # nor does an internal note
    t10_at = ago(8 * DAY)
    t10 = ticket(std_customer, qb, ben, 3, t10_at, status="closed", resolved_at=t10_at + 3 * HOUR)
    MessageFactory(ticket=t10, author=ben)
    MessageFactory(ticket=t10, author=ben)
    return {
        "tiers": {"gold": gold, "standard": standard},
        "teams": {"alpha": alpha, "beta": beta},
        "agents": {"ann": ann, "ben": ben},
        "tickets": {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t9": t9, "t10": t10},
    }


def compliance(f=None):
    return reports.compliance(f or filters(), **reports.filter_choices())


def rates_of(rows):
    """{label: ((met, measured) first response, (met, measured) resolution)}"""
    return {
        row.label: ((row.first_response.part, row.first_response.whole), (row.resolution.part, row.resolution.whole))
        for row in rows
    }


# --- access ------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.AGENT])
def test_customers_and_agents_get_404(client, role):
    user = CustomerFactory() if role == Role.CUSTOMER else AgentFactory()
    client.force_login(user)
    assert client.get(DASHBOARD).status_code == 404
    assert client.get(EXPORT).status_code == 404


@pytest.mark.parametrize("role", [Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN])
def test_team_leads_managers_and_admins_see_the_dashboard(client, role):
    client.force_login(AgentFactory(role=role))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert b'id="dashboard-body"' in response.content


def test_inactive_manager_gets_404(client):
    boss = AgentFactory(manager=True, is_active=False)
    client.force_login(boss)
    assert client.get(DASHBOARD).status_code in (302, 404)  # Django may not even log them in


# --- 1. compliance ---------------------------------------------------------------------------


def test_compliance_counts_met_on_time_against_met_plus_breached(world):
    by = compliance()
    total = reports.compliance_totals(by["priority"])
    # First reply: T1 and T3 on time, T2 breached (then met). Resolution: T3 on time, T1 breached;
    # T2's resolution is still running and counts neither way.
    assert (total.first_response.part, total.first_response.whole) == (2, 3)
    assert (total.resolution.part, total.resolution.whole) == (1, 2)
    assert total.first_response.label == "66.7%"


def test_compliance_by_priority_tier_team_and_agent(world):
    by = compliance()
    assert rates_of(by["priority"]) == {"Critical": ((1, 1), (0, 1)), "Medium": ((1, 2), (1, 1))}
    assert rates_of(by["tier"]) == {"Gold": ((1, 1), (0, 1)), "Standard": ((1, 2), (1, 1))}
    assert rates_of(by["team"]) == {"Alpha": ((2, 2), (1, 2)), "Beta": ((0, 1), (0, 0))}
    assert rates_of(by["agent"]) == {"Ann Lee": ((2, 2), (1, 2)), "Ben Ode": ((0, 1), (0, 0))}
    assert [row.label for row in by["tier"]] == ["Gold", "Standard"]  # tiers in rank order


def test_compliance_with_no_measured_target_shows_a_dash(world):
    ben_row = next(row for row in compliance()["agent"] if row.label == "Ben Ode")
    assert ben_row.resolution.percent is None
    assert ben_row.resolution.label == "—"


@pytest.mark.parametrize(
    ("narrow", "expected"),
    [
        ({"team": "beta"}, (0, 1)),
        ({"tier": "gold"}, (1, 1)),
        ({"priority": 1}, (1, 1)),
        ({"priority": 3}, (1, 2)),
    ],
)
def test_filters_narrow_compliance(world, narrow, expected):
    key, value = next(iter(narrow.items()))
    if key in ("team", "tier"):
        value = world[f"{key}s"][value].pk
    total = reports.compliance_totals(compliance(filters(**{key: value}))["priority"])
    assert (total.first_response.part, total.first_response.whole) == expected


def test_longer_period_takes_in_older_clocks(world):
    total = reports.compliance_totals(compliance(filters(days=90))["priority"])
    assert (total.first_response.part, total.first_response.whole) == (2, 4)
    short = reports.compliance_totals(compliance(filters(days=7))["priority"])
    assert (short.first_response.part, short.first_response.whole) == (2, 3)


# --- 2. times ------------------------------------------------------------------------------------


def test_first_response_median_and_p90(world):
    times = reports.response_times(filters())["first_response"]
    # Replies after 10, 30 and 90 minutes (T4's is outside the period).
    assert times.count == 3
    assert times.median == 30 * MIN
    assert times.p90 == 90 * MIN
    assert (times.median_label, times.p90_label) == ("30 min", "90 min")


def test_resolution_median_and_p90_over_tickets_resolved_in_the_period(world):
    times = reports.response_times(filters())["resolution"]
    # T9 1 h, T3 2 h, T10 3 h, T1 5 h: nearest-rank median is the 2nd, p90 the 4th.
    assert times.count == 4
    assert times.median == 2 * HOUR
    assert times.p90 == 5 * HOUR
    assert times.p90_label == "5.0 h"


@pytest.mark.parametrize(
    ("minutes", "median", "p90"),
    [
        # Ranks ceil(n/2) and ceil(9n/10), counted through runs of equal durations.
        ([5, 5, 5, 10, 20, 20, 20, 20, 60, 60], 20, 60),
        ([1, 1, 2, 3], 1, 3),
        ([7], 7, 7),
        ([4, 4, 4, 4, 4], 4, 4),
    ],
)
def test_response_time_percentiles_take_the_nearest_rank_among_equal_durations(db, minutes, median, p90):
    for i, m in enumerate(minutes):
        started = ago(DAY + i * MIN)
        add_clock(TicketFactory(), ClockTarget.FIRST_RESPONSE, started, met=started + m * MIN)
    times = reports.response_times(filters())["first_response"]
    assert (times.count, times.median, times.p90) == (len(minutes), median * MIN, p90 * MIN)


def test_response_times_round_to_the_second_and_follow_the_filters(world):
    t2 = world["tickets"]["t2"]
    started = ago(DAY)
    add_clock(t2, ClockTarget.FIRST_RESPONSE, started, cycle=2, met=started + timedelta(seconds=125.4))
    beta = reports.response_times(filters(team=world["teams"]["beta"].pk))["first_response"]
    # Beta's first replies: T2's 90 min and this 2 min 5.4 s, shown to the second.
    assert (beta.count, beta.median, beta.p90) == (2, timedelta(seconds=125), 90 * MIN)


def test_times_are_empty_without_data(db):
    times = reports.response_times(filters())
    assert times["first_response"] == reports.Spread(0, None, None)
    assert times["resolution"].median_label == "—"


def test_duration_labels_read_as_people_say_them():
    assert reports.duration_label(45 * MIN) == "45 min"
    assert reports.duration_label(3 * HOUR + 30 * MIN) == "3.5 h"
    assert reports.duration_label(3 * DAY) == "3.0 days"


# --- 3. breaches -------------------------------------------------------------------------------


def test_latest_breaches_newest_first(world):
    t1, t2 = world["tickets"]["t1"], world["tickets"]["t2"]
    latest = reports.latest_breaches(filters())
    assert [(c.ticket_id, c.target) for c in latest] == [
        (t2.pk, ClockTarget.NEXT_RESPONSE),
        (t1.pk, ClockTarget.RESOLUTION),
        (t2.pk, ClockTarget.FIRST_RESPONSE),
    ]


def test_breaches_by_level_count_the_level_holding_the_ticket_when_it_breached(world):
    rows = reports.breaches_by_level(filters())
    targets = list(ClockTarget.values)
    assert [(row["bar"].label, row["bar"].count) for row in rows] == [("L1 · Frontline", 2), ("L2 · Technical", 1)]
    level1 = dict(zip(targets, rows[0]["targets"], strict=True))
    assert level1 == {"first_response": 1, "next_response": 1, "resolution": 0, "acknowledgement": 0}
    assert rows[0]["bar"].width == 100.0 and rows[1]["bar"].width == 50.0


def test_due_soon_lists_open_tickets_due_within_the_hour(world):
    assert [t.pk for t in reports.due_soon(filters())] == [world["tickets"]["t2"].pk]


def test_dashboard_links_breaches_and_due_tickets_to_the_agent_page(manager_client, world):
    html = manager_client.get(DASHBOARD).content.decode()
    for ticket in (world["tickets"]["t1"], world["tickets"]["t2"]):
        assert f'href="{reverse("helpdesk:ticket-detail", args=[ticket.ref])}"' in html


# --- 4. backlog ------------------------------------------------------------------------------


def test_backlog_buckets_open_tickets_by_age(world):
    bars = reports.backlog_by_age(filters())
    # T5 2 h, T8 2 d, T2 3 d 1 h, T6 10 d, T7 60 d; resolved tickets are not backlog.
    assert [(bar.key, bar.count) for bar in bars] == [
        ("day", 1),
        ("days3", 1),
        ("week", 1),
        ("weeks4", 1),
        ("older", 1),
    ]


def test_backlog_ignores_the_period_but_follows_the_team(world):
    beta = world["teams"]["beta"].pk
    bars = reports.backlog_by_age(filters(days=7, team=beta))
    assert [bar.count for bar in bars] == [0, 1, 1, 0, 0]


# --- 5. rates and load ---------------------------------------------------------------------------


def test_escalation_reopen_and_first_contact_rates(world):
    rates = reports.rates(filters())
    # Created in the period: T1 T2 T3 T5 T6 T8 T9 T10; escalated: T1.
    assert (rates["escalation"].part, rates["escalation"].whole) == (1, 8)
    # Resolved in the period: T1 T3 T9 T10; reopened: T3.
    assert (rates["reopen"].part, rates["reopen"].whole) == (1, 4)
    # Only T9: one public staff reply, never escalated nor reopened (T3 was reopened, T10 had two replies).
    assert (rates["first_contact"].part, rates["first_contact"].whole) == (1, 4)


def test_agent_load_counts_open_tickets_per_assignee(world):
    bars = reports.agent_load(filters())
    assert [(bar.label, bar.count) for bar in bars] == [("Ann Lee", 3), ("Ben Ode", 1)]


def test_agent_load_is_capped_at_fifteen(db):
    for _ in range(17):
        TicketFactory(assignee=AgentFactory())
    assert len(reports.agent_load(filters())) == 15


# --- the page -----------------------------------------------------------------------------------


def test_dashboard_shows_the_figures(manager_client, world):
    response = manager_client.get(DASHBOARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'id="dashboard-filters"' in html
    assert "66.7%" in html  # first replies on time
    assert 'role="img"' in html and "aria-label=" in html
    assert "css/manager.css" in html
    assert response["Vary"].count("HX-Request") == 1


def test_filters_in_the_url_narrow_the_page(manager_client, world):
    beta = world["teams"]["beta"]
    response = manager_client.get(DASHBOARD, {"team": beta.pk, "period": "90"})
    report = response.context["report"]
    assert [row.label for row in report["compliance"]["team"]] == ["Beta"]
    assert response.context["form"]["team"].value() == str(beta.pk)


def test_explicit_dates_replace_the_period(manager_client, world):
    # 14–18 March: T1 (16th) and T2 (15th) started in it, T3 (13th) did not.
    response = manager_client.get(DASHBOARD, {"start": "2026-03-14", "end": "2026-03-18", "period": "7"})
    report = response.context["report"]
    total = report["compliance_total"].first_response
    assert (total.part, total.whole) == (1, 2)
    assert response.context["filters"].start == datetime(2026, 3, 14, tzinfo=UTC)
    assert response.context["filters"].end == datetime(2026, 3, 19, tzinfo=UTC)


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-13-45"},
        {"start": "2026-03-18", "end": "2026-03-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"period": "9999", "team": "abc", "tier": "99999", "priority": "7"},
    ],
)
def test_bad_filters_are_ignored_with_a_message(manager_client, world, query):
    response = manager_client.get(DASHBOARD, query)
    assert response.status_code == 200
    assert "ignored" in response.content.decode()
    f = response.context["filters"]
    assert (f.end - f.start, f.team, f.tier, f.priority) == (timedelta(days=30), None, None, None)


def test_htmx_request_gets_only_the_dashboard_body(manager_client, world):
    response = manager_client.get(DASHBOARD, {"period": "7"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="dashboard-body"')
    assert "<html" not in html and 'id="dashboard-filters"' not in html
    assert 'id="messages"' in html  # flash messages swap out of band
    assert response["Vary"].count("HX-Request") == 1


def test_empty_dashboard_says_so(manager_client):
    html = manager_client.get(DASHBOARD).content.decode()
    assert "No target was met or breached in this period." in html
    assert "No breach in this period." in html
    assert "No open ticket." in html


# --- CSV --------------------------------------------------------------------------------------


def read_csv(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_compliance_csv(manager_client, world):
    response = manager_client.get(EXPORT, {"section": "compliance", "period": "30"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="firstline-compliance-20260216-20260318.csv"'
    rows = read_csv(response)
    assert rows[0][:3] == ["Breakdown", "Group", "First response met"]
    assert ["Team", "Alpha", "2", "0", "100.0", "1", "1", "50.0"] in rows
    assert ["Agent", "Ben Ode", "0", "1", "0.0", "0", "0", ""] in rows


def test_csv_follows_the_filters(manager_client, world):
    rows = read_csv(manager_client.get(EXPORT, {"section": "compliance", "tier": world["tiers"]["gold"].pk}))
    assert {row[1] for row in rows[1:] if row[0] == "Tier"} == {"Gold"}


@pytest.mark.parametrize("section", ["times", "breaches", "breach-levels", "backlog", "rates", "load"])
def test_every_section_exports(manager_client, world, section):
    response = manager_client.get(EXPORT, {"section": section})
    assert response.status_code == 200
    assert len(read_csv(response)) > 1


def test_csv_defuses_spreadsheet_formulas(manager_client, db):
    agent = AgentFactory(first_name="=HYPERLINK(1)", last_name="")
    TicketFactory(assignee=agent)
    rows = read_csv(manager_client.get(EXPORT, {"section": "load"}))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_unknown_csv_section_is_404(manager_client):
    assert manager_client.get(EXPORT, {"section": "passwords"}).status_code == 404


# --- query count ------------------------------------------------------------------------------


def build_volume(tickets, teams, agents):
    """`tickets` tickets with clocks in every state, spread over `teams` teams, `agents` agents and three tiers."""
    tiers = [ServiceTierFactory(name=f"Tier {i}", rank=i) for i in range(3)]
    queues = [QueueFactory(name=f"Queue {i}", team=TeamFactory(name=f"Team {i}")) for i in range(teams)]
    staff = [AgentFactory() for _ in range(agents)]
    customers = [CustomerFactory(organization=OrganizationFactory(tier=tier)) for tier in tiers]
    for i in range(tickets):
        created = ago((i % 20) * DAY + HOUR)
        resolved = i % 3 == 0
        ticket = TicketFactory(
            requester=customers[i % 3],
            queue=queues[i % teams],
            assignee=staff[i % agents],
            priority=1 + i % 4,
            created_at=created,
            status="resolved" if resolved else "open",
            resolved_at=created + 3 * HOUR if resolved else None,
            sla_due_at=NOW + 20 * MIN if not resolved else None,
            escalation_count=i % 2,
        )
        breached = created + HOUR if i % 4 == 0 else None
        add_clock(ticket, ClockTarget.FIRST_RESPONSE, created, met=created + (i % 90) * MIN, breached=breached)
        add_clock(ticket, ClockTarget.RESOLUTION, created, met=created + 3 * HOUR if resolved else None, minutes=240)
        MessageFactory(ticket=ticket, author=staff[i % agents])


def test_query_count_does_not_grow_with_volume(client, django_assert_max_num_queries):
    client.force_login(AgentFactory(manager=True))

    def count_queries(**headers):
        with django_assert_max_num_queries(20) as captured:
            response = client.get(DASHBOARD, {"period": "30"}, **headers)
        assert response.status_code == 200
        return len(captured)

    build_volume(5, teams=2, agents=2)
    small = (count_queries(), count_queries(**HX))
    build_volume(55, teams=6, agents=12)
    large = (count_queries(), count_queries(**HX))
    assert small == large
    assert max(large) <= 20


def test_manager_lands_on_the_dashboard_and_finds_it_in_the_menu(client):
    manager = AgentFactory(manager=True)
    client.force_login(manager)
    response = client.get("/")
    assert response["Location"] == reverse("manager:dashboard")
    html = client.get(response["Location"]).content.decode()
    assert f'href="{reverse("manager:dashboard")}" aria-current="page"' in html


# --- the compliance rollup -----------------------------------------------------------------------


def all_rates(by):
    return {dimension: rates_of(rows) for dimension, rows in by.items()}


@pytest.mark.parametrize("days", [7, 30, 90])
def test_rollup_gives_the_same_compliance_as_counting_live(world, days):
    live = all_rates(compliance(filters(days=days)))
    narrowed = all_rates(compliance(filters(days=days, team=world["teams"]["alpha"].pk)))
    assert rollup.refresh(now=NOW) > 0
    assert all_rates(compliance(filters(days=days))) == live
    assert all_rates(compliance(filters(days=days, team=world["teams"]["alpha"].pk))) == narrowed


def test_rollup_refresh_is_idempotent(world):
    columns = ("day", "target", "priority", "tier_id", "team_id", "assignee_id", "met", "breached")
    rollup.refresh(now=NOW)
    once = sorted(SlaDailyCount.objects.values_list(*columns))
    rollup.refresh(now=NOW)
    assert sorted(SlaDailyCount.objects.values_list(*columns)) == once
    assert (
        sum(row[-2] + row[-1] for row in once)
        == SlaClock.objects.filter(reports.SETTLED).filter(target__in=reports.COMPLIANCE_TARGETS).count()
    )


def test_a_recent_refresh_keeps_older_days(world):
    rollup.refresh(days=None, now=NOW)
    old = SlaDailyCount.objects.filter(day__lt=(NOW - 30 * DAY).date()).count()
    assert old  # T4's first reply, 40 days ago
    rollup.refresh(days=2, now=NOW)
    assert SlaDailyCount.objects.filter(day__lt=(NOW - 30 * DAY).date()).count() == old


def test_what_settles_after_a_refresh_is_counted_live(world):
    rollup.refresh(now=NOW - 3 * HOUR)
    before = reports.compliance_totals(compliance()["priority"]).first_response
    ticket = world["tickets"]["t9"]
    add_clock(ticket, ClockTarget.FIRST_RESPONSE, ago(2 * HOUR), met=ago(HOUR), cycle=7)
    after = reports.compliance_totals(compliance()["priority"]).first_response
    assert (after.part, after.whole) == (before.part + 1, before.whole + 1)


def test_query_count_stays_flat_with_the_rollup(client, django_assert_max_num_queries):
    client.force_login(AgentFactory(manager=True))

    def count_queries():
        with django_assert_max_num_queries(20) as captured:
            client.get(DASHBOARD, {"period": "30"})
        return len(captured)

    build_volume(5, teams=2, agents=2)
    rollup.refresh(now=NOW)
    small = count_queries()
    build_volume(55, teams=6, agents=12)
    rollup.refresh(now=NOW)
    assert count_queries() == small


def test_the_page_says_how_fresh_the_rollup_is(manager_client, world):
    assert "Whole past days are counted as of" not in manager_client.get(DASHBOARD).content.decode()
    rollup.refresh(now=NOW)
    assert "Whole past days are counted as of" in manager_client.get(DASHBOARD).content.decode()


@pytest.mark.parametrize("refreshed", [NOW - 3 * HOUR, NOW - 2 * DAY, NOW - 20 * DAY])
@pytest.mark.parametrize("days", [7, 30])
def test_rollup_and_live_counts_never_overlap_or_miss(world, refreshed, days):
    live = all_rates(compliance(filters(days=days)))
    rollup.refresh(now=refreshed)
    assert all_rates(compliance(filters(days=days))) == live


def test_an_old_target_settling_between_full_and_recent_refreshes_is_counted_once(world):
    old = add_clock(world["tickets"]["t9"], ClockTarget.RESOLUTION, ago(60 * DAY), cycle=9)
    rollup.refresh(days=None, now=NOW - DAY)
    SlaClock.objects.filter(pk=old.pk).update(met_at=ago(2 * HOUR))
    rollup.refresh(days=30, now=NOW - HOUR)
    live_total = SlaClock.objects.filter(reports.SETTLED, target=ClockTarget.RESOLUTION, started_at__gte=ago(90 * DAY))
    total = reports.compliance_totals(compliance(filters(days=90))["priority"]).resolution
    assert total.whole == live_total.count()


def test_the_agent_chart_shows_the_busiest_twenty_and_the_csv_everyone(manager_client):
    build_volume(50, teams=2, agents=25)
    html = manager_client.get(DASHBOARD).content.decode()
    assert "5 more agents with fewer measured targets are in the CSV." in html
    rows = read_csv(manager_client.get(EXPORT, {"section": "compliance"}))
    assert sum(1 for row in rows if row[0] == "Agent") == 25


def test_the_period_menu_shows_the_default_period(manager_client):
    html = manager_client.get(DASHBOARD).content.decode()
    assert '<option value="30" selected>' in html
