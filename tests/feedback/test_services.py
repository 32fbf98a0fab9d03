"""Invitations: who is asked, how often, in which words; answers, reminders, NPS and review queueing."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from comms.models import OutboundMessage
from feedback import services
from feedback.models import (
    Invitation,
    NpsRun,
    QualityReview,
    Response,
    ReviewCriterion,
    ReviewItem,
    SurveyKind,
    SurveyOptOut,
    SurveySettings,
)
from helpdesk import services as helpdesk_services
from helpdesk.models import EventKind, Status, TicketEvent, hash_token
from helpdesk.signals import ticket_reopened, ticket_resolved
from tests.helpdesk.factories import AgentFactory, CustomerFactory, TicketFactory

from .factories import InvitationFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def survey_emails():
    return OutboundMessage.objects.filter(idempotency_key__startswith="survey:")


def resolve(actor, ticket, run_on_commit):
    with run_on_commit():
        helpdesk_services.update_ticket(actor, ticket, status=Status.RESOLVED)


def reopen(actor, ticket, run_on_commit):
    ticket.refresh_from_db()
    with run_on_commit():
        helpdesk_services.reopen_ticket(actor, ticket)


def links(body):
    return re.findall(r"https?://\S+/feedback/s/[\w-]+/\?score=\d+&sig=[\w-]+", body)


# --- signals ---------------------------------------------------------------------------------


def test_resolving_and_reopening_send_the_helpdesk_signals_on_commit(ticket, agent, run_on_commit):
    heard = []

    def listen(signal_name):
        return lambda sender, ticket_ids, **kw: heard.append((signal_name, ticket_ids))

    on_resolved, on_reopened = listen("resolved"), listen("reopened")
    ticket_resolved.connect(on_resolved)
    ticket_reopened.connect(on_reopened)
    try:
        with run_on_commit():
            helpdesk_services.update_ticket(agent, ticket, status=Status.RESOLVED)
            assert heard == []  # nothing before the commit
        reopen(agent, ticket, run_on_commit)
    finally:
        ticket_resolved.disconnect(on_resolved)
        ticket_reopened.disconnect(on_reopened)
    assert heard == [("resolved", [ticket.pk]), ("reopened", [ticket.pk])]


# --- CSAT after resolution ---------------------------------------------------------------------


def test_resolving_a_ticket_emails_its_requester_a_csat_survey_with_five_one_click_links(ticket, agent, run_on_commit):
    resolve(agent, ticket, run_on_commit)
    invitation = Invitation.objects.get()
    assert (invitation.kind, invitation.person_id, invitation.ticket_id) == ("csat", ticket.requester_id, ticket.pk)
    assert invitation.expires_at == NOW + timedelta(days=14)
    message = survey_emails().get()
    assert message.recipient == ticket.requester.email
    assert message.reference == ticket.ref
    assert len(links(message.body)) == 5
    assert "/opt-out/" in message.body
    # Only the hash is stored: the token in the email is not in the row.
    token = links(message.body)[0].split("/feedback/s/")[1].split("/")[0]
    assert token not in invitation.token_hash and len(token) >= 40


def test_resolve_reopen_resolve_sends_one_csat_invitation(ticket, agent, run_on_commit):
    resolve(agent, ticket, run_on_commit)
    reopen(agent, ticket, run_on_commit)
    resolve(agent, ticket, run_on_commit)
    ticket.refresh_from_db()
    with run_on_commit():
        helpdesk_services.close_ticket(agent, ticket)
    assert Invitation.objects.count() == 1
    assert survey_emails().count() == 1


def test_a_second_round_is_allowed_only_when_the_setting_says_so(ticket, agent, run_on_commit, clock):
    SurveySettings.objects.update_or_create(pk=1, defaults={"csat_per_ticket": 2})
    for _round in range(3):
        resolve(agent, ticket, run_on_commit)
        clock.shift(timedelta(hours=1))
        reopen(agent, ticket, run_on_commit)
        clock.shift(timedelta(hours=1))
    assert list(Invitation.objects.order_by("round").values_list("round", flat=True)) == [1, 2]


def test_the_unique_constraint_refuses_a_duplicate_invitation_even_if_the_code_tried(ticket):
    services.invite_after_resolution([ticket.pk])  # the ticket is open: nobody is invited
    ticket.status = Status.RESOLVED
    ticket.save()
    assert services.invite_after_resolution([ticket.pk]) == 1
    InvitationFactory.build(ticket=ticket, round=1)
    with pytest.raises(Exception):  # noqa: B017, PT011 - IntegrityError from the database
        InvitationFactory(ticket=ticket, round=1)


def test_bulk_resolve_invites_every_requester_in_a_few_queries(agent, run_on_commit, django_assert_max_num_queries):
    tickets = [TicketFactory() for _n in range(12)]
    with run_on_commit(), django_assert_max_num_queries(40):
        helpdesk_services.bulk_update_tickets(agent, [t.pk for t in tickets], status=Status.RESOLVED)
    assert Invitation.objects.count() == 12
    assert survey_emails().count() == 12


def test_a_chat_ticket_gets_a_quick_thumbs_rating_instead_of_csat(alice, agent, run_on_commit):
    chat = TicketFactory(requester=alice, channel="chat")
    resolve(agent, chat, run_on_commit)
    invitation = Invitation.objects.get()
    assert (invitation.kind, invitation.channel) == ("pulse", "chat")
    assert len(links(survey_emails().get().body)) == 2


def test_an_opted_out_customer_is_not_invited(ticket, agent, run_on_commit):
    SurveyOptOut.objects.create(person=ticket.requester)
    resolve(agent, ticket, run_on_commit)
    assert not Invitation.objects.exists()


def test_the_invitation_is_written_in_the_customers_language(agent, run_on_commit):
    customer = CustomerFactory(language="es")
    ticket = TicketFactory(requester=customer)
    resolve(agent, ticket, run_on_commit)
    message = survey_emails().get()
    assert "¿Qué tal lo hicimos?" in message.subject
    assert "Muy satisfecho" in message.body or "satisf" in message.body


# --- answers -------------------------------------------------------------------------------------


def test_an_answer_is_recorded_once_with_the_tickets_dimensions_and_shown_on_its_timeline(agent):
    ticket = TicketFactory(assignee=agent, resolved=True, channel="email")
    invitation = InvitationFactory(ticket=ticket)
    response = services.answer_survey(None, invitation, score=5, comment="Quick and kind", speed=5, clarity=4)
    assert (response.score, response.speed, response.clarity, response.agent_id) == (5, 5, 4, agent.pk)
    assert response.team_id == ticket.queue.team_id
    assert response.tier_id == ticket.organization.tier_id
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.SURVEY_ANSWERED)
    assert event.data["score"] == 5 and event.data["comment"] == "Quick and kind"
    assert not event.is_public
    with pytest.raises(services.SurveyRefused) as refused:
        services.answer_survey(None, invitation, score=1)
    assert refused.value.code == "answered"
    assert Response.objects.get().score == 5


def test_an_expired_invitation_refuses_the_answer(clock):
    invitation = InvitationFactory()
    clock.shift(timedelta(days=15))
    with pytest.raises(services.SurveyRefused) as refused:
        services.answer_survey(None, invitation, score=4)
    assert refused.value.code == "expired"
    assert not Response.objects.exists()


def test_someone_else_signed_in_cannot_answer_for_the_person(bob):
    invitation = InvitationFactory()
    with pytest.raises(services.SurveyRefused) as refused:
        services.answer_survey(bob, invitation, score=4)
    assert refused.value.status == 403
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_a_score_out_of_range_is_refused():
    invitation = InvitationFactory()
    with pytest.raises(services.SurveyRefused):
        services.answer_survey(None, invitation, score=6)
    assert not Response.objects.exists()


def test_a_comment_is_given_the_theme_of_its_keywords():
    invitation = InvitationFactory()
    response = services.answer_survey(None, invitation, score=2, comment="The invoice was charged twice")
    assert response.theme.slug == "billing"


def test_a_low_csat_puts_the_ticket_in_the_review_queue(agent):
    ticket = TicketFactory(assignee=agent, resolved=True)
    response = services.answer_survey(None, InvitationFactory(ticket=ticket), score=2, comment="Slow")
    item = ReviewItem.objects.get()
    assert (item.ticket_id, item.reason, item.response_id, item.agent_id) == (
        ticket.pk,
        "low_csat",
        response.pk,
        agent.pk,
    )


def test_an_nps_detractor_with_a_comment_queues_their_latest_ticket(alice):
    latest = TicketFactory(requester=alice, resolved=True)
    services.answer_survey(None, InvitationFactory(nps=True, person=alice), score=3, comment="Too many outages")
    assert ReviewItem.objects.get().ticket_id == latest.pk


def test_an_nps_detractor_without_a_comment_is_not_queued(alice):
    TicketFactory(requester=alice, resolved=True)
    services.answer_survey(None, InvitationFactory(nps=True, person=alice), score=3)
    assert not ReviewItem.objects.exists()


# --- review queue on resolution -------------------------------------------------------------------


def test_an_escalated_ticket_is_queued_for_review_when_resolved(agent, run_on_commit):
    ticket = TicketFactory(escalation_count=1)
    resolve(agent, ticket, run_on_commit)
    assert ReviewItem.objects.get().reason == "escalated"


def test_the_review_sample_is_deterministic_and_near_the_configured_share():
    first = [services.in_review_sample(pk, 10) for pk in range(1, 5001)]
    again = [services.in_review_sample(pk, 10) for pk in range(1, 5001)]
    assert first == again
    assert 400 < sum(first) < 600
    assert not any(services.in_review_sample(pk, 0) for pk in range(1, 200))


def test_sampled_tickets_are_queued_once_however_often_resolved(agent, run_on_commit, clock):
    SurveySettings.objects.update_or_create(pk=1, defaults={"review_sample_percent": 100})
    ticket = TicketFactory()
    for _n in range(2):
        resolve(agent, ticket, run_on_commit)
        clock.shift(timedelta(hours=1))
        reopen(agent, ticket, run_on_commit)
        clock.shift(timedelta(hours=1))
    item = ReviewItem.objects.get()
    assert (item.ticket_id, item.reason) == (ticket.pk, "sample")


def test_no_sample_when_the_share_is_zero(agent, run_on_commit):
    SurveySettings.objects.update_or_create(pk=1, defaults={"review_sample_percent": 0})
    resolve(agent, TicketFactory(), run_on_commit)
    assert not ReviewItem.objects.exists()


def test_a_review_scores_the_checklist_and_leaves_the_queue(agent):
    lead = AgentFactory(lead=True)
    item = ReviewItem.objects.create(ticket=TicketFactory(assignee=agent, resolved=True), reason="sample", agent=agent)
    criteria = list(ReviewCriterion.objects.filter(is_active=True))
    scores = {c.pk: (1 if c.scale == "pass_fail" else 5) for c in criteria}
    review = services.submit_review(lead, item, scores=scores, notes="Well done")
    assert review.percent == 100.0 and review.agent_id == agent.pk
    with pytest.raises(services.NotAllowed):
        services.submit_review(lead, item, scores=scores)
    assert QualityReview.objects.count() == 1


def test_an_agent_cannot_review_and_a_missing_line_is_refused(agent):
    item = ReviewItem.objects.create(ticket=TicketFactory(resolved=True), reason="sample")
    with pytest.raises(services.NotAllowed):
        services.submit_review(agent, item, scores={})
    with pytest.raises(services.NotAllowed):
        services.submit_review(AgentFactory(manager=True), item, scores={})
    assert not QualityReview.objects.exists()


# --- reminders ------------------------------------------------------------------------------------


def test_one_reminder_goes_out_after_three_days_and_a_second_run_sends_nothing(clock):
    invitation = InvitationFactory(token_hash=hash_token("the-first-emails-token"))
    answered = InvitationFactory(answered_at=NOW)
    assert services.send_reminders() == 0  # too early
    clock.shift(timedelta(days=3, minutes=1))
    assert services.send_reminders() == 1
    assert services.send_reminders() == 0
    clock.shift(timedelta(days=3))
    assert services.send_reminders() == 0
    reminder = survey_emails().get()
    assert reminder.subject.startswith("Reminder:")
    assert reminder.idempotency_key == f"survey:{invitation.pk}:reminder"
    # Both the reminder's link and the first one open the invitation.
    token = links(reminder.body)[0].split("/feedback/s/")[1].split("/")[0]
    assert Invitation.objects.by_token(token).get() == invitation
    assert Invitation.objects.by_token("the-first-emails-token").exists()
    answered.refresh_from_db()
    assert answered.reminded_at is None


def test_no_reminder_for_an_opted_out_person(clock):
    invitation = InvitationFactory()
    services.opt_out(None, invitation.person)
    clock.shift(timedelta(days=4))
    assert services.send_reminders() == 0


# --- NPS -------------------------------------------------------------------------------------------


def test_nps_goes_to_customers_with_a_ticket_last_quarter_once_per_period(clock):
    active = CustomerFactory()
    TicketFactory(requester=active, created_at=datetime(2026, 2, 10, tzinfo=UTC))
    idle = CustomerFactory()
    TicketFactory(requester=idle, created_at=datetime(2025, 11, 10, tzinfo=UTC))
    assert services.send_nps_surveys() == 1
    invitation = Invitation.objects.get(kind=SurveyKind.NPS)
    assert (invitation.person_id, invitation.period) == (active.pk, "2026-04-01")
    assert len(links(survey_emails().get().body)) == 11
    assert services.send_nps_surveys() == 0
    NpsRun.objects.all().delete()  # even without the run's record, the constraints hold
    assert services.send_nps_surveys() == 0
    assert Invitation.objects.filter(kind=SurveyKind.NPS).count() == 1


def test_nps_never_asks_one_person_twice_within_ninety_days(clock):
    SurveySettings.objects.update_or_create(pk=1, defaults={"nps_every_months": 1})
    customer = CustomerFactory()
    TicketFactory(requester=customer, created_at=datetime(2026, 3, 10, tzinfo=UTC))
    assert services.send_nps_surveys() == 1
    clock.move_to(datetime(2026, 5, 2, tzinfo=UTC))
    TicketFactory(requester=customer, created_at=datetime(2026, 4, 10, tzinfo=UTC))
    assert services.send_nps_surveys() == 0
    clock.move_to(datetime(2026, 7, 2, tzinfo=UTC))
    TicketFactory(requester=customer, created_at=datetime(2026, 6, 10, tzinfo=UTC))
    assert services.send_nps_surveys() == 1


def test_nps_period_boundaries():
    from datetime import date

    assert services.nps_period(date(2026, 4, 2), 3) == (date(2026, 4, 1), date(2026, 1, 1))
    assert services.nps_period(date(2026, 1, 31), 3) == (date(2026, 1, 1), date(2025, 10, 1))
    assert services.nps_period(date(2026, 12, 31), 12) == (date(2026, 1, 1), date(2025, 1, 1))


def test_the_trend_buckets_by_monday_and_by_first_of_month():
    from feedback import reports
    from helpdesk.reports import Filters

    from .factories import ResponseFactory

    for day in (datetime(2026, 3, 29, 23, tzinfo=UTC), datetime(2026, 3, 30, 1, tzinfo=UTC)):  # Sun, Mon
        ResponseFactory(created_at=day, score=5)
    filters = Filters(start=datetime(2026, 3, 1, tzinfo=UTC), end=NOW, now=NOW)
    weeks = [(row.key.date().isoformat(), row.csat_n) for row in reports.trend(filters, unit="week")]
    assert weeks == [("2026-03-23", 1), ("2026-03-30", 1)]
    months = [(row.key.date().isoformat(), row.csat_n) for row in reports.trend(filters, unit="month")]
    assert months == [("2026-03-01", 2)]
