"""The knowledge base flow people click through: write, translate, publish, find, read."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from helpdesk.models import Role
from helpdesk.services import set_user_role
from knowledge.models import Article, Status
from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory
from tests.knowledge.factories import CategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db):
    call_command("setup_roles", stdout=StringIO())
    agent = AgentFactory(username="agent1")
    manager = AgentFactory(username="manager", manager=True)
    carmen = CustomerFactory(username="carmen", organization=OrganizationFactory(name="Acme"), language="es")
    for user, role in ((agent, Role.AGENT), (manager, Role.MANAGER), (carmen, Role.CUSTOMER)):
        set_user_role(None, user, role=role)
    CategoryFactory(slug="troubleshooting", name_en="Troubleshooting", name_es="Solución de problemas")
    return {"agent": agent, "manager": manager, "carmen": carmen}


def test_editor_writes_in_spanish_manager_publishes_customer_finds_it(live_server, page, login, people):
    login("agent1")
    page.goto(f"{live_server.url}/kb/manage/articles/new/")
    page.get_by_label("Category").select_option(label="Troubleshooting")
    page.get_by_label("Title (English)").fill("VPN disconnects every hour")
    page.get_by_label("Summary (English)").fill("Update the client and turn on keep-alive.")
    page.get_by_label("Body (English)").fill("1. Update the client.\n2. Turn on **keep-alive**.")
    page.locator("summary", has_text="Spanish").click()
    page.get_by_label("Title (Spanish)").fill("La VPN se desconecta cada hora")
    page.get_by_label("Summary (Spanish)").fill("Actualiza el cliente.")
    page.get_by_label("Body (Spanish)").fill("Activa **keep-alive** en los ajustes.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#messages")).to_contain_text("Draft saved.")

    # A second pass over the Spanish text, then off to review.
    page.locator("summary", has_text="Spanish").click()
    page.get_by_label("Body (Spanish)").fill("Activa **keep-alive** y reinicia el túnel.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#messages")).to_contain_text("Saved.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#messages")).to_contain_text("Submitted for review.")
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)

    page.context.clear_cookies()
    login("manager")
    page.goto(f"{live_server.url}/kb/manage/review/")
    page.get_by_role("link", name="VPN disconnects every hour").click()
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.locator("#messages")).to_contain_text("Approved and published.")
    assert Article.objects.get().status == Status.PUBLISHED

    page.context.clear_cookies()
    login("carmen")
    page.goto(f"{live_server.url}/kb/")
    with translation.override("es"):  # carmen reads the knowledge base in Spanish
        search_label, thanks = gettext("Search the knowledge base"), gettext("Thank you for your feedback.")
        unavailable = gettext("This article is not yet available in %(language)s.").split("%")[0]
    page.get_by_label(search_label).press_sequentially("desconecta", delay=40)
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name=re.compile("La VPN se desconecta"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/kb/$"))  # found as she typed, without leaving the page
    results.get_by_role("link", name=re.compile("La VPN se desconecta")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("La VPN se desconecta cada hora")
    expect(page.locator(".kb-body")).to_contain_text("reinicia el túnel")
    expect(page.get_by_text(unavailable)).to_have_count(0)

    # The page speaks Spanish where Django's own catalogue already has the word ("Sí").
    page.get_by_role("button", name=re.compile("^(Yes|Sí)$")).click()
    expect(page.locator("#article-feedback")).to_contain_text(thanks)


@pytest.mark.parametrize("path", ["/kb/", "/kb/articles/vpn/", "/kb/search/?q=vpn", "/kb/manage/articles/new/"])
def test_knowledge_pages_have_no_serious_accessibility_violations(live_server, page, login, people, path):
    from tests.browser.test_accessibility import violations
    from tests.knowledge.factories import ArticleFactory

    ArticleFactory(slug="vpn", title_en="VPN drops", category=CategoryFactory(slug="net", name_en="Network"))
    login("agent1")
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
