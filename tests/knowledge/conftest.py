from io import StringIO

import pytest
from django.core.management import call_command

from helpdesk.models import Role
from helpdesk.services import set_user_role
from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory

from .factories import ArticleFactory, CategoryFactory


@pytest.fixture
def roles(db):
    call_command("setup_roles", stdout=StringIO())


@pytest.fixture
def customer(roles):
    user = CustomerFactory(username="carmen", organization=OrganizationFactory(name="Acme"), language="en")
    set_user_role(None, user, role=Role.CUSTOMER)
    return user


@pytest.fixture
def agent(roles):
    user = AgentFactory(username="agent1")
    set_user_role(None, user, role=Role.AGENT)
    return user


@pytest.fixture
def other_agent(roles):
    user = AgentFactory(username="agent2")
    set_user_role(None, user, role=Role.AGENT)
    return user


@pytest.fixture
def manager(roles):
    user = AgentFactory(username="manager", manager=True)
    set_user_role(None, user, role=Role.MANAGER)
    return user


@pytest.fixture
def public_category(db):
    return CategoryFactory(slug="account", name_en="Account")


@pytest.fixture
def agent_category(db):
    return CategoryFactory(slug="playbooks", name_en="Playbooks", agents=True)


@pytest.fixture
def developer_category(db):
    return CategoryFactory(slug="api", name_en="API", developers=True)


@pytest.fixture
def public_article(public_category):
    return ArticleFactory(category=public_category, slug="reset-password", title_en="Reset your password")


@pytest.fixture
def internal_article(agent_category):
    return ArticleFactory(category=agent_category, slug="refund-rules", title_en="Refund rules for passwords")
