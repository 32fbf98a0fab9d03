import pytest

from .factories import AgentFactory, CustomerFactory, OrganizationFactory, TicketFactory


@pytest.fixture
def agent(db):
    return AgentFactory(username="agent1")


@pytest.fixture
def other_agent(db):
    return AgentFactory(username="agent2", support_level=2)


@pytest.fixture
def acme(db):
    return OrganizationFactory(name="Acme")


@pytest.fixture
def globex(db):
    return OrganizationFactory(name="Globex")


@pytest.fixture
def alice(acme):
    return CustomerFactory(username="alice", organization=acme)


@pytest.fixture
def bob(globex):
    return CustomerFactory(username="bob", organization=globex)


@pytest.fixture
def ticket(alice):
    return TicketFactory(requester=alice)
