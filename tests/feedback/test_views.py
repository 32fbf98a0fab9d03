"""The survey pages (tampering, replay, expiry, someone else), the portal prompt and preference,
the feedback report, its CSV and panel, the review queue and the agent's own reviews."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from feedback.emails import score_path
from feedback.models import (
    FeedbackTheme,
    Invitation,
    QualityReview,
    Response,
    ReviewCriterion,
    ReviewItem,
    SurveyOptOut,
)
from helpdesk.models import Status
from tests.helpdesk.factories import (
    AgentFactory,
    CustomerFactory,
    OrganizationFactory,
    QueueFactory,
    ServiceTierFactory,
    TeamFactory,
    TicketFactory,
)

from .factories import InvitationFactory, ResponseFactory, ReviewItemFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
TOKEN = "a-known-token-for-the-tests-0123456789abcdef"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def invitation(db):
    from helpdesk.models import hash_token

    return InvitationFactory(token_hash=hash_token(TOKEN))


def answer_url(token=TOKEN):
    return reverse("feedback:survey-answer", args=[token])


# --- one-click links ------------------------------------------------------------------------------


def test_the_emailed_link_preselects_its_score_and_records_nothing_on_get(client, invitation):
    page = client.get(score_path(TOKEN, 2))
    assert page.status_code == 200
    assert 'value="2" required id="id_score_3" checked' in page.content.decode() or "checked" in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.answered_at is None
    assert not Response.objects.exists()


def test_posting_the_page_records_the_answer_with_the_optional_parts(client, invitation):
    response = client.post(answer_url(), {"score": 4, "comment": "Fine", "speed": 3, "clarity": ""})
    assert response.status_code == 302 and response.url == reverse("feedback:survey-thanks")
    answer = Response.objects.get()
    assert (answer.score, answer.speed, answer.clarity, answer.comment) == (4, 3, None, "Fine")


def test_answering_twice_is_refused_and_changes_nothing(client, invitation):
    client.post(answer_url(), {"score": 4})
    again = client.post(answer_url(), {"score": 1, "comment": "changed my mind"})
    assert again.status_code == 410
    assert "already been answered" in again.content.decode()
    assert client.get(score_path(TOKEN, 1)).status_code == 410
    assert list(Response.objects.values_list("score", "comment")) == [(4, "")]


def test_a_tampered_or_unknown_token_is_refused_politely(client, invitation):
    tampered = TOKEN[:-1] + ("x" if TOKEN[-1] != "x" else "y")
    for url in (answer_url(tampered), answer_url("nonsense")):
        page = client.get(url)
        assert page.status_code == 404
        assert "do not recognise this survey link" in page.content.decode()
    assert client.post(answer_url(tampered), {"score": 5}).status_code == 404
    assert not Response.objects.exists()


def test_a_link_whose_score_was_edited_is_refused(client, invitation):
    forged = score_path(TOKEN, 2).replace("score=2", "score=5")
    assert client.get(forged).status_code == 404
    assert client.get(answer_url() + "?score=5").status_code == 404
    assert not Response.objects.exists()


def test_an_expired_link_is_refused(client, invitation, clock):
    clock.shift(timedelta(days=14, seconds=1))
    assert client.get(score_path(TOKEN, 5)).status_code == 410
    page = client.post(answer_url(), {"score": 5})
    assert page.status_code == 410 and "expired" in page.content.decode()
    assert not Response.objects.exists()


def test_someone_else_signed_in_cannot_answer_on_behalf_of_the_person(client, invitation):
    client.force_login(CustomerFactory(organization=invitation.person.organization))
    assert client.get(score_path(TOKEN, 5)).status_code == 403
    assert client.post(answer_url(), {"score": 5}).status_code == 403
    client.force_login(AgentFactory())
    assert client.post(answer_url(), {"score": 5}).status_code == 403
    assert not Response.objects.exists()


def test_the_person_signed_in_may_answer_from_the_link(client, invitation):
    client.force_login(invitation.person)
    assert client.post(answer_url(), {"score": 5}).status_code == 302
    assert Response.objects.get().score == 5


def test_a_post_without_a_score_shows_the_form_again(client, invitation):
    page = client.post(answer_url(), {"comment": "no score"})
    assert page.status_code == 200
    assert "Choose an answer first." in page.content.decode()
    assert not Response.objects.exists()


def test_the_opt_out_link_asks_then_stops_every_survey(client, invitation):
    url = reverse("feedback:survey-opt-out", args=[TOKEN])
    assert client.get(url).status_code == 200
    assert not SurveyOptOut.objects.exists()  # a GET changes nothing
    assert client.post(url).status_code == 200
    assert SurveyOptOut.objects.filter(person=invitation.person).exists()
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None


# --- portal ----------------------------------------------------------------------------------------


def test_a_resolved_tickets_portal_page_offers_rate_your_experience(client, invitation):
    client.force_login(invitation.person)
    page = client.get(invitation.ticket.get_portal_url()).content.decode()
    assert "Rate your experience" in page
    portal_url = reverse("feedback:survey-portal", args=[invitation.pk])
    assert f"{portal_url}?score=5" in page
    assert client.post(portal_url, {"score": 3}).status_code == 302
    assert "you answered 3" in client.get(invitation.ticket.get_portal_url()).content.decode()


def test_another_customer_cannot_open_someone_elses_portal_survey(client, invitation):
    client.force_login(CustomerFactory(organization=invitation.person.organization))
    assert client.get(reverse("feedback:survey-portal", args=[invitation.pk])).status_code == 404


def test_the_portal_preference_turns_surveys_off_and_on(client, alice):
    client.force_login(alice)
    page = client.get(reverse("portal:preferences")).content.decode()
    assert "Send me short satisfaction surveys" in page
    client.post(reverse("feedback:survey-preference"), {})
    assert SurveyOptOut.objects.filter(person=alice).exists()
    client.post(reverse("feedback:survey-preference"), {"receive": "on"})
    assert not SurveyOptOut.objects.filter(person=alice).exists()


# --- the feedback report -----------------------------------------------------------------------------


@pytest.fixture
def manager_client(client):
    client.force_login(AgentFactory(manager=True))
    return client


def make_answers(n, *, score=4, kind="csat", **ticket_fields):
    earlier = NOW - timedelta(hours=1)
    for _n in range(n):
        ticket = TicketFactory(resolved=True, **ticket_fields)
        nps = kind == "nps"
        ResponseFactory(
            invitation__ticket=None if nps else ticket,
            invitation__person=ticket.requester,
            invitation__kind=kind,
            invitation__period="2026-01-01" if nps else "",
            invitation__created_at=earlier,
            created_at=earlier,
            ticket=None if nps else ticket,
            score=score,
            kind=kind,
            team=ticket.queue.team,
            tier=ticket.organization.tier,
            agent=ticket.assignee,
            channel=ticket.channel,
            language="en",
            comment="The invoice is wrong" if score <= 2 else "",
            theme=FeedbackTheme.objects.get(slug="billing") if score <= 2 else None,
        )


def test_the_report_shows_csat_nps_and_response_rate(manager_client):
    make_answers(3, score=5)
    make_answers(1, score=1)
    InvitationFactory(created_at=NOW - timedelta(hours=1))  # sent, not answered
    page = manager_client.get(reverse("feedback:report")).content.decode()
    assert 'data-figure="csat">4.00<' in page
    assert "75.0 %" in page  # 3 of 4 rated 4–5
    assert "4 of 5 invitations answered" in page
    assert "Billing" in page  # the low score's theme
    assert "The invoice is wrong" in page


def test_the_nps_is_promoters_minus_detractors():
    from feedback import reports
    from helpdesk.reports import Filters

    make_answers(6, score=10, kind="nps")
    make_answers(2, score=8, kind="nps")
    make_answers(2, score=3, kind="nps")
    totals = reports.totals(Filters(start=NOW - timedelta(days=1), end=NOW + timedelta(days=1), now=NOW))
    assert (totals.nps_n, totals.promoters, totals.detractors, totals.nps) == (10, 6, 2, 40)


def test_the_report_filters_by_team_and_tier(manager_client):
    gold = ServiceTierFactory(name="Gold")
    alpha = TeamFactory(name="Alpha")
    make_answers(2, score=5, queue=QueueFactory(name="Alpha desk", team=alpha))
    make_answers(2, score=1, requester=CustomerFactory(organization=OrganizationFactory(tier=gold)))
    by_team = manager_client.get(reverse("feedback:report"), {"team": alpha.pk}).content.decode()
    assert 'data-figure="csat">5.00<' in by_team
    by_tier = manager_client.get(reverse("feedback:report"), {"tier": gold.pk}, **HX).content.decode()
    assert 'data-figure="csat">1.00<' in by_tier
    assert "<html" not in by_tier


def test_only_managers_and_leads_see_the_report_and_the_queue(client, agent, alice):
    for user in (agent, alice):
        client.force_login(user)
        assert client.get(reverse("feedback:report")).status_code == 404
        assert client.get(reverse("feedback:review-list")).status_code == 404
    client.force_login(AgentFactory(lead=True))
    assert client.get(reverse("feedback:review-list")).status_code == 200


def test_the_report_costs_the_same_queries_at_any_volume(manager_client, django_assert_max_num_queries):
    make_answers(3, score=4)
    with django_assert_max_num_queries(15) as few:
        manager_client.get(reverse("feedback:report"), {"unit": "month"})
    make_answers(30, score=2)
    make_answers(10, score=9, kind="nps")
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_client.get(reverse("feedback:report"), {"unit": "month"})


def test_the_csv_streams_every_answer_of_the_filtered_period(manager_client):
    alpha = TeamFactory(name="Alpha")
    make_answers(2, score=5, queue=QueueFactory(name="Alpha desk", team=alpha))
    make_answers(1, score=1)
    response = manager_client.get(reverse("feedback:export"), {"team": alpha.pk})
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Answered", "Survey", "Score"]
    assert [row[2] for row in rows[1:]] == ["5", "5"]


def test_the_sla_dashboard_loads_the_feedback_panel(manager_client):
    make_answers(2, score=5)
    page = manager_client.get(reverse("manager:dashboard")).content.decode()
    assert reverse("feedback:panel") in page
    panel = manager_client.get(reverse("feedback:panel"), HX).content.decode()
    assert 'data-figure="csat">5.00<' in panel


# --- review queue ---------------------------------------------------------------------------------------


def test_the_review_queue_costs_the_same_queries_at_any_volume(manager_client, django_assert_max_num_queries):
    ReviewItemFactory.create_batch(2, ticket__assignee=AgentFactory())
    with django_assert_max_num_queries(8) as few:
        manager_client.get(reverse("feedback:review-list"))
    for _n in range(20):
        ticket = TicketFactory(resolved=True, assignee=AgentFactory())
        ReviewItem.objects.create(
            ticket=ticket,
            reason="low_csat",
            agent=ticket.assignee,
            response=ResponseFactory(invitation__ticket=ticket, score=1),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = manager_client.get(reverse("feedback:review-list"))
    assert page.content.decode().count('href="/manager/reviews/') >= 20


def test_a_reviewer_scores_a_ticket_and_the_agent_sees_it(client, agent):
    item = ReviewItemFactory(ticket__assignee=agent)
    client.force_login(AgentFactory(lead=True))
    assert client.get(reverse("feedback:review-detail", args=[item.pk])).status_code == 200
    data = {f"c{c.pk}": (1 if c.scale == "pass_fail" else 4) for c in ReviewCriterion.objects.filter(is_active=True)}
    data["notes"] = "Good <b>tone</b>"
    assert client.post(reverse("feedback:review-detail", args=[item.pk]), data).status_code == 302
    review = QualityReview.objects.get()
    assert review.agent_id == agent.pk
    client.force_login(agent)
    page = client.get(reverse("feedback:agent-reviews")).content.decode()
    assert item.ticket.ref in page
    assert "Good &lt;b&gt;tone&lt;/b&gt;" in page
    other = AgentFactory()
    client.force_login(other)
    assert item.ticket.ref not in client.get(reverse("feedback:agent-reviews")).content.decode()


def test_an_incomplete_checklist_is_shown_again_and_nothing_is_saved(client):
    item = ReviewItemFactory()
    client.force_login(AgentFactory(manager=True))
    page = client.post(reverse("feedback:review-detail", args=[item.pk]), {"notes": "x"})
    assert page.status_code == 200
    assert "Score this line." in page.content.decode()
    assert not QualityReview.objects.exists()


def test_a_survey_answer_appears_on_the_agents_timeline(client, invitation):
    client.post(answer_url(), {"score": 2, "comment": "Still <broken>"})
    agent = AgentFactory()
    client.force_login(agent)
    page = client.get(invitation.ticket.get_absolute_url()).content.decode()
    assert "Customer answered the CSAT survey: 2/5" in page
    assert "Still &lt;broken&gt;" in page


def test_invitation_rows_are_not_created_for_open_tickets(alice):
    from feedback import services

    ticket = TicketFactory(requester=alice, status=Status.OPEN)
    assert services.invite_after_resolution([ticket.pk]) == 0
    assert not Invitation.objects.exists()


def test_the_admin_pages_load_and_invitations_are_read_only(client, invitation):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", "root@example.com", "x", role="admin")
    client.force_login(admin_user)
    ResponseFactory(invitation=InvitationFactory(answered_at=NOW), score=2, comment="Invoice")
    ReviewItemFactory()
    for name in ("invitation", "response", "feedbacktheme", "reviewcriterion", "qualityreview", "reviewitem"):
        assert client.get(reverse(f"admin:feedback_{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:feedback_invitation_add")).status_code == 403
    assert client.get(reverse("admin:feedback_feedbacktheme_change", args=[1])).status_code == 200
    changed = client.post(
        reverse("admin:feedback_feedbacktheme_changelist"),
        {"action": "reclassify", "_selected_action": [1]},
    )
    assert changed.status_code == 302
    assert Response.objects.get(comment="Invoice").theme.slug == "billing"


def test_setup_schedules_registers_the_feedback_jobs_idempotently():
    from django.core.management import call_command
    from django_q.models import Schedule

    call_command("setup_schedules", stdout=io.StringIO())
    call_command("setup_schedules", stdout=io.StringIO())
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {
        "feedback.send_survey_reminders",
        "feedback.send_nps_surveys",
        "feedback.refresh_feedback_rollup",
        "feedback.rebuild_feedback_rollup",
    } <= names
    assert Schedule.objects.filter(name="feedback.send_nps_surveys").count() == 1


def test_the_feedback_demo_is_idempotent(agent, run_on_commit):
    from feedback.demo import seed_feedback_demo
    from helpdesk import services as helpdesk_services

    AgentFactory(username="manager", manager=True)
    with run_on_commit():
        for _n in range(3):
            helpdesk_services.update_ticket(agent, TicketFactory(), status=Status.RESOLVED)
    assert seed_feedback_demo() >= 3
    assert seed_feedback_demo() == 0
    assert Response.objects.count() == 3
