"""axe-core over the pages people work in all day: no serious or critical violation."""

from pathlib import Path

import pytest

from helpdesk import services
from helpdesk.sla_defaults import install_defaults
from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture
def world(transactional_db):
    install_defaults()
    acme = OrganizationFactory(name="Acme")
    alice = CustomerFactory(username="alice", organization=acme)
    AgentFactory(username="agent1")
    AgentFactory(username="manager", manager=True)
    ticket = services.create_ticket(alice, requester=alice, subject="Exports hang", description="It *spins*.")
    return {"ticket": ticket}


def violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("agent1", "/agent/"),
        ("agent1", "/agent/?view=breaching"),
        ("agent1", "/agent/tickets/{ref}/"),
        ("agent1", "/agent/reminders/"),
        ("manager", "/manager/"),
        ("alice", "/portal/"),
        ("alice", "/portal/tickets/{ref}/"),
        ("alice", "/portal/tickets/new/"),
        ("alice", "/portal/preferences/"),
    ],
)
def test_page_has_no_serious_accessibility_violation(live_server, page, login, world, user, path):
    login(user)
    page.goto(live_server.url + path.format(ref=world["ticket"].ref))
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
