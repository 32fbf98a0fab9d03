"""POST /api/signals/: authentication, scope, types, sizes, unknown codes and customers, replays."""

import json

import pytest

from comms.models import OutboundMessage
from helpdesk.models import Ticket
from incidents.journey.models import CustomerIdentity, ProactiveCase, SignalEvent

from .conftest import event

pytestmark = pytest.mark.django_db


def test_an_event_is_stored_at_once_and_the_worker_opens_its_proactive_ticket(post, alice, run_on_commit):
    with run_on_commit():  # the request wakes the worker once it has committed
        response = post(event(data={"summary": "Profile stuck", "order_id": "981"}))
        assert response.status_code == 202
        stored = SignalEvent.objects.get()
        assert response.json() == {"event": stored.pk, "ticket": None}  # opened by the worker
        assert not Ticket.objects.exists()
    ticket = Ticket.objects.get(requester=alice)
    assert {t.name for t in ticket.tags.all()} == {"proactive", "sig-001"}
    assert ticket.priority == 2 and ticket.queue.name == "eSIM specialists"
    assert stored.payload == {"summary": "Profile stuck", "order_id": "981"}
    # The same key again names the ticket now that it exists, and changes nothing.
    assert post(event(data={"summary": "Profile stuck", "order_id": "981"})).json() == {
        "event": stored.pk,
        "ticket": ticket.ref,
    }


def test_ingesting_a_batch_takes_the_same_queries_for_one_event_or_thirty(post, types, django_assert_max_num_queries):
    from tests.helpdesk.factories import CustomerFactory

    # Thirty: SQLite splits an INSERT past 999 parameters (PostgreSQL does not), which is not an N+1.
    customers = [CustomerFactory() for _ in range(30)]

    def batch(prefix, people):
        return {
            "events": [
                event(idempotency_key=f"{prefix}-{i}", customer_email=c.email, signal="SIG-003" if i % 2 else "SIG-001")
                for i, c in enumerate(people)
            ]
        }

    with django_assert_max_num_queries(14) as one:
        assert post(batch("one", customers[:1])).status_code == 202
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert post(batch("new", customers[1:])).status_code == 202  # 29 new cases
    with django_assert_max_num_queries(len(one.captured_queries) - 1):
        assert post(batch("more", customers)).status_code == 202  # 30 further signals on open cases
    assert SignalEvent.objects.count() == 60 and ProactiveCase.objects.count() == 30


def test_replaying_an_idempotency_key_gets_the_same_answer_and_changes_nothing(post, alice, run_on_commit):
    with run_on_commit():
        post(event())
    first = post(event())
    counts = (SignalEvent.objects.count(), Ticket.objects.count(), OutboundMessage.objects.count())
    case = ProactiveCase.objects.values().get()
    with run_on_commit():
        again = post(event())
    assert again.status_code == 202 and again.json() == first.json()
    assert (SignalEvent.objects.count(), Ticket.objects.count(), OutboundMessage.objects.count()) == counts
    assert ProactiveCase.objects.values().get() == case


def test_a_key_twice_in_one_batch_is_stored_once(post, alice):
    response = post({"events": [event(), event()]})
    assert response.status_code == 202
    first, second = response.json()["events"]
    assert first == second and SignalEvent.objects.count() == 1
    assert ProactiveCase.objects.get().signal_count == 1
    response = post({"events": [event(idempotency_key="k-9"), event(idempotency_key="k-9", data={"x": 1})]})
    assert response.status_code == 409 and response.json()["index"] == 1
    assert SignalEvent.objects.count() == 1


def test_a_key_reused_for_a_different_event_is_refused(post, alice, bob):
    post(event())
    response = post(event(data={"other": 1}))
    assert response.status_code == 409 and response.json()["field"] == "idempotency_key"
    # In a batch, the whole batch is refused, naming the event.
    response = post({"events": [event(idempotency_key="new", customer_email=bob.email), event(data={"other": 1})]})
    assert response.status_code == 409 and response.json()["index"] == 1
    assert SignalEvent.objects.count() == 1 and not ProactiveCase.objects.filter(customer=bob).exists()


@pytest.mark.parametrize(
    ("token", "status"),
    [(None, 401), ("fls_wrong", 401), ("", 401)],
)
def test_a_missing_or_wrong_token_is_refused(post, alice, token, status):
    response = post(event(), token=token)
    assert response.status_code == status
    assert response.json()["field"] == "Authorization"
    assert not SignalEvent.objects.exists()


def test_a_switched_off_integration_cannot_send(post, alice, integration):
    integration.is_active = False
    integration.save()
    assert post(event()).status_code == 401


def test_a_signal_outside_the_integrations_scope_is_forbidden(post, alice):
    response = post(event(signal="SIG-004"))
    assert response.status_code == 403 and response.json()["field"] == "signal"
    assert not Ticket.objects.exists()


def test_an_unknown_signal_code_is_named(post, alice):
    response = post(event(signal="SIG-999"))
    assert response.status_code == 422 and response.json()["field"] == "signal"


