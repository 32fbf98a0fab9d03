"""A visitor signs up, confirms the address from the email, signs in and opens a ticket."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from comms.models import OutboundMessage
from helpdesk.models import SignupPolicy, User
from tests.helpdesk.factories import OrganizationFactory

from .test_accessibility import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "violet-harbour-42"  # noqa: S105 - a test password


@pytest.fixture
def acme(transactional_db, live_server, settings):
    # Links in emails point at the site address; here, the test server.
    settings.FIRSTLINE_SITE_URL = live_server.url
    OrganizationFactory(name="Globex")  # closed: never offered, never named
    return OrganizationFactory(name="Acme", signup_policy=SignupPolicy.DOMAIN, email_domains=["acme.example"])


def test_visitor_signs_up_confirms_signs_in_and_opens_a_ticket(live_server, page, login, acme):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    expect(page.get_by_text("Globex")).to_have_count(0)

    page.get_by_label("Your name").fill("Nora Newman")
    page.get_by_label("Email address").fill("nora@acme.example")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    # A weak password keeps the form, with the error tied to the field.
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email address")).to_have_value("nora@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    user = User.objects.get(email="nora@acme.example")
    assert not user.is_active and user.organization == acme
    row = OutboundMessage.objects.get(recipient="nora@acme.example")
    link = re.search(r"https?://\S+/accounts/activate/\S+/", row.body).group(0)
    assert urlsplit(link).netloc == urlsplit(live_server.url).netloc

    page.goto(link)
    page.get_by_role("button", name="Confirm and activate my account").click()
    expect(page.locator("#messages")).to_contain_text("Your email address is confirmed.")

    login("nora@acme.example", PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.get_by_role("link", name="Open a ticket").first.click()
    page.get_by_label("Subject").fill("Cannot find the export button")
    page.get_by_label("Describe the problem").fill("It was under Reports last week.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_role("heading", name=re.compile("Cannot find the export button"))).to_be_visible()


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"])
def test_account_pages_have_no_serious_accessibility_violation(live_server, page, acme, path):
    page.goto(live_server.url + path)
    if path == "/accounts/signup/":
        page.get_by_role("button", name="Create account").click()  # and with every error showing
        page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_keyboard_alone_reaches_the_password_reset(live_server, page, acme):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgotten your password?").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Email").focus()
    page.keyboard.type("nobody@acme.example")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
