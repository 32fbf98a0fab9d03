"""An incident from declaration to resolution, in Debian's Chromium: manager, status page, customer portal."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comms.defaults import install_default_channel_rules, install_default_templates
from helpdesk import services as ticket_services
from incidents.models import Component, ComponentGroup, Incident, MaintenanceWindow
from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory, ServiceTierFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db):
    install_default_templates()
    install_default_channel_rules()
    enterprise = ServiceTierFactory(name="Enterprise", allowed_channels=["email", "portal"])
    acme = OrganizationFactory(name="Acme", tier=enterprise)
    Component.objects.create(name="Checkout", group=ComponentGroup.objects.create(name="Platform"))
    return {
        "manager": AgentFactory(username="manager", manager=True, first_name="Maya"),
        "alice": CustomerFactory(username="alice", organization=acme, first_name="Alice"),
        "bob": CustomerFactory(username="bob", organization=OrganizationFactory(name="Globex")),
    }


def test_manager_declares_a_p1_customer_follows_it_and_the_linked_ticket_gets_the_resolution(
    live_server, page, login, people
):
    alice = people["alice"]
    ticket = ticket_services.create_ticket(
        alice, requester=alice, subject="Cannot pay invoices", description="Checkout returns an error."
    )

    # The manager declares a P1 from alice's ticket: the ticket is linked on the way.
    login("manager")
    page.goto(f"{live_server.url}/agent/incidents/new/?ticket={ticket.ref}")
    expect(page.get_by_text(f"Declared from {ticket.ref}")).to_be_visible()
    page.get_by_label("Title").fill("Checkout is down")
    page.get_by_label("Severity").select_option("1")
    page.get_by_label("Checkout").check()
    page.get_by_label("Set those components to").select_option("major_outage")
    expect(page.get_by_label("Acme")).to_be_checked()
    page.get_by_label("First customer notice").fill("Payments fail for everyone; we are on it.")
    page.get_by_role("button", name="Declare incident").click()
    incident = Incident.objects.get(title="Checkout is down")
    expect(page.locator("#messages")).to_contain_text(f"{incident.ref} declared.")
    expect(page.locator("#incident-body")).to_contain_text(ticket.ref)
    incident.refresh_from_db()
    next_update = incident.next_update_due.strftime("%H:%M")

    # Alice sees the banner on her portal, and the status page shows the incident with its next update.
    page.context.clear_cookies()
    login("alice")
    page.goto(f"{live_server.url}/portal/")
    banner = page.locator("aside.incident-banner")
    expect(banner).to_contain_text("P1 · Checkout is down")
    expect(banner).to_contain_text(f"next update by {next_update}")
    banner.get_by_role("link", name="Details on the status page").click()
    card = page.locator(f"article#{incident.ref}")
    expect(card).to_contain_text("Checkout is down")
    expect(card.locator(".next-update")).to_contain_text(f"Next update by {next_update}")
    expect(card).to_contain_text("Payments fail for everyone; we are on it.")
    expect(page.locator("#components-heading + details")).to_contain_text("Major outage")

    # The manager resolves it with a public update.
    page.context.clear_cookies()
    login("manager")
    page.goto(f"{live_server.url}/agent/incidents/{incident.ref}/")
    form = page.locator("#incident-body form").filter(has=page.get_by_role("button", name="Post update"))
    form.get_by_label("Status", exact=True).select_option("resolved")
    form.get_by_label("Update", exact=True).fill("A faulty deploy was rolled back; payments work again.")
    form.get_by_role("button", name="Post update").click()
    expect(page.locator("#incident-body header")).to_contain_text("Resolved")

    # Alice's linked ticket carries the resolution as a reply and is resolved; the banner is gone.
    page.context.clear_cookies()
    login("alice")
    page.goto(f"{live_server.url}/portal/")
    expect(page.locator("aside.incident-banner")).to_have_count(0)
    page.goto(f"{live_server.url}/portal/tickets/{ticket.ref}/")
    conversation = page.locator("#portal-conversation")
    expect(conversation).to_contain_text(f"Update on {incident.ref} · Checkout is down")
    expect(conversation).to_contain_text("A faulty deploy was rolled back; payments work again.")
    expect(page.locator("main .badge").first).to_have_text(re.compile("Resolved"))
    page.goto(f"{live_server.url}/status/")
    expect(page.locator(f"article#{incident.ref}")).to_have_count(0)
    expect(page.locator(".recent-incidents")).to_contain_text("Checkout is down")


def test_visitor_subscribes_to_chosen_components_and_confirms_by_link(live_server, page, people):
    from comms.models import OutboundMessage
    from incidents.models import StatusSubscription

    page.goto(f"{live_server.url}/status/")
    form = page.locator("#status-subscribe form")
    email = form.get_by_role("textbox", name="Email")
    assert email.evaluate("input => input.validity.valueMissing")  # the browser asks for it first
    email.fill("visitor@example.com")
    form.get_by_label("Only the components I choose").check()
    form.get_by_role("button", name="Subscribe").click()
    expect(page.locator("#status-subscribe")).to_contain_text("Choose at least one component.")
    page.locator("#status-subscribe").get_by_label("Checkout").check()
    page.locator("#status-subscribe").get_by_role("button", name="Subscribe").click()
    expect(page.locator("#status-subscribe [role=status]")).to_contain_text(
        "we emailed a confirmation link to visitor@example.com"
    )

    body = OutboundMessage.objects.get(template_slug="status-subscription-confirm").body
    link = re.search(r"https?://\S+/status/subscriptions/confirm/\S+/", body).group(0)
    page.goto(live_server.url + link[link.index("/status/") :])
    page.get_by_role("button", name="Confirm subscription").click()
    expect(page.locator("#subscription [role=status]")).to_contain_text("Subscribed: visitor@example.com")
    subscription = StatusSubscription.objects.active().get()
    assert [c.name for c in subscription.components.all()] == ["Checkout"]


def test_manager_schedules_maintenance_and_the_status_page_shows_it_as_upcoming(live_server, page, login, people):
    login("manager")
    page.goto(f"{live_server.url}/agent/incidents/maintenance/new/")
    page.get_by_label("Title").fill("Payment provider upgrade")
    page.get_by_label("Starts").fill("2031-05-10T02:00")
    page.get_by_label("Ends").fill("2031-05-10T03:30")
    page.get_by_label("Checkout").check()
    page.get_by_label("Expected impact").fill("Card payments pause for a few minutes")
    page.get_by_role("button", name="Schedule maintenance").click()
    expect(page.locator("#messages")).to_contain_text("Payment provider upgrade")
    expect(page.locator("#maintenance-body")).to_contain_text("Scheduled")

    # The window is far ahead: scheduled, but not yet on the status page's 30-day horizon.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/status/")
    expect(page.get_by_text("Payment provider upgrade")).to_have_count(0)

    # Moved to the coming days, it shows as upcoming with its components and impact.
    page.context.clear_cookies()
    login("manager")
    window = MaintenanceWindow.objects.get()
    page.goto(f"{live_server.url}/agent/incidents/maintenance/{window.pk}/")
    soon = timezone.localtime(timezone.now() + timedelta(days=2)).replace(minute=0)
    page.get_by_label("Starts").fill(soon.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends").fill((soon + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Reschedule").click()
    expect(page.locator("#maintenance-body")).to_contain_text("revision 2")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/status/")
    card = page.locator(f"#maintenance-{window.pk}")
    expect(card).to_contain_text("Payment provider upgrade")
    expect(card).to_contain_text("Upcoming")
    expect(card).to_contain_text("Checkout")
    expect(card).to_contain_text("Card payments pause for a few minutes")


def test_the_incident_page_countdown_ticks_every_second(live_server, page, login, people):
    from incidents import services

    incident = services.declare_incident(
        people["manager"],
        title="Exports are slow",
        severity=2,
        commander=people["manager"],
        communications_lead=people["manager"],
        all_organizations=True,
    )
    login("manager")
    page.goto(f"{live_server.url}/agent/incidents/{incident.ref}/")
    timer = page.locator("#incident-timer time")
    expect(timer).to_contain_text(re.compile(r"next update due in \d+ min \d\d s"))
    first = timer.inner_text()
    expect(timer).not_to_have_text(first, timeout=3000)
