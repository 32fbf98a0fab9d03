"""POST /api/tickets/ and GET /api/tickets/<ref>/: tokens, scope, refusals, replays, triage, queries."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from comms.models import OutboundMessage
from helpdesk import tasks
from helpdesk.api_clients import create_api_client
from helpdesk.models import (
    ApiClient,
    ApiTicketRequest,
    Channel,
    EventKind,
    Priority,
    Queue,
    Tag,
    Ticket,
    TicketEvent,
    User,
    hash_token,
)
from helpdesk.sla_defaults import install_defaults
from helpdesk.triage.defaults import install_default_triage

from .factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    MessageFactory,
    QueueFactory,
    TeamFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

TOKEN = "flt_test-acme-0123456789abcdefghijklmnopqrstuvwxyz"
EVERYWHERE_TOKEN = "flt_test-everywhere-0123456789abcdefghijklmnopqrstu"


@pytest.fixture
def acme_client(acme):
    return create_api_client(None, name="Acme web shop", organizations=[acme], token=TOKEN)[0]


@pytest.fixture
def post(client, acme_client):
    def send(body, *, key="order-981", token=TOKEN, content_type="application/json", **headers):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, **headers}
        return client.post("/api/tickets/", data=data, content_type=content_type, headers=headers)

    return send


@pytest.fixture
def get(client, acme_client):
    def send(ref, token=TOKEN):
        return client.get(f"/api/tickets/{ref}/", headers={"Authorization": f"Bearer {token}"})

    return send


@pytest.fixture
def demo_rules(db):
    """The demo's triage rules and routes, as tests/helpdesk/test_triage.py sets them up."""
    install_defaults()
    for slug, name in [("billing", "Billing"), ("security", "Security"), ("connectivity", "Connectivity")]:
        CategoryFactory(slug=slug, name=name)
    CategoryFactory(slug="bug-report", name="Bug report")
    frontline = TeamFactory(name="Frontline")
    QueueFactory(name="General", team=frontline)
    QueueFactory(name="Billing", team=frontline)
    QueueFactory(name="Technical", team=TeamFactory(name="Technical"))
    install_default_triage()
    return Queue.objects.get(name="Billing")


def ticket_body(**changes):
    body = {
        "requester_email": "alice@example.com",
        "subject": "Where is the export button?",
        "description": "I cannot find how to export my invoices.",
    }
    return {**body, **changes}


def _site():
    return django_settings.FIRSTLINE_SITE_URL


def assert_nothing_stored():
    assert not Ticket.objects.exists()
    assert not ApiTicketRequest.objects.exists()
    assert not OutboundMessage.objects.exists()


# --- opening a ticket ---------------------------------------------------------------------------


def test_a_spanish_payment_failure_is_triaged_to_billing_at_high_priority(post, alice, demo_rules, run_on_commit):
    body = ticket_body(
        subject="El pago ha fallado",
        description="Intenté pagar la factura de este mes y el pago ha fallado dos veces. ¿Pueden ayudarme?",
    )
    with run_on_commit():
        response = post(body)
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.requester, ticket.organization) == (Channel.API, alice, alice.organization)
    assert (ticket.queue, ticket.priority, ticket.language) == (demo_rules, Priority.HIGH, "es")
    assert ticket.category.slug == "billing"
    assert response.json() == {
        "ticket": ticket.ref,
        "url": f"{_site()}/portal/tickets/{ticket.ref}/",
        "status": ticket.status,
        "priority": "high",
        "language": "es",
        "queue": "Billing",
        "category": "billing",
        "assigned": ticket.assignee_id is not None,
    }
    # The reasons are on the timeline, as for the portal and email.
    triaged = {
        (e["what"], e["value"]): e["why"]
        for e in TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRIAGED).values_list("data", flat=True)
    }
    assert triaged[("priority", int(Priority.HIGH))][0]["code"] == "rule"
    assert triaged[("language", "es")][0]["code"] == "detected"
    # The customer's words are the first public message, written by the customer.
    assert ticket.messages.get().author == alice
    # And the acknowledgement went to the outbox, as for a portal ticket.
    ack = OutboundMessage.objects.get(channel="email")
    assert (ack.recipient, ack.idempotency_key) == (alice.email, f"ticket:{ticket.pk}:created:user:{alice.pk}")


