import json

import pytest
import time_machine

from comms.defaults import install_default_channel_rules, install_default_templates
from comms.models import OutboundMessage
from incidents.journey.models import Detection, SignalSeverity, SignalType
from incidents.journey.services import create_integration
from incidents.models import Component, ComponentGroup, ComponentStatus
from incidents.services import declare_incident
from tests.helpdesk.factories import (
    AgentFactory,
    CustomerFactory,
    OrganizationFactory,
    QueueFactory,
    ServiceTierFactory,
)

TOKEN = "fls_test-token-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def comms_defaults(db):
    install_default_templates()
    install_default_channel_rules()


@pytest.fixture
def tier(db):
    return ServiceTierFactory(name="Premium", allowed_channels=["email", "portal", "sms", "push"])


@pytest.fixture
def acme(tier):
    return OrganizationFactory(name="Acme", tier=tier)


@pytest.fixture
def alice(acme):
    return CustomerFactory(username="alice", organization=acme, phone="+34600123456")


@pytest.fixture
def bob(acme):
    return CustomerFactory(username="bob", organization=acme, phone="+34600654321")


@pytest.fixture
def manager(db):
    return AgentFactory(username="manager", manager=True)


@pytest.fixture
def agent(db):
    return AgentFactory(username="agent1")


@pytest.fixture
def types(db, comms_defaults):
    queue = QueueFactory(name="eSIM specialists")

    def make(code, severity, detection=Detection.API, **extra):
        return SignalType.objects.create(
            code=code, name=f"Signal {code}", severity=severity, detection=detection, queue=queue, **extra
        )

    return {
        "critical": make("SIG-002", SignalSeverity.CRITICAL),
        "high": make("SIG-001", SignalSeverity.HIGH),
        "medium": make("SIG-003", SignalSeverity.MEDIUM),
        "low": make("SIG-011", SignalSeverity.LOW),
        "other": make("SIG-004", SignalSeverity.HIGH),
    }


@pytest.fixture
def integration(types):
    integration, _token = create_integration(
        None, name="Journey platform", signal_codes=["SIG-002", "SIG-001", "SIG-003", "SIG-011"], token=TOKEN
    )
    return integration


@pytest.fixture
def post(client, integration):
    def send(document, *, token=TOKEN, raw=None, content_type="application/json"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = raw if raw is not None else json.dumps(document)
        return client.post("/api/signals/", data=body, content_type=content_type, headers=headers)

    return send


def event(**fields):
    base = {"signal": "SIG-001", "idempotency_key": "k-1", "customer_email": "alice@example.com"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def admin_client(client):
    client.force_login(AgentFactory(username="admin", role="admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def checkout(db):
    return Component.objects.create(name="Checkout", group=ComponentGroup.objects.create(name="Payments"))


@pytest.fixture
def incident_notice(manager, run_on_commit):
    """Send a real incident notice: an incident affecting `components`, declared for the customer's organization."""

    def declare(customer, at, *, components=()):
        with time_machine.travel(at, tick=False), run_on_commit():
            incident = declare_incident(
                manager,
                title="Checkout is failing",
                severity=2,
                commander=manager,
                communications_lead=manager,
                organizations=[customer.organization],
                components=dict.fromkeys(components, ComponentStatus.PARTIAL_OUTAGE),
                message="We are on it.",
            )
        assert OutboundMessage.objects.filter(recipient_user_id=customer.pk, reference=incident.ref).exists()
        return incident

    return declare
