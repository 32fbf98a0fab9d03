import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import ComponentStatus, Incident, IncidentStatus
from tests.helpdesk.factories import TicketFactory

pytestmark = pytest.mark.django_db


def declare(people, **kwargs):
    fields = {
        "title": "Checkout is failing",
        "severity": 2,
        "commander": people["manager"],
        "communications_lead": people["agent"],
        "organizations": [people["acme"]],
    }
    fields.update(kwargs)
    return services.declare_incident(people["manager"], **fields)


def test_manager_declares_from_a_ticket_and_the_ticket_is_linked(client, people, api):
    ticket = TicketFactory(requester=people["alice"])
    client.force_login(people["manager"])
    page = client.get(reverse("incidents:incident-create") + f"?ticket={ticket.ref}")
    assert "impact matrix" in page.content.decode().lower() or "Impact" in page.content.decode()
    response = client.post(
        reverse("incidents:incident-create"),
        {
            "title": "Payments down",
            "severity": "1",
            "users_affected": "all",
            "components": [api.pk],
            "component_status": ComponentStatus.MAJOR_OUTAGE,
            "organizations": [people["acme"].pk],
            "commander": people["manager"].pk,
            "communications_lead": people["agent"].pk,
            "is_public": "on",
            "ticket": ticket.ref,
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert incident.ticket_links.get().ticket == ticket
    detail = client.get(incident.get_absolute_url())
    assert "next update due in" in detail.content.decode()
    assert ticket.ref in detail.content.decode()
    flagged = client.get(ticket.get_absolute_url())
    assert incident.ref in flagged.content.decode()


def test_declare_without_scope_is_refused(client, people):
    client.force_login(people["agent"])
    response = client.post(
        reverse("incidents:incident-create"),
        {"title": "x", "severity": "3", "commander": people["agent"].pk, "communications_lead": people["agent"].pk},
    )
    assert response.status_code == 200 and not Incident.objects.exists()


def test_post_update_with_and_without_htmx(client, people, run_on_commit):
    incident = declare(people)
    client.force_login(people["agent"])
    url = reverse("incidents:incident-update", args=[incident.ref])
    with run_on_commit():
        plain = client.post(url, {"status": "identified", "body": "Found it", "visibility": "public"})
    assert plain.status_code == 302
    fragment = client.post(
        url,
        {"status": "identified", "body": "Note <script>x</script>", "visibility": "internal"},
        HTTP_HX_REQUEST="true",
    )
    html = fragment.content.decode()
    assert 'id="incident-body"' in html and "<script>x" not in html and "<html" not in html
    assert "incidentChanged" in fragment["HX-Trigger"]


def test_customers_cannot_open_agent_incident_pages(client, people):
    incident = declare(people)
    client.force_login(people["alice"])
    assert client.get(incident.get_absolute_url()).status_code == 404
    assert client.get(reverse("incidents:incident-list")).status_code == 404


def test_link_and_unlink_from_the_incident_page(client, people):
    incident = declare(people)
    ticket = TicketFactory(requester=people["bob"])
    client.force_login(people["agent"])
    client.post(reverse("incidents:incident-link", args=[incident.ref]), {"ticket": ticket.ref})
    link = incident.ticket_links.get()
    assert link.state == "linked"
    client.post(reverse("incidents:incident-link-action", args=[incident.ref, link.pk]), {"unlink": "1"})
    link.refresh_from_db()
    assert link.state == "unlinked"


def test_status_page_shows_public_incidents_and_public_updates_only(client, people, api, run_on_commit):
    shown = declare(people, components={api: ComponentStatus.MAJOR_OUTAGE}, title="Visible outage")
    hidden = declare(people, is_public=False, title="Secret incident")
    with run_on_commit():
        services.post_update(people["manager"], shown, body="Public words")
        services.post_update(people["manager"], shown, body="Internal words", public=False)
        services.post_update(people["manager"], hidden, body="Hidden public words")
    page = client.get(reverse("status:page")).content.decode()
    summary = client.get(reverse("status:summary")).content.decode()
    feed = client.get(reverse("status:feed")).content.decode()
    for body in (page, summary, feed):
        assert "Public words" in body
        assert "Internal words" not in body
        assert "Secret incident" not in body and "Hidden public words" not in body
    assert "Next update by" in page and "Major outage" in page
    data = json.loads(summary)
    assert data["incidents"][0]["id"] == shown.ref and data["incidents"][0]["next_update_by"]
    assert data["components"] == [{"name": "API", "group": "Platform", "status": "major_outage"}]


def test_status_page_query_count_is_flat_with_a_thousand_past_incidents(
    client, people, api, django_assert_max_num_queries
):
    open_one = declare(people, components={api: ComponentStatus.DEGRADED}, message="Looking")
    past = Incident.objects.bulk_create(
        [
            Incident(
                title=f"Past {n}",
                severity=3,
                status=IncidentStatus.RESOLVED,
                commander=people["manager"],
                communications_lead=people["agent"],
                declared_at=open_one.declared_at.replace(microsecond=0) - timedelta(hours=2 * n),
            )
            for n in range(1, 1001)
        ]
    )
    assert len(past) == 1000
    with django_assert_max_num_queries(10):
        assert client.get(reverse("status:page")).status_code == 200
    with django_assert_max_num_queries(10):
        client.get(reverse("status:summary"))
    with django_assert_max_num_queries(10):
        client.get(reverse("status:feed"))


def test_status_history_counts_each_day_with_its_worst_severity_and_lists_only_the_latest(client, people):
    now = timezone.now()

    def past(title, severity, days_ago):
        return Incident(
            title=title,
            severity=severity,
            status=IncidentStatus.RESOLVED,
            commander=people["manager"],
            communications_lead=people["agent"],
            declared_at=now - timedelta(days=days_ago),
            resolved_at=now - timedelta(days=days_ago) + timedelta(minutes=30),
        )

    Incident.objects.bulk_create(
        [past("Minor blip", 4, 3), past("Big one", 2, 3), past("Too old", 1, 120), past("Hidden", 1, 3)]
        + [past(f"Filler {n}", 3, 10) for n in range(12)]
    )
    Incident.objects.filter(title="Hidden").update(is_public=False)
    data = json.loads(client.get(reverse("status:summary")).content)
    assert len(data["history"]) == 90
    by_date = {day["date"]: day for day in data["history"]}
    three_days_ago = timezone.localdate(now - timedelta(days=3)).isoformat()
    assert by_date[three_days_ago] == {"date": three_days_ago, "incidents": 2, "worst_severity": "P2"}
    assert sum(day["incidents"] for day in data["history"]) == 14
    assert [row["title"] for row in data["recent"][:2]] == ["Big one", "Minor blip"]
    assert len(data["recent"]) == 10
    page = client.get(reverse("status:page")).content.decode()
    assert f"{three_days_ago}: 2 incidents, worst P2" in page
    assert "Too old" not in page and "Hidden" not in page


def test_portal_banner_only_for_affected_organizations(client, people):
    declare(people, title="Acme only trouble")
    client.force_login(people["alice"])
    assert "Acme only trouble" in client.get(reverse("portal:ticket-list")).content.decode()
    client.force_login(people["bob"])
    assert "Acme only trouble" not in client.get(reverse("portal:ticket-list")).content.decode()


def test_setup_schedules_registers_the_cadence_sweep_once(db):
    from django.core.management import call_command
    from django_q.models import Schedule

    call_command("setup_schedules", stdout=io.StringIO())
    call_command("setup_schedules", stdout=io.StringIO())
    assert Schedule.objects.filter(name="incidents.sweep_cadence", func="incidents.tasks.sweep_cadence").count() == 1


def test_closed_incidents_carry_a_closed_badge_on_the_list_and_their_page(
    client, people, django_assert_max_num_queries
):
    closed = declare(people, title="Search was slow", severity=3)
    services.resolve_incident(people["manager"], closed, body="Index rebuilt.")
    services.close_incident(people["manager"], closed)
    resolved = declare(people, title="Login was slow", severity=3)
    services.resolve_incident(people["manager"], resolved, body="Cache warmed.")
    for n in range(20):
        declare(people, title=f"Open incident {n}", severity=4)
    badge = '<span class="badge status-closed">Closed</span>'
    client.force_login(people["manager"])

    with django_assert_max_num_queries(12):
        listing = client.get(reverse("incidents:incident-list")).content.decode()
    rows = {row.split("</a>")[0].rsplit("</span> ", 1)[-1]: row for row in listing.split("<tr>")[2:]}
    assert badge in rows["Search was slow"]
    assert badge not in rows["Login was slow"] and badge not in rows["Open incident 0"]
    assert badge in client.get(closed.get_absolute_url()).content.decode()
    assert badge not in client.get(resolved.get_absolute_url()).content.decode()
