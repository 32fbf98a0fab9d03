"""Queue counts shared between agents: reused for a few seconds, cleared by every change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk import services
from helpdesk.counts import queue_counts

from .factories import AgentFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def since():
    return (timezone.now() - timedelta(days=7)).replace(second=0, microsecond=0)


def test_shared_counts_are_reused_but_my_own_count_is_live(agent, alice, since, django_assert_num_queries):
    TicketFactory(requester=alice)
    assert queue_counts(agent, since=since)["open"] == 1
    TicketFactory(requester=alice, assignee=agent)  # written behind the services' back
    with django_assert_num_queries(1):
        counts = queue_counts(agent, since=since)
    assert counts["open"] == 1  # reused
    assert counts["mine"] == 1  # always counted


def test_a_change_through_a_service_is_counted_at_once(agent, alice, since, django_capture_on_commit_callbacks):
    first = TicketFactory(requester=alice)
    assert queue_counts(agent, since=since)["unassigned"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_ticket(agent, first)
    counts = queue_counts(agent, since=since)
    assert (counts["unassigned"], counts["mine"]) == (0, 1)


def test_each_team_has_its_own_counts(agent, alice, since):
    TicketFactory(requester=alice)  # in the Frontline team's queue
    other_team = AgentFactory(team__name="Engineering")
    assert queue_counts(agent, since=since)["team"] == 1
    assert queue_counts(other_team, since=since)["team"] == 0


def test_counting_can_be_turned_off(agent, alice, since, settings):
    settings.FIRSTLINE_QUEUE_COUNT_CACHE_SECONDS = 0
    TicketFactory(requester=alice)
    assert queue_counts(agent, since=since)["open"] == 1
    TicketFactory(requester=alice)
    assert queue_counts(agent, since=since)["open"] == 2
