"""Self-service in the browser: an article answers the ticket a customer was writing, an agent links
an article in a reply, and the portal and knowledge base fit a phone."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from helpdesk import services
from helpdesk.models import Role, Ticket
from helpdesk.services import set_user_role
from knowledge.models import Deflection
from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory
from tests.knowledge.factories import ArticleFactory, CategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def people(transactional_db):
    call_command("setup_roles", stdout=StringIO())
    agent = AgentFactory(username="agent1")
    alice = CustomerFactory(username="alice", organization=OrganizationFactory(name="Acme"), first_name="Alice")
    set_user_role(None, agent, role=Role.AGENT)
    set_user_role(None, alice, role=Role.CUSTOMER)
    printing = CategoryFactory(slug="printing", name_en="Printing")
    runbooks = CategoryFactory(slug="runbooks", name_en="Runbooks", agents=True)
    ArticleFactory(
        category=printing,
        slug="printer-offline",
        title_en="Printer shows offline",
        summary_en="Restart the print spooler, then print a test page.",
    )
    ArticleFactory(category=runbooks, slug="printer-override", title_en="Printer offline override for agents")
    return {"agent": agent, "alice": alice}


def test_customer_finds_the_answer_while_typing_and_opens_no_ticket(live_server, page, login, people):
    tickets_before = Ticket.objects.count()
    login("alice")
    page.goto(f"{live_server.url}/portal/tickets/new/")
    page.get_by_label("Subject").press_sequentially("printer offline", delay=30)

    suggestions = page.locator("#ticket-suggestions")
    expect(suggestions).to_contain_text("Printer shows offline")
    expect(suggestions).not_to_contain_text("override")  # agents' articles never reach customers
    expect(suggestions.get_by_role("link", name=re.compile("Printer shows offline"))).to_have_attribute(
        "href", "/kb/articles/printer-offline/"
    )
    suggestions.get_by_role("button", name="This answered my question").first.click()

    expect(page.get_by_role("heading", name="Glad you found your answer")).to_be_visible()
    expect(page.get_by_text("no ticket was opened")).to_be_visible()
    expect(page.get_by_role("link", name="Back to your tickets")).to_be_visible()
    assert Ticket.objects.count() == tickets_before
    deflection = Deflection.objects.get()
    assert (deflection.article.slug, deflection.user_id, deflection.query) == (
        "printer-offline",
        people["alice"].pk,
        "printer offline",
    )


def test_customer_without_a_match_still_opens_the_ticket(live_server, page, login, people):
    login("alice")
    page.goto(f"{live_server.url}/portal/tickets/new/")
    page.get_by_label("Subject").press_sequentially("teleporter jammed", delay=20)
    expect(page.locator("#ticket-suggestions")).to_contain_text("No article matches yet")
    page.get_by_label("Describe the problem").fill("It beams people halfway.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator("#messages")).to_contain_text("opened")
    assert Ticket.objects.filter(subject="teleporter jammed").exists()
    assert Deflection.objects.count() == 0


def test_agent_inserts_an_article_link_into_the_reply(live_server, page, login, people):
    ticket = services.create_ticket(
        people["alice"], requester=people["alice"], subject="Printer offline", description="Help."
    )
    login("agent1")
    page.goto(f"{live_server.url}/agent/tickets/{ticket.ref}/")
    page.get_by_text("Link a knowledge base article").click()
    page.get_by_placeholder("Search the knowledge base").fill("printer offline")
    results = page.locator("#article-results")
    expect(results).to_contain_text("Printer shows offline")
    expect(results).to_contain_text("Internal — do not send")
    expect(results.get_by_role("button", name="Insert link")).to_have_count(1)  # the public article only

    page.get_by_label("Message").fill("Please try this:")
    results.get_by_role("button", name="Insert link").focus()
    page.keyboard.press("Enter")
    body = page.get_by_label("Message")
    expect(body).to_have_value(
        re.compile(r"^Please try this: \[Printer shows offline\]\(http.*/kb/articles/printer-offline/\)$")
    )
    expect(body).to_be_focused()


@pytest.mark.parametrize("path", ["/portal/", "/portal/tickets/new/", "/kb/"])
def test_portal_and_knowledge_base_fit_a_phone(live_server, browser, people, path):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways on a phone: {widths}"
        # Every link of the main navigation is on screen and can be followed.
        nav_links = page.locator("header.site-header nav a")
        assert nav_links.count() >= 3
        for index in range(nav_links.count()):
            box = nav_links.nth(index).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
        page.locator("header.site-header").get_by_role("link", name="Knowledge base").click()
        expect(page).to_have_url(re.compile(r"/kb/$"))
    finally:
        context.close()


def test_suggestions_have_no_serious_accessibility_violation(live_server, page, login, people):
    from tests.browser.test_accessibility import violations

    login("alice")
    page.goto(f"{live_server.url}/portal/tickets/new/")
    page.get_by_label("Subject").press_sequentially("printer", delay=20)
    expect(page.locator("#ticket-suggestions")).to_contain_text("Printer shows offline")
    assert violations(page) == []


def test_suggestions_work_without_javascript(live_server, browser, people):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/portal/tickets/new/")
        page.get_by_label("Subject").fill("printer offline")
        page.get_by_role("button", name="Search the knowledge base").click()
        expect(page.get_by_label("Subject")).to_have_value("printer offline")
        assert "csrfmiddlewaretoken" not in page.url
        page.get_by_role("button", name="This answered my question").click()
        expect(page.get_by_role("heading", name="Glad you found your answer")).to_be_visible()
        assert Ticket.objects.count() == 0 and Deflection.objects.count() == 1
    finally:
        context.close()
