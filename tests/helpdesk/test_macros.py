"""Macros: one click applies a reply and field changes; the reply is held for an undo window, then sent once."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from comms import services as comms_services
from comms.models import OutboundMessage
from helpdesk import macros, services, tasks
from helpdesk.macro_defaults import install_default_macros
from helpdesk.models import (
    ClockTarget,
    EventKind,
    Macro,
    MacroApplication,
    Message,
    ReminderOutcome,
    Status,
    TicketEvent,
    TicketReminder,
)
from helpdesk.sla_defaults import install_defaults

from .factories import AgentFactory, CategoryFactory

HX = {"HTTP_HX_REQUEST": "true"}
SPANISH_REPLY = "Para encontrar la causa rápido"
ENGLISH_REPLY = "To find the cause quickly"


@pytest.fixture
def ask(db):
    install_default_macros()
    return Macro.objects.get(name="Ask for details")


@pytest.fixture
def spanish_ticket(alice):
    alice.language = "es"
    alice.save(update_fields=["language"])
    return services.create_ticket(alice, requester=alice, subject="No puedo exportar", description="Se queda cargando.")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def reply_key(ticket, message, user):
    return f"ticket:{ticket.pk}:message:{message.pk}:user:{user.pk}"


def portal_html(client, customer, ticket):
    client.force_login(customer)
    return client.get(reverse("portal:ticket-detail", args=[ticket.ref])).content.decode()


def reply_emails(mailoutbox, text):
    return [mail for mail in mailoutbox if text in mail.body]


# --- applying ------------------------------------------------------------------------------------------


def test_applying_a_macro_changes_the_ticket_and_holds_the_reply(
    ask, agent, alice, spanish_ticket, client, run_on_commit
):
    with run_on_commit():
        application = macros.apply_macro(agent, spanish_ticket, ask)
    spanish_ticket.refresh_from_db()
    assert spanish_ticket.status == Status.WAITING and spanish_ticket.assignee == agent
    assert list(spanish_ticket.tags.values_list("name", flat=True)) == ["needs-info"]
    message = application.message
    assert SPANISH_REPLY in message.body and alice.display_name in message.body
    assert message.held_until == application.undo_until == application.applied_at + timedelta(seconds=10)
    reminder = TicketReminder.objects.get(ticket=spanish_ticket)
    assert reminder.due_at == application.applied_at + timedelta(days=2) and reminder.agent == agent
    # Nothing has left: no outbox row, no mail, and the customer's portal does not show it.
    assert not OutboundMessage.objects.filter(idempotency_key=reply_key(spanish_ticket, message, alice)).exists()
    comms_services.deliver_due()
    assert SPANISH_REPLY not in portal_html(client, alice, spanish_ticket)
    kinds = set(TicketEvent.objects.filter(ticket=spanish_ticket).values_list("kind", flat=True))
    assert {EventKind.MACRO_APPLIED, EventKind.TAGS, EventKind.STATUS, EventKind.ASSIGNED} <= kinds


def test_after_the_window_the_reply_is_visible_and_sent_exactly_once(
    ask, agent, alice, spanish_ticket, client, mailoutbox, run_on_commit
):
    with run_on_commit():
        application = macros.apply_macro(agent, spanish_ticket, ask)
    with time_machine.travel(application.undo_until + timedelta(seconds=1), tick=False):
        assert SPANISH_REPLY in portal_html(client, alice, spanish_ticket)
        with run_on_commit():
            assert macros.release_held_replies() == 1
            assert macros.release_held_replies() == 0
        comms_services.deliver_due()
        comms_services.deliver_due()
    assert Message.objects.get(pk=application.message_id).held_until is None
    row = OutboundMessage.objects.get(idempotency_key=reply_key(spanish_ticket, application.message, alice))
    assert row.status == "sent"
    assert len(reply_emails(mailoutbox, SPANISH_REPLY)) == 1
    assert reply_emails(mailoutbox, SPANISH_REPLY)[0].subject.startswith(f"[{spanish_ticket.ref}] Nueva respuesta")


def test_the_reply_meets_the_first_response_target_when_it_is_released(agent, alice, ask):
    install_defaults()
    ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    application = macros.apply_macro(agent, ticket, ask)
    first = ticket.clocks.get(target=ClockTarget.FIRST_RESPONSE)
    assert first.met_at is None
    with time_machine.travel(application.undo_until + timedelta(seconds=30), tick=False):
        macros.release_held_replies()
    first.refresh_from_db()
    assert first.met_at == application.undo_until


def test_the_wake_up_task_waits_out_a_short_window_and_releases_at_once(
    ask, agent, alice, spanish_ticket, settings, monkeypatch
):
    settings.FIRSTLINE_HOLD_WAKE_SECONDS = 30
    application = macros.apply_macro(agent, spanish_ticket, ask)
    with time_machine.travel(application.applied_at, tick=False) as clock:
        monkeypatch.setattr(macros.time, "sleep", lambda seconds: clock.shift(seconds))
        assert tasks.release_held_reply(application.message_id) == 1
        assert tasks.release_held_reply(application.message_id) == 0
    sent = OutboundMessage.objects.filter(idempotency_key__contains=f":message:{application.message_id}:")
    assert sorted(sent.values_list("channel", flat=True)) == ["email", "portal"]


def test_a_window_far_away_is_left_to_the_sweep(ask, agent, spanish_ticket, settings):
    settings.FIRSTLINE_UNDO_SECONDS = 120
    application = macros.apply_macro(agent, spanish_ticket, ask)
    assert tasks.release_held_reply(application.message_id) == 0
    assert Message.objects.get(pk=application.message_id).held_until is not None


def test_a_customer_writing_during_the_window_is_not_told_about_the_unseen_reply(ask, agent, alice, spanish_ticket):
    seen = services.latest_event_id(spanish_ticket)
    macros.apply_macro(agent, spanish_ticket, ask)
    message = services.reply_to_ticket(alice, spanish_ticket, body="Más datos", seen_event_id=seen)
    assert message.body == "Más datos"


# --- undo --------------------------------------------------------------------------------------------


def test_undo_within_the_window_reverts_everything_and_nothing_is_ever_sent(
    ask, agent, alice, spanish_ticket, client, mailoutbox, run_on_commit
):
    before = (spanish_ticket.status, spanish_ticket.assignee_id)
    with run_on_commit():
        application = macros.apply_macro(agent, spanish_ticket, ask)
    with time_machine.travel(application.applied_at + timedelta(seconds=5), tick=False):
        macros.undo_macro(agent, application)
    spanish_ticket.refresh_from_db()
    assert (spanish_ticket.status, spanish_ticket.assignee_id) == before
    assert not spanish_ticket.tags.exists()
    assert not Message.objects.filter(pk=application.message_id).exists()
    assert TicketReminder.objects.get(ticket=spanish_ticket).outcome == ReminderOutcome.CANCELLED
    undone = TicketEvent.objects.get(ticket=spanish_ticket, kind=EventKind.MACRO_UNDONE)
    assert undone.data == {"macro": "Ask for details", "reply_withdrawn": True}
    statuses = list(
        TicketEvent.objects.filter(ticket=spanish_ticket, kind=EventKind.STATUS).values_list("data", flat=True)
    )
    assert statuses[-1] == {"from": Status.WAITING, "to": Status.NEW}
    with time_machine.travel(application.applied_at + timedelta(minutes=5), tick=False):
        with run_on_commit():
            assert macros.release_held_replies() == 0
        comms_services.deliver_due()
        assert SPANISH_REPLY not in portal_html(client, alice, spanish_ticket)
    assert not reply_emails(mailoutbox, SPANISH_REPLY)
    assert not OutboundMessage.objects.filter(body__contains=SPANISH_REPLY).exists()


def test_undo_after_the_window_is_refused(ask, agent, spanish_ticket):
    application = macros.apply_macro(agent, spanish_ticket, ask)
    late = time_machine.travel(application.undo_until + timedelta(seconds=1), tick=False)
    with late, pytest.raises(services.NotAllowed, match="Too late to undo"):
        macros.undo_macro(agent, application)
    spanish_ticket.refresh_from_db()
    assert spanish_ticket.status == Status.WAITING


def test_undo_is_refused_once_the_reply_was_released_even_if_the_clocks_disagree(ask, agent, spanish_ticket):
    application = macros.apply_macro(agent, spanish_ticket, ask)
    # A worker whose clock runs ahead released it; this process still thinks it is inside the window.
    assert macros.release_held_replies(now=application.undo_until) == 1
    with pytest.raises(services.NotAllowed, match="already been released"):
        macros.undo_macro(agent, application)
    spanish_ticket.refresh_from_db()
    assert spanish_ticket.status == Status.WAITING


def test_a_change_by_someone_else_blocks_the_undo(ask, agent, other_agent, spanish_ticket):
    application = macros.apply_macro(agent, spanish_ticket, ask)
    services.update_ticket(other_agent, spanish_ticket, priority=1)
    with pytest.raises(services.TicketConflict, match="Someone changed this ticket"):
        macros.undo_macro(agent, application)
    assert Message.objects.filter(pk=application.message_id, held_until__isnull=False).exists()


def test_only_the_agent_who_applied_it_can_undo(ask, agent, other_agent, spanish_ticket):
    application = macros.apply_macro(agent, spanish_ticket, ask)
    with pytest.raises(services.NotAllowed):
        macros.undo_macro(other_agent, application)


# --- language -------------------------------------------------------------------------------------------


def test_a_macro_without_the_customers_language_shows_the_notice_and_applies_nothing(ask, agent_client, alice):
    alice.language = "ja"
    alice.save(update_fields=["language"])
    ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    url = reverse("helpdesk:ticket-macro-apply", args=[ticket.ref, ask.pk])
    response = agent_client.post(url, **HX)
    html = response.content.decode()
    assert response["HX-Retarget"] == "#macro-preview"
    assert "no Japanese text yet: the English text below would be sent" in html and ENGLISH_REPLY in html
    assert not MacroApplication.objects.exists() and not Message.objects.filter(held_until__isnull=False).exists()
    agent_client.post(url, {"accept_fallback": "1"}, **HX)
    application = MacroApplication.objects.get()
    assert ENGLISH_REPLY in application.message.body


def test_the_macro_list_warns_before_a_click_when_english_would_be_sent(ask, agent_client, alice):
    alice.language = "ja"
    alice.save(update_fields=["language"])
    ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    html = agent_client.get(reverse("helpdesk:ticket-macros", args=[ticket.ref]), **HX).content.decode()
    assert html.lstrip().startswith('<ul id="macro-list"')
    assert "Its reply has no Japanese text" in html


# --- views -------------------------------------------------------------------------------------------------


def test_the_list_is_searchable_and_follows_the_ticket_category(ask, agent_client, alice, spanish_ticket):
    Macro.objects.create(name="Refund done", category_slug="billing")
    url = reverse("helpdesk:ticket-macros", args=[spanish_ticket.ref])
    html = agent_client.get(url, **HX).content.decode()
    assert "Ask for details" in html and "Refund done" not in html
    spanish_ticket.category = CategoryFactory(slug="billing")
    spanish_ticket.save(update_fields=["category"])
    assert "Refund done" in agent_client.get(url, **HX).content.decode()
    searched = agent_client.get(url, {"q": "fixed"}, **HX).content.decode()
    assert "Fixed: ask the customer to confirm" in searched and "Ask for details" not in searched
    # Without JavaScript the same address is a page of its own.
    assert "<html" in agent_client.get(url).content.decode()


def test_apply_and_undo_work_without_javascript(ask, agent_client, spanish_ticket):
    apply_url = reverse("helpdesk:ticket-macro-apply", args=[spanish_ticket.ref, ask.pk])
    response = agent_client.post(apply_url)
    assert response.status_code == 302
    page = agent_client.get(response["Location"]).content.decode()
    application = MacroApplication.objects.get()
    assert "Applied “Ask for details”" in page and 'data-countdown="10"' in page
    assert "Held: not sent yet" in page
    undo_url = reverse("helpdesk:ticket-macro-undo", args=[spanish_ticket.ref, application.pk])
    response = agent_client.post(undo_url, follow=True)
    html = response.content.decode()
    assert "Undone: “Ask for details”. Nothing was sent." in html and "Applied “Ask for details”" not in html


def test_apply_and_undo_answer_htmx_with_the_undo_bar_and_the_sidebar(ask, agent_client, spanish_ticket):
    response = agent_client.post(reverse("helpdesk:ticket-macro-apply", args=[spanish_ticket.ref, ask.pk]), **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-undo"')
    assert "Undo" in html and 'id="ticket-sidebar"' in html and "needs-info" in html
    application = MacroApplication.objects.get()
    with time_machine.travel(application.undo_until + timedelta(seconds=2), tick=False):
        late = agent_client.post(
            reverse("helpdesk:ticket-macro-undo", args=[spanish_ticket.ref, application.pk]), **HX
        ).content.decode()
    assert "Too late to undo" in late


def test_a_concurrent_edit_makes_the_undo_button_answer_with_a_clear_message(
    ask, agent_client, other_agent, spanish_ticket
):
    agent_client.post(reverse("helpdesk:ticket-macro-apply", args=[spanish_ticket.ref, ask.pk]), **HX)
    application = MacroApplication.objects.get()
    services.update_ticket(other_agent, spanish_ticket, priority=1)
    html = agent_client.post(
        reverse("helpdesk:ticket-macro-undo", args=[spanish_ticket.ref, application.pk]), **HX
    ).content.decode()
    assert "Someone changed this ticket after the macro was applied" in html


def test_customers_cannot_reach_macros(ask, client, alice, spanish_ticket):
    client.force_login(alice)
    assert client.get(reverse("helpdesk:ticket-macros", args=[spanish_ticket.ref])).status_code == 404
    response = client.post(reverse("helpdesk:ticket-macro-apply", args=[spanish_ticket.ref, ask.pk]))
    assert response.status_code == 404 and not MacroApplication.objects.exists()


def test_another_agent_cannot_undo_through_the_view(ask, agent, other_agent, client, spanish_ticket):
    application = macros.apply_macro(agent, spanish_ticket, ask)
    client.force_login(other_agent)
    response = client.post(reverse("helpdesk:ticket-macro-undo", args=[spanish_ticket.ref, application.pk]))
    assert response.status_code == 404


def test_the_preview_shows_the_changes_and_the_reply_as_text(ask, agent_client, alice, spanish_ticket):
    alice.first_name = "<script>alert(1)</script>"
    alice.save(update_fields=["first_name"])
    url = reverse("helpdesk:ticket-macro-preview", args=[spanish_ticket.ref, ask.pk])
    html = agent_client.get(url, **HX).content.decode()
    assert html.lstrip().startswith('<section id="macro-preview"')
    assert "Waiting on customer" in html and "Add tag needs-info" in html and "Remind me in 2 days" in html
    assert SPANISH_REPLY in html and "<script>alert(1)</script>" not in html


@pytest.mark.parametrize("extra", [{}, HX])
def test_ticket_page_and_macro_list_queries_do_not_grow_with_macros(
    ask, agent_client, spanish_ticket, extra, django_assert_max_num_queries
):
    detail = reverse("helpdesk:ticket-detail", args=[spanish_ticket.ref])
    listing = reverse("helpdesk:ticket-macros", args=[spanish_ticket.ref])
    macros.apply_macro(AgentFactory(), spanish_ticket, ask)
    with django_assert_max_num_queries(11) as few_page:
        agent_client.get(detail, **extra)
    with django_assert_max_num_queries(10) as few_list:
        agent_client.get(listing, **extra)
    template = ask.reply_template
    for n in range(15):
        macro = Macro.objects.create(name=f"Macro {n}", reply_template=template, set_status=Status.OPEN)
        macro.add_tags.set(ask.add_tags.all())
    macros.apply_macro(AgentFactory(), spanish_ticket, ask)
    with django_assert_max_num_queries(11) as many_page:
        agent_client.get(detail, **extra)
    with django_assert_max_num_queries(10) as many_list:
        agent_client.get(listing, **extra)
    assert len(few_page.captured_queries) == len(many_page.captured_queries)
    assert len(few_list.captured_queries) == len(many_list.captured_queries)


def test_the_ticket_page_offers_undo_only_to_the_agent_who_applied_it(ask, agent, other_agent, client, spanish_ticket):
    macros.apply_macro(agent, spanish_ticket, ask)
    client.force_login(other_agent)
    html = client.get(reverse("helpdesk:ticket-detail", args=[spanish_ticket.ref])).content.decode()
    assert "Applied “Ask for details”" not in html
    # The held reply is marked for everyone.
    assert "Held: not sent yet" in html
