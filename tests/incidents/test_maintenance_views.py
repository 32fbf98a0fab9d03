"""The maintenance pages of the agent workspace, and changing an incident's severity after declaring it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from comms.models import OutboundMessage
from incidents import maintenance, services
from incidents.models import CadenceDeadline, DeadlineKind, EventKind, MaintenanceStatus, MaintenanceWindow

pytestmark = pytest.mark.django_db


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_manager_schedules_a_window_from_the_form(client, people, api):
    client.force_login(people["manager"])
    assert client.get(reverse("incidents:maintenance-create")).status_code == 200
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = client.post(
        reverse("incidents:maintenance-create"),
        {
            "title": "Database upgrade",
            "starts_at": local(start),
            "ends_at": local(start + timedelta(hours=2)),
            "components": [api.pk],
            "expected_impact": "Reports paused",
            "all_organizations": "on",
        },
    )
    window = MaintenanceWindow.objects.get()
    assert response.status_code == 302 and response["Location"] == window.get_absolute_url()
    assert window.starts_at == start and list(window.components.all()) == [api]
    assert window.created_by == people["manager"]


def test_bad_windows_are_refused_with_a_message_and_nothing_stored(client, people, api):
    client.force_login(people["agent"])
    start = timezone.now() + timedelta(days=1)
    response = client.post(
        reverse("incidents:maintenance-create"),
        {"title": "x", "starts_at": local(start), "ends_at": local(start - timedelta(hours=1)), "components": [api.pk]},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "The window must end after it starts." in html
    assert "Choose the organizations to notify" in html
    assert not MaintenanceWindow.objects.exists()


def test_customers_cannot_reach_the_maintenance_pages(client, people):
    client.force_login(people["alice"])
    assert client.get(reverse("incidents:maintenance-list")).status_code == 404


def window_for(people, api, days=3):
    start = timezone.now() + timedelta(days=days)
    return maintenance.schedule_maintenance(
        people["manager"], title="Upgrade", starts_at=start, ends_at=start + timedelta(hours=1), components=[api]
    )


def test_reschedule_with_htmx_answers_with_the_fragment_and_cancel_without_htmx_redirects(client, people, api):
    window = window_for(people, api)
    maintenance.sweep_maintenance()  # three days ahead: the week reminder goes now
    client.force_login(people["agent"])
    url = reverse("incidents:maintenance-action", args=[window.pk])
    later = window.starts_at + timedelta(days=7)
    fragment = client.post(
        url,
        {"reschedule": "1", "starts_at": local(later), "ends_at": local(later + timedelta(hours=1))},
        HTTP_HX_REQUEST="true",
    )
    html = fragment.content.decode()
    assert 'id="maintenance-body"' in html and "<html" not in html and "revision 2" in html
    assert "maintenanceChanged" in fragment.headers["HX-Trigger"]
    assert OutboundMessage.objects.filter(idempotency_key__contains=":r2:rescheduled:").exists()
    plain = client.post(url, {"cancel": "1"})
    assert plain.status_code == 302
    window.refresh_from_db()
    assert window.status == MaintenanceStatus.CANCELLED
    again = client.post(url, {"cancel": "1"}, follow=True)
    assert "Only a window that has not started can be cancelled." in again.content.decode()


def test_the_maintenance_list_and_page_keep_their_query_counts(client, people, api, django_assert_max_num_queries):
    for n in range(30):
        window_for(people, api, days=n + 1)
    client.force_login(people["agent"])
    with django_assert_max_num_queries(8):
        page = client.get(reverse("incidents:maintenance-list"))
    assert page.content.decode().count("Upgrade") == 30
    window = MaintenanceWindow.objects.first()
    with django_assert_max_num_queries(10):
        assert client.get(window.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(10):
        fragment = client.get(window.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()


def test_raising_severity_moves_the_open_deadlines_to_the_new_cadence(client, people):
    now = timezone.now()
    incident = services.declare_incident(
        people["manager"],
        title="Slow exports",
        severity=3,
        commander=people["manager"],
        communications_lead=people["agent"],
        organizations=[people["acme"]],
        now=now,
    )
    first = CadenceDeadline.objects.get(incident=incident, kind=DeadlineKind.FIRST_NOTICE)
    assert first.due_at == now + timedelta(hours=1)
    client.force_login(people["manager"])
    response = client.post(
        reverse("incidents:incident-severity", args=[incident.ref]),
        {"severity": "1", "crisis_level": "3"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "incidentChanged" in response.headers["HX-Trigger"]
    incident.refresh_from_db()
    first.refresh_from_db()
    # P1 first notice 5 min, halved by crisis level 3 (50 %): 3 min from declaration.
    assert incident.severity == 1 and incident.crisis_level == 3 and incident.terms["first_notice"] == 3
    assert first.due_at == now + timedelta(minutes=3) and first.warned_at is None
    resolution = CadenceDeadline.objects.get(incident=incident, kind=DeadlineKind.RESOLUTION)
    assert resolution.due_at == now + timedelta(hours=24)
    assert incident.next_update_due == first.due_at
    assert incident.events.filter(kind=EventKind.SEVERITY_CHANGED).count() == 1