def test_a_priority_sent_is_what_the_customer_said_and_rules_overrule_it(post, alice, demo_rules):
    assert post(ticket_body(priority="critical"), key="a").json()["priority"] == "critical"
    payment = ticket_body(subject="Payment failed", description="Card declined.", priority="low")
    assert post(payment, key="b").json()["priority"] == "high"  # the "Payment failed" rule decides


def test_language_and_tags_are_kept_with_their_event(post, alice):
    Tag.objects.create(name="webshop")
    Tag.objects.create(name="checkout")
    response = post(ticket_body(language="de", tags=["webshop", "checkout", "webshop"]))
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.language == "de"
    assert {tag.name for tag in ticket.tags.all()} == {"webshop", "checkout"}
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TAGS, actor=alice)
    assert event.data == {"added": ["webshop", "checkout"], "removed": []}


def test_the_endpoint_needs_no_csrf_token(acme_client, alice):
    response = Client(enforce_csrf_checks=True).post(
        "/api/tickets/",
        data=json.dumps(ticket_body()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "k"},
    )
    assert response.status_code == 201


# --- idempotency ----------------------------------------------------------------------------------


def test_replaying_a_key_with_the_same_body_gets_the_same_answer_and_opens_nothing(post, alice, run_on_commit):
    with run_on_commit():
        first = post(ticket_body())
    # The same body with its keys in another order is the same request.
    replay = post(json.dumps(dict(reversed(list(ticket_body().items())))))
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Ticket.objects.count() == 1 and ApiTicketRequest.objects.count() == 1
    assert OutboundMessage.objects.filter(channel="email").count() == 1  # acknowledged once


def test_a_key_is_honoured_for_its_days_then_forgotten_but_its_ticket_stays(post, alice, settings):
    settings.FIRSTLINE_TICKET_API_KEEP_DAYS = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = post(ticket_body())
        post(ticket_body(), key="order-982")
    with time_machine.travel(start + timedelta(days=29, hours=23), tick=False):
        assert tasks.forget_old_api_requests() == 0
        assert post(ticket_body()).json() == first.json()
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=False):
        recent = post(ticket_body(), key="order-983")
        assert tasks.forget_old_api_requests() == 2
        assert tasks.forget_old_api_requests() == 0  # a second run finds nothing
        assert list(ApiTicketRequest.objects.values_list("key", flat=True)) == ["order-983"]
        assert Ticket.objects.count() == 3  # the tickets stay
        # Past its days the key opens a new ticket, as the API's documentation says.
        again = post(ticket_body())
    assert again.status_code == 201 and again.json()["ticket"] not in {first.json()["ticket"], recent.json()["ticket"]}


def test_a_key_reused_for_a_different_body_is_refused(post, alice):
    post(ticket_body())
    response = post(ticket_body(subject="Something else"))
    assert response.status_code == 409
    assert response.json()["field"] == "Idempotency-Key"
    assert Ticket.objects.count() == 1


def test_keys_are_per_client(post, alice, acme):
    create_api_client(None, name="Everywhere", all_organizations=True, token=EVERYWHERE_TOKEN)
    post(ticket_body())
    assert post(ticket_body(), token=EVERYWHERE_TOKEN).status_code == 201
    assert Ticket.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_open_one_ticket(acme, alice):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    create_api_client(None, name="Acme web shop", organizations=[acme], token=TOKEN)
    answers, barrier = [], threading.Barrier(4)

    def send():
        barrier.wait()
        response = Client().post(
            "/api/tickets/",
            data=json.dumps(ticket_body()),
            content_type="application/json",
            headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "same"},
        )
        answers.append((response.status_code, response.json()["ticket"]))
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ticket = Ticket.objects.get()
    assert answers == [(201, ticket.ref)] * 4
    assert ApiTicketRequest.objects.get().ticket == ticket


