"""Post-incident review: required to close a P1/P2, and a communications report computed from the rows left behind."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from comms.models import OutboundMessage, OutboundStatus
from incidents import reviews, services
from incidents.cadence import sweep_cadence
from incidents.models import EventKind, FollowUpTask, Incident, IncidentEvent, PostIncidentReview
from tests.helpdesk.factories import TicketFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def declare(people, severity=1, **kwargs):
    fields = {
        "title": "Checkout is failing",
        "severity": severity,
        "commander": people["manager"],
        "communications_lead": people["agent"],
        "organizations": [people["acme"]],
    }
    fields.update(kwargs)
    with time_machine.travel(START, tick=False):
        return services.declare_incident(people["manager"], **fields)


def resolve(people, incident, at):
    with time_machine.travel(at, tick=False):
        services.resolve_incident(people["manager"], incident, body="Rolled back.")
    incident.refresh_from_db()


def test_a_p1_cannot_be_closed_before_its_review_is_completed(people):
    incident = declare(people)
    with pytest.raises(services.IncidentError, match="Resolve the incident"):
        services.close_incident(people["manager"], incident)
    resolve(people, incident, START + timedelta(hours=1))
    with pytest.raises(services.IncidentError, match="P1 incident can be closed only after"):
        services.close_incident(people["manager"], incident)
    reviews.save_review(
        people["manager"], incident, summary="Down 1 h", root_cause="", actions_taken="", lessons="", complete=False
    )
    with pytest.raises(services.IncidentError, match="root cause and the actions"):
        reviews.save_review(
            people["manager"], incident, summary="", root_cause="", actions_taken="", lessons="", complete=True
        )
    with pytest.raises(services.IncidentError):
        services.close_incident(people["manager"], incident)
    reviews.save_review(
        people["manager"],
        incident,
        summary="Down 1 h",
        root_cause="A bad deploy",
        actions_taken="Rolled back",
        lessons="Canary deploys",
        complete=True,
    )
    closed = services.close_incident(people["manager"], incident)
    assert closed.closed_at is not None
    kinds = list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert kinds.count(EventKind.REVIEW_COMPLETED) == 1 and kinds.count(EventKind.CLOSED) == 1
    with pytest.raises(services.IncidentError, match="closed"):
        services.post_update(people["manager"], incident, body="More", status="resolved")


def test_a_p3_closes_without_a_review(people):
    incident = declare(people, severity=3)
    resolve(people, incident, START + timedelta(hours=1))
    assert services.close_incident(people["agent"], incident).closed_at is not None


def test_closing_from_the_page_says_why_it_is_refused(client, people):
    incident = declare(people, severity=2)
    resolve(people, incident, START + timedelta(hours=1))
    client.force_login(people["manager"])
    response = client.post(reverse("incidents:incident-close", args=[incident.ref]), follow=True)
    assert "can be closed only after its post-incident review is completed" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).closed_at is None


def test_the_communications_report_counts_first_notice_misses_channels_failures_and_tickets(people, run_on_commit):
    before = TicketFactory(requester=people["alice"])  # opened before the incident: not counted unless linked
    before.created_at = START - timedelta(days=1)
    before.save(update_fields=["created_at"])
    incident = declare(people)
    services.link_ticket(people["manager"], incident, before)
    for minutes in (1, 3):  # two tickets from Acme while customers have heard nothing yet
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            TicketFactory(requester=people["alice"])
    with time_machine.travel(START + timedelta(minutes=4), tick=False):
        TicketFactory(requester=people["bob"])  # another organization: not counted
    # The first notice at 09:07 misses the 5-minute target; the sweep flags it.
    with time_machine.travel(START + timedelta(minutes=5, seconds=30), tick=False):
        sweep_cadence()
    with time_machine.travel(START + timedelta(minutes=7), tick=False), run_on_commit():
        services.post_update(people["manager"], incident, body="We are on it.")
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        TicketFactory(requester=people["carmen"])
    with run_on_commit():
        resolve(people, incident, START + timedelta(hours=1))
    # Delivery as it stands: alice's SMS failed for good, her emails went out, the rest waits.
    notices = OutboundMessage.objects.filter(idempotency_key__startswith=f"incident:{incident.pk}:update:")
    notices.update(status=OutboundStatus.PENDING)
    notices.filter(channel="sms").update(status=OutboundStatus.FAILED, last_error="Provider said no")
    notices.filter(channel="email", recipient_user_id=people["alice"].pk).update(status=OutboundStatus.SENT)

    report = reviews.communications_report(incident)
    assert report["time_to_first_notice"] == timedelta(minutes=7) and report["first_notice_target"] == 5
    assert [m["kind"] for m in report["misses"]] == ["first_notice"]
    by_channel = {(row["audience"], row["channel"]): row for row in report["per_channel"]}
    # The first notice and the resolution, to alice (P1: sms, email, portal) and carmen (email, portal).
    assert by_channel[("customers", "sms")]["total"] == 2 and by_channel[("customers", "sms")]["failed"] == 2
    assert by_channel[("customers", "email")]["total"] == 4 and by_channel[("customers", "email")]["sent"] == 2
    assert by_channel[("customers", "portal")]["waiting"] == 4
    assert report["failed_total"] == 2 and report["failures"][0]["last_error"] == "Provider said no"
    assert (report["tickets_before"], report["tickets_after"], report["tickets_total"]) == (3, 1, 4)


def test_the_review_page_shows_timeline_report_and_tasks_in_a_flat_number_of_queries(
    client, people, run_on_commit, django_assert_max_num_queries
):
    incident = declare(people, message="We are on it.")
    for n in range(10):
        with time_machine.travel(START + timedelta(minutes=3 * n + 1), tick=False), run_on_commit():
            services.post_update(people["manager"], incident, body=f"Update {n}", public=n % 2 == 0)
    resolve(people, incident, START + timedelta(hours=1))
    client.force_login(people["manager"])
    url = reverse("incidents:review-detail", args=[incident.ref])
    response = client.post(
        reverse("incidents:review-task-add", args=[incident.ref]),
        {"title": "Add a canary stage", "owner": people["agent"].pk, "due_on": "2026-03-16"},
    )
    assert response.status_code == 302
    for n in range(5):
        reviews.add_follow_up_task(
            people["manager"], incident, title=f"Task {n}", owner=people["agent"], due_on=date(2026, 3, 20)
        )
    with django_assert_max_num_queries(16):
        page = client.get(url)
    html = page.content.decode()
    assert "Add a canary stage" in html and "Update 9" in html and "Communications report" in html
    assert 'id="notices-per-channel"' in html
    task = FollowUpTask.objects.get(title="Add a canary stage")
    client.post(reverse("incidents:review-task-done", args=[incident.ref, task.pk]))
    task.refresh_from_db()
    assert task.done_at is not None
    response = client.post(
        url,
        {"summary": "s", "root_cause": "Bad deploy", "actions_taken": "Rolled back", "lessons": "", "complete": "1"},
    )
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).review.completed_at is not None
    closed = client.post(reverse("incidents:incident-close", args=[incident.ref]), follow=True)
    assert f"{incident.ref} closed." in closed.content.decode()


def test_an_open_incident_has_no_review_yet(client, people):
    incident = declare(people)
    client.force_login(people["manager"])
    response = client.post(
        reverse("incidents:review-detail", args=[incident.ref]),
        {"summary": "", "root_cause": "x", "actions_taken": "y", "lessons": ""},
    )
    assert "once the incident is resolved" in response.content.decode()
    assert not PostIncidentReview.objects.exists()


def test_the_review_page_names_miss_kinds_channels_and_audiences_in_the_readers_language(client, people, run_on_commit):
    incident = declare(people)
    with time_machine.travel(START + timedelta(minutes=5, seconds=30), tick=False):
        sweep_cadence()  # the first notice is late
    with time_machine.travel(START + timedelta(minutes=7), tick=False), run_on_commit():
        services.post_update(people["manager"], incident, body="We are on it.")
    resolve(people, incident, START + timedelta(hours=1))
    client.force_login(people["manager"])
    url = reverse("incidents:review-detail", args=[incident.ref])

    html = client.get(url).content.decode()
    assert "First customer notice · " in html
    assert "<td>Customers</td><td>Text message (SMS)</td>" in html
    assert "<td>Portal inbox</td>" in html
    assert "first_notice" not in html and "<td>customers</td>" not in html and "<td>sms</td>" not in html

    people["manager"].language = "es"
    people["manager"].save(update_fields=["language"])
    html = client.get(url).content.decode()
    assert "Primer aviso al cliente · " in html and "<td>Mensaje de texto (SMS)</td>" in html
