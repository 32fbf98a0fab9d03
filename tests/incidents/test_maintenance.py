"""Maintenance windows on a controlled clock: each notice once, components switched, incident notices held back."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from comms.models import OutboundMessage
from incidents import maintenance, reviews, services
from incidents.maintenance import sweep_maintenance
from incidents.models import (
    CadenceDeadline,
    Component,
    ComponentStatus,
    DeadlineKind,
    EventKind,
    IncidentEvent,
    MaintenanceStatus,
    StatusSubscription,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=10)
END = START + timedelta(hours=2)
KEY = re.compile(r"^maintenance:(\d+):r(\d+):(\w+):(user:\d+|subscription:\d+)")


@pytest.fixture
def follower(db, api):
    subscription = StatusSubscription.objects.create(
        email="follower@example.com",
        all_components=False,
        confirm_expires_at=NOW,
        confirmed_at=NOW,
        unsubscribe_token="unsubscribe-follower",
    )
    subscription.components.set([api])
    return subscription


def schedule(people, components, *, starts_at=START, ends_at=END, **kwargs):
    with time_machine.travel(NOW, tick=False):
        return maintenance.schedule_maintenance(
            people["manager"],
            title="Database upgrade",
            starts_at=starts_at,
            ends_at=ends_at,
            components=components,
            expected_impact="Reports may load slowly",
            **kwargs,
        )


def sweep_at(moment, times=2):
    with time_machine.travel(moment, tick=False):
        for _ in range(times):
            sweep_maintenance()


def notices():
    """(revision, stage, recipient) -> how many outbox rows (one per channel)."""
    counted = Counter()
    for key in OutboundMessage.objects.filter(idempotency_key__startswith="maintenance:").values_list(
        "idempotency_key", flat=True
    ):
        _pk, revision, stage, recipient = KEY.match(key).groups()
        counted[(int(revision), stage, recipient)] += 1
    return counted


def stages(counted):
    return Counter(stage for (_revision, stage, _recipient) in counted)


def test_each_stage_goes_once_to_every_contact_and_follower_with_the_sweep_run_twice(people, api, follower):
    window = schedule(people, [api])
    recipients = {f"user:{people[n].pk}" for n in ("alice", "carmen", "bob")} | {f"subscription:{follower.pk}"}
    moments = [
        NOW,  # ten days ahead: nothing yet
        START - timedelta(days=7),
        START - timedelta(days=7) + timedelta(minutes=1),
        START - timedelta(hours=3),
        START - timedelta(hours=2),
        START - timedelta(minutes=1),
        START,
        START + timedelta(minutes=30),
        END,
        END + timedelta(minutes=1),
        END + timedelta(days=1),
    ]
    seen = []
    for moment in moments:
        sweep_at(moment)
        seen.append(dict(stages(notices())))
    assert seen[0] == {}
    assert seen[1] == {"week": 4} == seen[3]
    assert seen[4] == {"week": 4, "soon": 4} == seen[5]
    assert seen[6]["started"] == 4 and seen[7] == seen[6]
    assert seen[8] == seen[-1] == {"week": 4, "soon": 4, "started": 4, "completed": 4}
    counted = notices()
    assert {recipient for (_r, _s, recipient) in counted} == recipients
    # Customers by email and portal inbox (the routine channel rule), the follower by email.
    assert counted[(1, "week", f"user:{people['alice'].pk}")] == 2
    assert counted[(1, "week", f"subscription:{follower.pk}")] == 1
    carmen = OutboundMessage.objects.get(idempotency_key=f"maintenance:{window.pk}:r1:soon:user:{people['carmen'].pk}")
    assert carmen.language == "es" and "Database upgrade" in carmen.subject
    followed = OutboundMessage.objects.get(idempotency_key__endswith=f"week:subscription:{follower.pk}")
    assert "unsubscribe-follower" in followed.body
    window.refresh_from_db()
    assert window.status == MaintenanceStatus.COMPLETED
    assert window.week_notice_at == START - timedelta(days=7)
    assert window.soon_notice_at == START - timedelta(hours=2)


def test_a_late_sweep_skips_the_reminders_that_no_longer_make_sense(people, api):
    schedule(people, [api])
    sweep_at(START + timedelta(minutes=30))
    assert stages(notices()) == {"started": 3}
    assert Component.objects.get(pk=api.pk).status == ComponentStatus.MAINTENANCE
    sweep_at(END + timedelta(hours=5))
    assert stages(notices()) == {"started": 3, "completed": 3}


def test_a_window_the_sweep_never_saw_running_only_reports_its_completion(people, api):
    window = schedule(people, [api])
    sweep_at(END + timedelta(minutes=3))
    assert stages(notices()) == {"completed": 3}
    window.refresh_from_db()
    assert window.status == MaintenanceStatus.COMPLETED and window.started_at is None
    assert Component.objects.get(pk=api.pk).status == ComponentStatus.OPERATIONAL


def test_rescheduling_after_a_reminder_announces_it_and_reminds_again_for_the_new_time(people, api, follower):
    window = schedule(people, [api])
    sweep_at(START - timedelta(days=7))
    later = START + timedelta(days=14)
    with time_machine.travel(START - timedelta(days=6), tick=False):
        maintenance.reschedule_maintenance(
            people["manager"], window, starts_at=later, ends_at=later + timedelta(hours=1)
        )
        # The same times again change nothing and announce nothing.
        maintenance.reschedule_maintenance(
            people["manager"], window, starts_at=later, ends_at=later + timedelta(hours=1)
        )
    window.refresh_from_db()
    assert window.revision == 2 and window.week_notice_at is None
    counted = notices()
    assert stages(counted) == {"week": 4, "rescheduled": 4}
    assert all(revision == 2 for (revision, stage, _r) in counted if stage == "rescheduled")
    moved = OutboundMessage.objects.get(
        idempotency_key=f"maintenance:{window.pk}:r2:rescheduled:user:{people['bob'].pk}"
    )
    assert "2026-03-12 09:00" in moved.body and "2026-03-26 09:00" in moved.body
    # The old time passes quietly; the new time gets its own reminders, once.
    for moment in (START - timedelta(hours=2), START, later - timedelta(days=7), later - timedelta(days=7)):
        sweep_at(moment)
    counted = notices()
    assert counted[(2, "week", f"user:{people['bob'].pk}")] == 2
    assert stages(counted) == {"week": 8, "rescheduled": 4}


def test_moving_a_window_close_in_counts_the_reminders_already_due_as_given(people, api):
    window = schedule(people, [api])
    sweep_at(START - timedelta(days=7))
    sooner = START - timedelta(days=5)
    with time_machine.travel(START - timedelta(days=6), tick=False):
        maintenance.reschedule_maintenance(
            people["manager"], window, starts_at=sooner, ends_at=sooner + timedelta(hours=1)
        )
    sweep_at(START - timedelta(days=6) + timedelta(minutes=1))
    assert stages(notices()) == {"week": 3, "rescheduled": 3}
    sweep_at(sooner - timedelta(hours=2))
    assert stages(notices()) == {"week": 3, "rescheduled": 3, "soon": 3}


def test_a_window_nobody_has_heard_of_is_moved_and_cancelled_silently(people, api):
    window = schedule(people, [api], starts_at=NOW + timedelta(days=30), ends_at=NOW + timedelta(days=30, hours=1))
    with time_machine.travel(NOW, tick=False):
        maintenance.reschedule_maintenance(
            people["manager"], window, starts_at=NOW + timedelta(days=40), ends_at=NOW + timedelta(days=40, hours=1)
        )
        maintenance.cancel_maintenance(people["manager"], window)
    assert not notices()
    window.refresh_from_db()
    assert window.status == MaintenanceStatus.CANCELLED and window.revision == 2


def test_cancelling_after_a_reminder_tells_everyone_once_and_nothing_follows(people, api, follower):
    window = schedule(people, [api])
    sweep_at(START - timedelta(days=7))
    with time_machine.travel(START - timedelta(days=3), tick=False):
        maintenance.cancel_maintenance(people["manager"], window)
        with pytest.raises(maintenance.MaintenanceError):
            maintenance.cancel_maintenance(people["manager"], window)
    for moment in (START - timedelta(hours=2), START, END):
        sweep_at(moment)
    assert stages(notices()) == {"week": 4, "cancelled": 4}
    assert Component.objects.get(pk=api.pk).status == ComponentStatus.OPERATIONAL


def test_only_the_chosen_organizations_are_told(people, api):
    schedule(people, [api], all_organizations=False, organizations=[people["globex"]])
    sweep_at(START - timedelta(days=7))
    assert {recipient for (_r, _s, recipient) in notices()} == {f"user:{people['bob'].pk}"}


def test_components_switch_at_start_and_back_at_end_unless_an_open_incident_holds_them(people, api):
    checkout = Component.objects.create(name="Checkout", group=api.group)
    schedule(people, [api, checkout])
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        services.declare_incident(
            people["manager"],
            title="Checkout fails",
            severity=2,
            commander=people["manager"],
            communications_lead=people["agent"],
            organizations=[people["acme"]],
            components={checkout: ComponentStatus.MAJOR_OUTAGE},
        )
    sweep_at(START)
    statuses = dict(Component.objects.values_list("name", "status"))
    assert statuses == {"API": ComponentStatus.MAINTENANCE, "Checkout": ComponentStatus.MAJOR_OUTAGE}
    sweep_at(END)
    statuses = dict(Component.objects.values_list("name", "status"))
    assert statuses == {"API": ComponentStatus.OPERATIONAL, "Checkout": ComponentStatus.MAJOR_OUTAGE}


def test_an_incident_inside_a_window_holds_customer_notices_until_the_window_ends(people, api, run_on_commit):
    window = schedule(people, [api])
    sweep_at(START)
    before = OutboundMessage.objects.count()
    with time_machine.travel(START + timedelta(minutes=10), tick=False), run_on_commit():
        incident = services.declare_incident(
            people["manager"],
            title="Reports time out",
            severity=2,
            commander=people["manager"],
            communications_lead=people["agent"],
            all_organizations=True,
            components={api: ComponentStatus.PARTIAL_OUTAGE},
            message="Reports time out during the upgrade.",
        )
    incident.refresh_from_db()
    assert incident.notices_held_by == window and incident.first_notice_at is None
    assert OutboundMessage.objects.filter(idempotency_key__startswith=f"incident:{incident.pk}:").count() == 0
    assert OutboundMessage.objects.count() == before
    assert IncidentEvent.objects.filter(incident=incident, kind=EventKind.NOTICES_HELD).exists()
    assert not CadenceDeadline.objects.pending().filter(incident=incident, kind=DeadlineKind.FIRST_NOTICE).exists()
    update = incident.updates.get()
    assert update.held_back and not update.is_first_notice
    # The window ends: the incident's notices resume, with the first notice owed from then on.
    sweep_at(END)
    incident.refresh_from_db()
    assert incident.notices_held_by is None
    first = CadenceDeadline.objects.pending().get(incident=incident, kind=DeadlineKind.FIRST_NOTICE)
    assert first.due_at == END + timedelta(minutes=incident.terms["first_notice"])
    with time_machine.travel(END + timedelta(minutes=2), tick=False), run_on_commit():
        services.post_update(people["manager"], incident, body="Still slow after the upgrade; we are on it.")
    assert OutboundMessage.objects.filter(idempotency_key__startswith=f"incident:{incident.pk}:update:").exists()


def test_an_incident_reaching_beyond_the_window_notifies_as_usual(people, api, run_on_commit):
    checkout = Component.objects.create(name="Checkout", group=api.group)
    schedule(people, [api])
    sweep_at(START)
    with time_machine.travel(START + timedelta(minutes=10), tick=False), run_on_commit():
        incident = services.declare_incident(
            people["manager"],
            title="Checkout and reports fail",
            severity=2,
            commander=people["manager"],
            communications_lead=people["agent"],
            all_organizations=True,
            components={api: ComponentStatus.PARTIAL_OUTAGE, checkout: ComponentStatus.MAJOR_OUTAGE},
            message="Both fail.",
        )
    assert incident.notices_held_by is None
    assert OutboundMessage.objects.filter(idempotency_key__startswith=f"incident:{incident.pk}:update:").exists()


def test_the_commander_sees_why_notices_are_held_and_can_notify_anyway(client, people, api, run_on_commit):
    window = schedule(people, [api])
    sweep_at(START)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        incident = services.declare_incident(
            people["manager"],
            title="Reports time out",
            severity=3,
            commander=people["manager"],
            communications_lead=people["agent"],
            all_organizations=True,
            components={api: ComponentStatus.DEGRADED},
        )
    client.force_login(people["manager"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Customer notices are held back" in page and window.title in page
    response = client.post(reverse("incidents:incident-release-notices", args=[incident.ref]), HTTP_HX_REQUEST="true")
    assert "Customer notices are held back" not in response.content.decode()
    assert "incidentChanged" in response.headers["HX-Trigger"]
    incident.refresh_from_db()
    assert incident.notices_held_by is None
    assert CadenceDeadline.objects.pending().filter(incident=incident, kind=DeadlineKind.FIRST_NOTICE).exists()


def test_resolving_an_incident_inside_a_window_puts_its_components_back_under_maintenance(people, api):
    schedule(people, [api])
    sweep_at(START)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        incident = services.declare_incident(
            people["manager"],
            title="Reports time out",
            severity=3,
            commander=people["manager"],
            communications_lead=people["agent"],
            all_organizations=True,
            components={api: ComponentStatus.DEGRADED},
        )
        services.resolve_incident(people["manager"], incident, body="Fixed.")
    assert Component.objects.get(pk=api.pk).status == ComponentStatus.MAINTENANCE


def test_status_page_json_feed_and_portal_show_upcoming_maintenance(client, people, api):
    with time_machine.travel(NOW, tick=False):
        window = maintenance.schedule_maintenance(
            people["manager"],
            title="Faster reports",
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=3, hours=1),
            components=[api],
            expected_impact="Reports <b>paused</b>",
            all_organizations=False,
            organizations=[people["acme"]],
        )
        page = client.get(reverse("status:page")).content.decode()
        assert f'id="maintenance-{window.pk}"' in page and "Faster reports" in page
        assert "Reports &lt;b&gt;paused&lt;/b&gt;" in page
        data = client.get(reverse("status:summary")).json()
        assert data["maintenance"][0]["title"] == "Faster reports"
        assert data["maintenance"][0]["components"] == ["API"] and data["maintenance"][0]["status"] == "scheduled"
        feed = client.get(reverse("status:feed")).content.decode()
        assert "Maintenance · Faster reports · Scheduled" in feed
        client.force_login(people["alice"])
        assert "Faster reports" in client.get(reverse("portal:ticket-list")).content.decode()
        client.force_login(people["bob"])
        assert "Faster reports" not in client.get(reverse("portal:ticket-list")).content.decode()


def test_status_page_keeps_its_query_count_with_many_windows(client, people, api, django_assert_max_num_queries):
    components = [Component.objects.create(name=f"C{n}", group=api.group) for n in range(5)]
    for n in range(20):
        schedule(
            people, components, starts_at=NOW + timedelta(days=1, hours=n), ends_at=NOW + timedelta(days=1, hours=n + 1)
        )
    with time_machine.travel(NOW, tick=False):
        with django_assert_max_num_queries(9):
            page = client.get(reverse("status:page"))
        assert page.content.decode().count('class="maintenance-window"') == 20
        with django_assert_max_num_queries(10):
            client.get(reverse("status:summary"))


def declare_inside_window(people, api, run_on_commit, *, message="Reports time out during the upgrade."):
    with time_machine.travel(START + timedelta(minutes=10), tick=False), run_on_commit():
        return services.declare_incident(
            people["manager"],
            title="Reports time out",
            severity=2,
            commander=people["manager"],
            communications_lead=people["agent"],
            all_organizations=True,
            components={api: ComponentStatus.PARTIAL_OUTAGE},
            message=message,
        )


def catch_up_rows(incident):
    return OutboundMessage.objects.filter(idempotency_key__startswith=f"incident:{incident.pk}:catch-up:")


def test_the_window_ending_sends_one_catch_up_with_the_latest_held_update_with_the_sweep_run_twice(
    people, api, follower, run_on_commit
):
    schedule(people, [api])
    sweep_at(START)
    incident = declare_inside_window(people, api, run_on_commit)
    with time_machine.travel(START + timedelta(minutes=40), tick=False), run_on_commit():
        services.post_update(people["manager"], incident, body="Queries are being rebuilt; reports return soon.")
    assert not catch_up_rows(incident).exists()

    with run_on_commit():
        sweep_at(END)  # twice
    rows = list(catch_up_rows(incident))
    recipients = {row.idempotency_key.split(":catch-up:")[1].rsplit(":", 1)[0] for row in rows}
    assert recipients >= {f"user:{people[name].pk}" for name in ("alice", "carmen", "bob")}
    assert f"subscription:{follower.pk}" in {key.split(":catch-up:")[1] for key in (r.idempotency_key for r in rows)}
    emails = [row for row in rows if row.channel == "email"]
    assert emails and all("Queries are being rebuilt" in row.body for row in emails)
    assert not any("during the upgrade" in row.body for row in rows)
    first = CadenceDeadline.objects.pending().get(incident=incident, kind=DeadlineKind.FIRST_NOTICE)
    assert first.due_at == END + timedelta(minutes=incident.terms["first_notice"])

    with run_on_commit():
        sweep_at(END + timedelta(minutes=1))
        with time_machine.travel(END + timedelta(minutes=2), tick=False):
            assert services.release_notices(people["manager"], incident) is False
    assert catch_up_rows(incident).count() == len(rows)
    assert IncidentEvent.objects.filter(incident=incident, kind=EventKind.NOTICES_RELEASED).count() == 1
    released = IncidentEvent.objects.get(incident=incident, kind=EventKind.NOTICES_RELEASED)
    assert released.data["catch_up_update"] == incident.updates.public().latest("created_at").pk
    assert reviews.communications_report(incident)["notices_total"] == len(rows)


def test_notify_customers_now_sends_the_catch_up_once(client, people, api, run_on_commit):
    schedule(people, [api])
    sweep_at(START)
    incident = declare_inside_window(people, api, run_on_commit)
    client.force_login(people["manager"])
    url = reverse("incidents:incident-release-notices", args=[incident.ref])
    with time_machine.travel(START + timedelta(minutes=20), tick=False), run_on_commit():
        client.post(url)
        client.post(url)
    sent = catch_up_rows(incident).count()
    emails = catch_up_rows(incident).filter(channel="email").values_list("body", flat=True)
    assert sent and emails and all("during the upgrade" in body for body in emails)
    sweep_at(END)
    assert catch_up_rows(incident).count() == sent
    assert CadenceDeadline.objects.pending().filter(incident=incident, kind=DeadlineKind.FIRST_NOTICE).count() == 1


def test_an_incident_resolved_inside_the_window_sends_no_catch_up(people, api, run_on_commit):
    schedule(people, [api])
    sweep_at(START)
    incident = declare_inside_window(people, api, run_on_commit)
    with time_machine.travel(START + timedelta(minutes=30), tick=False), run_on_commit():
        services.resolve_incident(people["manager"], incident, body="Fixed with the upgrade.")
    sweep_at(END)
    incident.refresh_from_db()
    assert incident.notices_held_by is None
    assert not catch_up_rows(incident).exists()


def test_an_incident_without_a_public_update_sends_no_catch_up(people, api, run_on_commit):
    schedule(people, [api])
    sweep_at(START)
    incident = declare_inside_window(people, api, run_on_commit, message="")
    sweep_at(END)
    assert not catch_up_rows(incident).exists()
    assert CadenceDeadline.objects.pending().filter(incident=incident, kind=DeadlineKind.FIRST_NOTICE).exists()