# --- refusals: each names the field and stores nothing ---------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"requester_email": None}, "requester_email"),
        ({"requester_email": 42}, "requester_email"),
        ({"requester_email": "not an address"}, "requester_email"),
        ({"requester_email": "a" * 250 + "@example.com"}, "requester_email"),
        ({"subject": None}, "subject"),
        ({"subject": ["a list"]}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"description": None}, "description"),
        ({"description": "x" * 20001}, "description"),
        ({"language": "xx"}, "language"),
        ({"language": 7}, "language"),
        ({"priority": "urgent"}, "priority"),
        ({"priority": 1}, "priority"),
        ({"tags": "webshop"}, "tags"),
        ({"tags": [1, 2]}, "tags"),
        ({"tags": ["no-such-tag"]}, "tags"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"queue": "Billing"}, "queue"),
        ({"assignee": "agent1"}, "assignee"),
    ],
)
def test_a_missing_wrong_or_unknown_field_is_refused_by_name(post, alice, change, field):
    body = {name: value for name, value in ticket_body(**change).items() if value is not None}
    response = post(body)
    assert response.status_code == 422
    assert response.json()["field"] == field and response.json()["error"]
    assert_nothing_stored()


@pytest.mark.parametrize(("data", "field"), [("{not json", "body"), ("[1, 2]", "body"), (b"\xff\xfe", "body")], ids=str)
def test_a_body_that_is_not_a_json_object_is_refused(post, alice, data, field):
    response = post(data)
    assert (response.status_code, response.json()["field"]) == (400, field)
    assert_nothing_stored()


@pytest.mark.parametrize("key", ["", "   ", "k" * 121])
def test_a_missing_or_too_long_idempotency_key_is_refused(post, alice, key):
    response = post(ticket_body(), key=key)
    assert (response.status_code, response.json()["field"]) == (400, "Idempotency-Key")
    assert_nothing_stored()


def test_no_token_or_an_unknown_token_is_refused(client, post, alice):
    response = client.post("/api/tickets/", data=json.dumps(ticket_body()), content_type="application/json")
    assert (response.status_code, response.json()["field"]) == (401, "Authorization")
    response = post(ticket_body(), token="flt_guessed")
    assert (response.status_code, response.json()["field"]) == (401, "Authorization")
    assert_nothing_stored()


def test_a_switched_off_client_is_refused(post, acme_client, alice):
    ApiClient.objects.filter(pk=acme_client.pk).update(is_active=False)
    response = post(ticket_body())
    assert (response.status_code, response.json()["field"]) == (403, "Authorization")
    assert_nothing_stored()


def test_a_body_over_the_limit_is_refused(post, alice, settings):
    settings.FIRSTLINE_TICKET_API_MAX_BODY_BYTES = 200
    response = post(ticket_body(description="x" * 300))
    assert (response.status_code, response.json()["field"]) == (413, "body")
    assert_nothing_stored()


def test_a_body_that_is_not_json_by_its_type_is_refused(post, alice):
    response = post(json.dumps(ticket_body()), content_type="text/plain")
    assert (response.status_code, response.json()["field"]) == (415, "Content-Type")
    assert_nothing_stored()


def test_each_client_is_held_to_its_rate_limit(post, alice, settings):
    settings.FIRSTLINE_RATE_LIMITS = {**settings.FIRSTLINE_RATE_LIMITS, "ticket-api": (2, 60)}
    assert post(ticket_body(), key="1").status_code == 201
    assert post(ticket_body(), key="2").status_code == 201
    refused = post(ticket_body(), key="3")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert Ticket.objects.count() == 2


# --- scope ------------------------------------------------------------------------------------------


def test_a_client_cannot_open_a_ticket_outside_its_organizations_nor_tell_who_exists(post, alice, bob):
    outside = post(ticket_body(requester_email=bob.email), key="1")
    unknown = post(ticket_body(requester_email="nobody@example.com"), key="2")
    assert outside.status_code == unknown.status_code == 422
    assert outside.json() == unknown.json() == {"error": outside.json()["error"], "field": "requester_email"}
    assert_nothing_stored()


def test_staff_and_inactive_people_are_no_requesters(post, alice, agent):
    CustomerFactory(username="gone", organization=alice.organization, is_active=False)
    assert post(ticket_body(requester_email=agent.email), key="1").status_code == 422
    assert post(ticket_body(requester_email="gone@example.com"), key="2").status_code == 422
    assert_nothing_stored()


