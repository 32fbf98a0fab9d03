"""Organization admins: a customer who follows every ticket of their own organization on the portal."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from helpdesk import services
from helpdesk.models import Role, Status, Ticket, User

from .factories import CustomerFactory, MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db
PORTAL = reverse("portal:ticket-list")


@pytest.fixture
def carol(acme):
    return CustomerFactory(username="carol", first_name="Carol", organization=acme, is_org_admin=True)


@pytest.fixture
def carol_client(client, carol):
    client.force_login(carol)
    return client


def test_org_admin_lists_every_ticket_of_the_organization_with_its_requester(carol_client, carol, alice, bob):
    own = TicketFactory(requester=carol, subject="Carol's own")
    colleagues = TicketFactory(requester=alice, subject="Alice's printer")
    TicketFactory(requester=bob, subject="Globex secret")
    html = carol_client.get(PORTAL).content.decode()
    assert own.ref in html and colleagues.ref in html
    assert "Globex secret" not in html
    assert "Opened by" in html and alice.display_name in html
    assert f"Tickets of {carol.organization.name}" in html


def test_org_admin_narrows_the_list_to_their_own_tickets(carol_client, carol, alice):
    own = TicketFactory(requester=carol)
    colleagues = TicketFactory(requester=alice)
    html = carol_client.get(PORTAL, {"scope": "mine"}).content.decode()
    assert own.ref in html and colleagues.ref not in html
    assert '<option value="mine" selected>' in html
    # Anything else is the whole organization, never an error.
    html = carol_client.get(PORTAL, {"scope": "everyone-everywhere"}).content.decode()
    assert own.ref in html and colleagues.ref in html


def test_plain_customer_cannot_widen_the_list_with_the_scope_parameter(client, alice, carol):
    theirs = TicketFactory(requester=carol)
    client.force_login(alice)
    assert theirs.ref not in client.get(PORTAL, {"scope": "organization"}).content.decode()


def test_org_admin_replies_closes_and_reopens_a_colleagues_ticket(
    carol_client, carol, alice, agent, mailoutbox, run_on_commit
):
    ticket = TicketFactory(requester=alice, assignee=agent)
    with run_on_commit():
        carol_client.post(reverse("portal:ticket-reply", args=[ticket.ref]), {"body": "Alice is out; any news?"})
    assert ticket.messages.get().author == carol
    # The agent and the colleague who opened it both hear of it.
    assert sorted(m.to[0] for m in mailoutbox) == sorted([agent.email, alice.email])

    carol_client.post(reverse("portal:ticket-close", args=[ticket.ref]))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    carol_client.post(reverse("portal:ticket-reopen", args=[ticket.ref]))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_visible_to_follows_the_role(carol, alice, bob, agent):
    acme_ticket = TicketFactory(requester=alice)
    carols = TicketFactory(requester=carol)
    globex_ticket = TicketFactory(requester=bob)
    assert set(Ticket.objects.visible_to(carol)) == {acme_ticket, carols}
    assert set(Ticket.objects.visible_to(alice)) == {acme_ticket}
    assert set(Ticket.objects.visible_to(agent)) == {acme_ticket, carols, globex_ticket}
    assert acme_ticket.is_visible_to_customer(carol) and not carols.is_visible_to_customer(alice)
    assert not globex_ticket.is_visible_to_customer(carol)


def test_org_admin_portal_query_count_does_not_grow(carol_client, carol, alice, django_assert_max_num_queries):
    TicketFactory.create_batch(3, requester=carol)
    TicketFactory.create_batch(2, requester=alice)
    with django_assert_max_num_queries(8) as small:
        carol_client.get(PORTAL)
    for _ in range(5):
        TicketFactory.create_batch(4, requester=CustomerFactory(organization=carol.organization))
    with django_assert_max_num_queries(8) as large:
        response = carol_client.get(PORTAL)
    assert len(small.captured_queries) == len(large.captured_queries)
    assert response.content.decode().count('class="subject-link"') == 25

    ticket = TicketFactory(requester=alice)
    MessageFactory.create_batch(3, ticket=ticket, author=alice)
    with django_assert_max_num_queries(8) as small:
        carol_client.get(reverse("portal:ticket-detail", args=[ticket.ref]))
    MessageFactory.create_batch(10, ticket=ticket, author=carol)
    with django_assert_max_num_queries(8) as large:
        carol_client.get(reverse("portal:ticket-detail", args=[ticket.ref]))
    assert len(small.captured_queries) == len(large.captured_queries)


def test_only_customers_can_be_organization_admins(agent):
    agent.is_org_admin = True
    with pytest.raises(ValidationError) as refused:
        agent.full_clean()
    assert "is_org_admin" in refused.value.message_dict
    with pytest.raises(IntegrityError):
        agent.save(update_fields=["is_org_admin"])


def test_a_new_staff_role_clears_the_org_admin_flag(carol):
    services.set_user_role(None, carol, role=Role.AGENT)
    carol.refresh_from_db()
    assert carol.role == Role.AGENT and carol.is_org_admin is False


def test_admin_makes_a_customer_an_organization_admin(client, alice, agent):
    root = User.objects.create_superuser("root", "root@example.com", "pw", role="admin")
    client.force_login(root)
    url = reverse("admin:helpdesk_user_change", args=[alice.pk])
    form = client.get(url).content.decode()
    assert 'name="is_org_admin"' in form and 'name="pending_activation"' in form
    data = {
        "username": alice.username,
        "email": alice.email,
        "first_name": alice.first_name,
        "last_name": alice.last_name,
        "role": "customer",
        "organization": alice.organization_id,
        "is_org_admin": "on",
        "is_active": "on",
        "language": "en",
        "time_zone": "UTC",
        "languages": "[]",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    alice.refresh_from_db()
    assert alice.is_org_admin

    agent_url = reverse("admin:helpdesk_user_change", args=[agent.pk])
    refused = client.post(agent_url, {**data, "username": agent.username, "role": "agent"})
    assert "Only customers can be organization admins." in refused.content.decode()
    agent.refresh_from_db()
    assert not agent.is_org_admin
