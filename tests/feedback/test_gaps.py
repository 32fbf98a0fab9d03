"""Thumbs-down ratings in the review queue, the queue's reason filter with and without HTMX, the
checklist's names in every language, and survey links withdrawn when a ticket is reopened."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from feedback import services
from feedback.defaults import CRITERIA, fill_criterion_names
from feedback.models import Invitation, ReviewCriterion, ReviewItem, ReviewReason
from helpdesk import services as helpdesk_services
from helpdesk.models import Status
from tests.helpdesk.factories import AgentFactory, TicketFactory

from .factories import InvitationFactory, ReviewItemFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- thumbs down ------------------------------------------------------------------------------------


def test_a_thumbs_down_puts_the_ticket_in_the_review_queue_with_its_reason(agent):
    ticket = TicketFactory(assignee=agent, resolved=True, channel="chat")
    response = services.answer_survey(None, InvitationFactory(ticket=ticket, kind="pulse"), score=0, comment="Meh")
    item = ReviewItem.objects.get()
    assert (item.ticket_id, item.reason, item.response_id, item.agent_id) == (
        ticket.pk,
        ReviewReason.THUMBS_DOWN,
        response.pk,
        agent.pk,
    )
    assert response.score_text == "👎"


def test_a_thumbs_up_is_not_queued():
    services.answer_survey(None, InvitationFactory(kind="pulse"), score=1)
    assert not ReviewItem.objects.exists()


def test_a_thumbs_down_relabels_a_ticket_already_waiting_as_a_sample(agent):
    item = ReviewItemFactory(ticket__assignee=agent, reason="sample")
    services.answer_survey(None, InvitationFactory(ticket=item.ticket, kind="pulse"), score=0)
    item.refresh_from_db()
    assert item.reason == ReviewReason.THUMBS_DOWN


# --- the review queue's reason filter -------------------------------------------------------------


@pytest.fixture
def manager_client(client):
    client.force_login(AgentFactory(manager=True))
    return client


def queued(reason, subject):
    return ReviewItemFactory(reason=reason, ticket__subject=subject)


def test_the_reason_filter_answers_htmx_with_the_queue_alone(manager_client):
    queued("low_csat", "Invoice trouble")
    queued("thumbs_down", "Chat went badly")
    response = manager_client.get(reverse("feedback:review-list"), {"reason": "thumbs_down"}, **HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="review-queue"')
    assert "<html" not in body
    assert "Chat went badly" in body and "Invoice trouble" not in body
    assert "HX-Request" in response["Vary"]


def test_the_reason_filter_works_without_javascript(manager_client):
    queued("low_csat", "Invoice trouble")
    queued("escalated", "Escalated mess")
    page = manager_client.get(reverse("feedback:review-list"), {"reason": "escalated"}).content.decode()
    assert "<html" in page
    assert "Escalated mess" in page and "Invoice trouble" not in page
    # The form still submits by GET to the same URL, and HTMX swaps only the queue.
    assert 'method="get"' in page and 'hx-target="#review-queue"' in page
    assert 'hx-indicator="#htmx-indicator"' in page
    assert '<option value="thumbs_down"' in page


def test_the_review_queue_fragment_costs_no_more_queries_than_the_page(manager_client, django_assert_max_num_queries):
    for _n in range(5):
        queued("low_csat", "Invoice trouble")
    with django_assert_max_num_queries(8):
        manager_client.get(reverse("feedback:review-list"), {"reason": "low_csat"}, **HX)


# --- the checklist in every language --------------------------------------------------------------


def test_every_checklist_line_has_a_name_in_every_language():
    codes = [code for code, _label in settings.LANGUAGES]
    for slug, (_position, _scale, names) in CRITERIA.items():
        assert set(names) == set(codes), slug
        assert len(set(names.values())) >= 5, slug  # really translated, not copied
    for code in codes:
        with translation.override(code):
            names = {c.slug: c.name for c in ReviewCriterion.objects.all()}
        assert names["sla-met"] == CRITERIA["sla-met"][2][code]


def test_filling_the_names_keeps_an_admins_wording_and_fills_blanks():
    ReviewCriterion.objects.filter(slug="tone").update(name_fr="Ton (revu par l'équipe)", name_ja="")
    assert fill_criterion_names(ReviewCriterion) == 1
    tone = ReviewCriterion.objects.get(slug="tone")
    assert tone.name_fr == "Ton (revu par l'équipe)"
    assert tone.name_ja == CRITERIA["tone"][2]["ja"]
    assert fill_criterion_names(ReviewCriterion) == 0


# --- reopening ------------------------------------------------------------------------------------


def resolve(actor, ticket, run_on_commit):
    ticket.refresh_from_db()
    with run_on_commit():
        helpdesk_services.update_ticket(actor, ticket, status=Status.RESOLVED)


def reopen(actor, ticket, run_on_commit):
    ticket.refresh_from_db()
    with run_on_commit():
        helpdesk_services.reopen_ticket(actor, ticket)


def test_reopening_a_ticket_withdraws_its_unanswered_survey(ticket, agent, run_on_commit, clock):
    resolve(agent, ticket, run_on_commit)
    clock.shift(timedelta(hours=2))
    reopen(agent, ticket, run_on_commit)
    invitation = Invitation.objects.get()
    assert invitation.expires_at == NOW + timedelta(hours=2)
    with pytest.raises(services.SurveyRefused) as refused:
        services.answer_survey(None, invitation, score=5)
    assert refused.value.code == "expired"


def test_a_withdrawn_survey_gets_no_reminder(ticket, agent, run_on_commit, clock):
    resolve(agent, ticket, run_on_commit)
    reopen(agent, ticket, run_on_commit)
    clock.shift(timedelta(days=4))
    assert services.send_reminders() == 0


def test_reopening_keeps_an_answered_survey_and_other_tickets_surveys(ticket, agent, run_on_commit):
    resolve(agent, ticket, run_on_commit)
    answered = services.answer_survey(None, Invitation.objects.get(), score=4)
    other = InvitationFactory()
    reopen(agent, ticket, run_on_commit)
    assert Invitation.objects.get(pk=answered.invitation_id).answered_at == NOW
    other_expiry = Invitation.objects.get(pk=other.pk).expires_at
    assert other_expiry == NOW + timedelta(days=14)


def test_withdrawing_twice_changes_nothing(ticket, agent, run_on_commit):
    resolve(agent, ticket, run_on_commit)
    assert services.withdraw_after_reopening([ticket.pk]) == 1
    assert services.withdraw_after_reopening([ticket.pk]) == 0


def test_resolved_again_after_a_withdrawal_the_next_round_is_sent_when_allowed(ticket, agent, run_on_commit, clock):
    from feedback.models import SurveySettings

    SurveySettings.objects.update_or_create(pk=1, defaults={"csat_per_ticket": 2})
    resolve(agent, ticket, run_on_commit)
    clock.shift(timedelta(hours=1))
    reopen(agent, ticket, run_on_commit)
    clock.shift(timedelta(hours=1))
    resolve(agent, ticket, run_on_commit)
    first, second = Invitation.objects.order_by("round")
    assert first.is_expired(NOW + timedelta(hours=2)) and not second.is_expired(NOW + timedelta(hours=2))
