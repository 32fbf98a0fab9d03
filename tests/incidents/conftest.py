import pytest

from comms.defaults import install_default_channel_rules, install_default_templates
from incidents.models import Component, ComponentGroup
from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory, ServiceTierFactory


@pytest.fixture
def comms_defaults(db):
    install_default_templates()
    install_default_channel_rules()


@pytest.fixture
def people(db, comms_defaults):
    enterprise = ServiceTierFactory(name="Enterprise", allowed_channels=["email", "portal", "sms", "phone"])
    acme = OrganizationFactory(name="Acme", tier=enterprise)
    globex = OrganizationFactory(name="Globex")
    return {
        "acme": acme,
        "globex": globex,
        "manager": AgentFactory(username="manager", manager=True),
        "agent": AgentFactory(username="agent1"),
        "alice": CustomerFactory(username="alice", organization=acme, phone="+34600123456"),
        "carmen": CustomerFactory(username="carmen", organization=acme, language="es"),
        "bob": CustomerFactory(username="bob", organization=globex),
    }


@pytest.fixture
def api(db):
    group = ComponentGroup.objects.create(name="Platform")
    return Component.objects.create(name="API", group=group)