def test_a_client_for_every_organization_opens_tickets_for_each(client, alice, bob):
    create_api_client(None, name="Everywhere", all_organizations=True, token=EVERYWHERE_TOKEN)
    headers = {"Authorization": f"Bearer {EVERYWHERE_TOKEN}"}
    for n, person in enumerate([alice, bob]):
        data = json.dumps(ticket_body(requester_email=person.email.upper()))
        response = client.post(
            "/api/tickets/", data, content_type="application/json", headers={**headers, "Idempotency-Key": str(n)}
        )
        assert response.status_code == 201
    assert set(Ticket.objects.values_list("requester__username", flat=True)) == {"alice", "bob"}


def test_unknown_addresses_follow_the_inbound_email_rule(post, acme, globex, settings):
    acme.email_domains = ["acme.test"]
    acme.save()
    globex.email_domains = ["globex.test"]
    globex.save()
    settings.FIRSTLINE_INBOUND_UNKNOWN_SENDERS = "hold"
    assert post(ticket_body(requester_email="new@acme.test"), key="1").status_code == 422
    settings.FIRSTLINE_INBOUND_UNKNOWN_SENDERS = "create"
    # A domain of an organization out of scope is refused like any unknown address, creating no one.
    assert post(ticket_body(requester_email="new@globex.test"), key="2").status_code == 422
    assert not User.objects.filter(email="new@globex.test").exists()
    assert_nothing_stored()
    response = post(ticket_body(requester_email="new@acme.test"), key="3")
    assert response.status_code == 201
    customer = User.objects.get(email="new@acme.test")
    assert customer.organization == acme and customer.is_customer
    assert Ticket.objects.get().requester == customer


def test_reading_a_ticket_gives_its_public_state(get, alice, agent):
    ticket = TicketFactory(requester=alice)
    MessageFactory(ticket=ticket)
    MessageFactory(ticket=ticket, author=agent, is_internal=True)  # an internal note is not counted
    response = get(ticket.ref)
    assert response.status_code == 200
    assert response.json() == {
        "ticket": ticket.ref,
        "url": f"{_site()}/portal/tickets/{ticket.ref}/",
        "status": "new",
        "priority": "medium",
        "public_messages": 1,
        "updated_at": ticket.updated_at.isoformat(),
    }


def test_a_ticket_of_another_organization_reads_as_one_that_does_not_exist(get, bob):
    theirs = TicketFactory(requester=bob)
    missing = Ticket.ref_for(theirs.pk + 1000)
    assert get(theirs.ref).status_code == get(missing).status_code == get("nonsense").status_code == 404
    assert get(theirs.ref).json() == get(missing).json()


def test_reading_needs_an_active_token(get, acme_client, ticket):
    assert get(ticket.ref, token="flt_guessed").status_code == 401
    ApiClient.objects.filter(pk=acme_client.pk).update(is_active=False)
    assert get(ticket.ref).status_code == 403


# --- queries ----------------------------------------------------------------------------------------


def test_opening_a_ticket_takes_the_same_queries_however_many_tags_or_tickets(
    post, alice, demo_rules, django_assert_max_num_queries
):
    Tag.objects.bulk_create([Tag(name=f"tag-{n}") for n in range(10)])
    # Most are create_ticket's and triage's own (the tests read triage's rules afresh at each step, which
    # a running process caches); the API adds its client, the replay check, the tags, the request row.
    with django_assert_max_num_queries(69) as first:
        assert post(ticket_body(tags=["tag-0"]), key="first").status_code == 201
    TicketFactory.create_batch(20)  # other customers: alice stays a customer with one earlier ticket
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert post(ticket_body(tags=[f"tag-{n}" for n in range(10)]), key="second").status_code == 201


# --- admin ------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(AgentFactory(role="admin", is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_a_new_clients_token_once_and_stores_its_hash(admin_client, acme):
    response = admin_client.post(
        "/admin/helpdesk/apiclient/add/",
        {"name": "Webshop", "is_active": "on", "organizations": [acme.pk]},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    token = shown[0].rsplit(" ", 1)[-1]
    stored = ApiClient.objects.get(name="Webshop")
    assert stored.token_hash == hash_token(token) and token.startswith(stored.token_hint)
    assert list(stored.organizations.all()) == [acme]


def test_the_admin_refuses_a_client_with_no_organization(admin_client):
    response = admin_client.post("/admin/helpdesk/apiclient/add/", {"name": "Webshop", "is_active": "on"})
    assert response.status_code == 200 and not ApiClient.objects.exists()
    assert response.context["adminform"].form.errors