def test_an_unknown_customer_is_named(post, alice):
    response = post(event(customer_email="nobody@example.com"))
    assert response.status_code == 422 and response.json()["field"] == "customer_email"
    response = post(event(customer_email=None, customer_id="ext-1"))
    assert response.status_code == 422 and response.json()["field"] == "customer_id"


def test_a_customer_is_found_by_the_integrations_own_id(post, alice, integration):
    CustomerIdentity.objects.create(integration=integration, external_id="ext-1", customer=alice)
    response = post(event(customer_email=None, customer_id="ext-1"))
    assert response.status_code == 202
    assert ProactiveCase.objects.get().customer == alice


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"signal": 12}, "signal"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": None}, "idempotency_key"),
        ({"customer_email": None}, "customer_email"),
        ({"customer_id": "x"}, "customer_email"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"data": [1, 2]}, "data"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_wrong_types_and_missing_fields_are_400_naming_the_field(post, alice, fields, field):
    response = post(event(**fields))
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not SignalEvent.objects.exists()


def test_bodies_that_are_not_json_are_refused(post, alice):
    assert post(None, raw="{not json").status_code == 400
    assert post(None, raw="{}", content_type="text/plain").status_code == 415


def test_oversized_bodies_and_data_are_413(post, alice, settings):
    settings.FIRSTLINE_SIGNAL_MAX_BODY_BYTES = 2000
    response = post(event(data={"blob": "x" * 3000}))
    assert response.status_code == 413 and response.json()["field"] == "body"
    settings.FIRSTLINE_SIGNAL_MAX_BODY_BYTES = 100_000
    settings.FIRSTLINE_SIGNAL_MAX_DATA_BYTES = 100
    response = post(event(data={"blob": "x" * 300}))
    assert response.status_code == 413 and response.json()["field"] == "data"
    assert not SignalEvent.objects.exists()


def test_a_batch_is_stored_whole_or_not_at_all(post, alice, bob):
    good = event(idempotency_key="a")
    bad = event(idempotency_key="b", customer_email="nobody@example.com")
    response = post({"events": [good, bad]})
    assert response.status_code == 422 and response.json()["index"] == 1
    assert not SignalEvent.objects.exists() and not Ticket.objects.exists()
    response = post({"events": [good, event(idempotency_key="c", customer_email="bob@example.com")]})
    assert response.status_code == 202
    assert len(response.json()["events"]) == 2
    assert SignalEvent.objects.count() == 2


def test_only_post_is_allowed(client, integration):
    assert client.get("/api/signals/").status_code == 405


def test_the_bot_reads_the_customers_proactive_context_for_shared_signals(client, post, alice, types, run_on_commit):
    types["high"].bot_context = True
    types["high"].save()
    with run_on_commit():
        post(event(data={"summary": "Profile stuck"}))
        post(event(signal="SIG-003", idempotency_key="k-2"))
    headers = {"Authorization": "Bearer fls_test-token-0123456789abcdefghijklmnopqrstuvwxyz"}
    response = client.get("/api/signals/context/", {"customer_email": "alice@example.com"}, headers=headers)
    context = response.json()["proactive_context"]
    assert response.status_code == 200
    assert [s["signal"] for s in context["signals"]] == ["SIG-001"]  # SIG-003 is not shared with the bot
    assert context["ticket"] == Ticket.objects.get().ref
    assert client.get("/api/signals/context/", {"customer_email": "alice@example.com"}).status_code == 401
    missing = client.get("/api/signals/context/", {"customer_email": "x@example.com"}, headers=headers)
    assert missing.status_code == 422


def test_the_bot_gets_no_context_for_signals_not_shared_with_it(client, post, alice, types):
    assert types["medium"].bot_context is False
    post(event(signal="SIG-003"))
    headers = {"Authorization": "Bearer fls_test-token-0123456789abcdefghijklmnopqrstuvwxyz"}
    response = client.get("/api/signals/context/", {"customer_email": "alice@example.com"}, headers=headers)
    assert response.status_code == 200 and response.json()["proactive_context"] is None


def test_the_bot_context_is_served_before_the_worker_opens_the_ticket(client, post, alice, types):
    types["high"].bot_context = True
    types["high"].save()
    post(event())
    headers = {"Authorization": "Bearer fls_test-token-0123456789abcdefghijklmnopqrstuvwxyz"}
    context = client.get("/api/signals/context/", {"customer_email": "alice@example.com"}, headers=headers).json()
    assert context["proactive_context"]["ticket"] is None
    assert [s["signal"] for s in context["proactive_context"]["signals"]] == ["SIG-001"]


@pytest.mark.django_db(transaction=True)
def test_the_same_event_sent_by_concurrent_requests_is_stored_and_counted_once(integration, alice):
    import threading

    from django.db import connection
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    from .conftest import TOKEN

    answers, barrier = [], threading.Barrier(6)

    def send():
        barrier.wait()
        response = Client().post(
            "/api/signals/",
            data=json.dumps(event(signal="SIG-003")),
            content_type="application/json",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        answers.append((response.status_code, response.json().get("event")))
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = SignalEvent.objects.get()
    assert {answer for answer in answers if answer[0] == 202} == {(202, stored.pk)}
    assert ProactiveCase.objects.get().signal_count == 1
