"""The agent workspace views: queues, filters, bulk changes, the ticket page and its actions.

Each view is exercised as a plain page (no JavaScript) and as HTMX asks for it.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from helpdesk import services
from helpdesk.models import Attachment, EventKind, Priority, Status, SupportLevel, Ticket, TicketEvent

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

LIST = reverse("helpdesk:ticket-list")
BULK = reverse("helpdesk:ticket-bulk")
AGENTS = reverse("helpdesk:agent-search")
HX = {"HTTP_HX_REQUEST": "true"}
HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def listed(response):
    """The ticket references in a list response, in the order shown."""
    return re.findall(r'<td class="ref">(FL-\d+)<', response.content.decode())


def detail(ticket):
    return reverse("helpdesk:ticket-detail", args=[ticket.ref])


def action(name, ticket):
    return reverse(f"helpdesk:ticket-{name}", args=[ticket.ref])


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


# --- the queues ----------------------------------------------------------------------------


def test_agent_lands_on_the_workspace_after_login(client, agent):
    response = client.post(reverse("login"), {"username": "agent1", "password": "demo"}, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert response.status_code == 200


def test_workspace_shows_every_queue_with_its_count(agent_client, agent, alice):
    TicketFactory.create_batch(2, requester=alice, assignee=agent)
    TicketFactory(requester=alice)
    html = agent_client.get(LIST).content.decode()
    for label in ("My open", "Unassigned", "My team", "All open", "Waiting on customer", "Recently resolved"):
        assert label in html
    assert re.search(r'view=mine"[^>]*>\s*<span>My open</span>\s*<span class="count">2<', html)


def test_queue_counts_come_from_one_query_per_page(agent_client, agent, alice):
    TicketFactory(requester=alice, assignee=agent)
    response = agent_client.get(LIST)
    assert response.context["counts"] == {
        "mine": 1,
        "unassigned": 0,
        "team": 1,
        "open": 1,
        "waiting": 0,
        "resolved": 0,
        "breaching": 0,
        "proactive": 0,
    }


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("mine", {"mine"}),
        ("unassigned", {"free", "waiting", "other_team"}),
        ("team", {"mine", "free", "waiting"}),
        ("open", {"mine", "free", "waiting", "other_team"}),
        ("waiting", {"waiting"}),
        ("resolved", {"resolved", "closed"}),
    ],
)
def test_each_queue_lists_its_own_tickets(agent_client, agent, alice, view, expected):
    old = timezone.now() - timedelta(days=8)
    tickets = {
        "mine": TicketFactory(requester=alice, assignee=agent),
        "free": TicketFactory(requester=alice),
        "waiting": TicketFactory(requester=alice, waiting=True),
        "other_team": TicketFactory(
            requester=alice, queue=QueueFactory(name="Billing", team=TeamFactory(name="Money"))
        ),
        "resolved": TicketFactory(requester=alice, resolved=True),
        "closed": TicketFactory(requester=alice, closed=True),
        "long_resolved": TicketFactory(requester=alice, status=Status.RESOLVED, resolved_at=old),
    }
    response = agent_client.get(LIST, {"view": view})
    assert set(listed(response)) == {tickets[name].ref for name in expected}


@pytest.mark.parametrize(
    ("field", "value", "match", "other"),
    [
        ("status", "on_hold", {"status": Status.ON_HOLD}, {"status": Status.OPEN}),
        ("priority", "1", {"priority": Priority.CRITICAL}, {"priority": Priority.LOW}),
        ("level", "3", {"level": SupportLevel.L3}, {"level": SupportLevel.L1}),
    ],
)
def test_choice_filters_narrow_the_list(agent_client, alice, field, value, match, other):
    wanted = TicketFactory(requester=alice, **match)
    unwanted = TicketFactory(requester=alice, **other)
    refs = listed(agent_client.get(LIST, {field: value}))
    assert wanted.ref in refs and unwanted.ref not in refs


def test_queue_filter_narrows_the_list(agent_client, alice):
    technical = QueueFactory(name="Technical")
    wanted = TicketFactory(requester=alice, queue=technical)
    unwanted = TicketFactory(requester=alice)
    assert listed(agent_client.get(LIST, {"queue": technical.pk})) == [wanted.ref]
    assert unwanted.ref in listed(agent_client.get(LIST))


def test_category_filter_narrows_the_list(agent_client, alice):
    billing = CategoryFactory(name="Billing", slug="billing")
    wanted = TicketFactory(requester=alice, category=billing)
    TicketFactory(requester=alice, category=CategoryFactory(name="Other", slug="other"))
    assert listed(agent_client.get(LIST, {"category": billing.pk})) == [wanted.ref]


@pytest.mark.parametrize(("typed", "expected"), [("agent2", "theirs"), ("AGENT2", "theirs"), ("me", "mine")])
def test_assignee_filter_takes_a_username_or_me(agent_client, agent, other_agent, alice, typed, expected):
    tickets = {
        "mine": TicketFactory(requester=alice, assignee=agent),
        "theirs": TicketFactory(requester=alice, assignee=other_agent),
        "free": TicketFactory(requester=alice),
    }
    assert listed(agent_client.get(LIST, {"assignee": typed})) == [tickets[expected].ref]


def test_assignee_filter_none_lists_unassigned_tickets(agent_client, agent, alice):
    free = TicketFactory(requester=alice)
    TicketFactory(requester=alice, assignee=agent)
    assert listed(agent_client.get(LIST, {"assignee": "none"})) == [free.ref]


def test_assignee_filter_is_a_text_input_not_a_list_of_every_user(agent_client):
    AgentFactory.create_batch(3)
    html = agent_client.get(LIST).content.decode()
    assert re.search(r'<input type="text" name="assignee" id="id_assignee"[^>]*list="filter-agent-options"', html)
    assert '<select name="assignee"' not in html


def test_filters_combine(agent_client, alice, other_agent):
    tech = QueueFactory(name="Technical")
    match = TicketFactory(requester=alice, priority=Priority.CRITICAL, queue=tech, assignee=other_agent)
    TicketFactory(requester=alice, priority=Priority.CRITICAL, queue=tech)
    TicketFactory(requester=alice, priority=Priority.LOW, queue=tech, assignee=other_agent)
    query = {"priority": 1, "queue": tech.pk, "assignee": "agent2"}
    assert listed(agent_client.get(LIST, query)) == [match.ref]


@pytest.mark.parametrize("how", ["ref", "lowercase ref", "number", "subject", "first name", "username", "email"])
def test_text_search_finds_a_ticket_by_reference_subject_or_requester(agent_client, acme, how):
    requester = CustomerFactory(organization=acme, username="zeldah", first_name="Zelda", email="z@hyrule.example")
    wanted = TicketFactory(requester=requester, subject="Quantum flux capacitor")
    TicketFactory(subject="Something else entirely")
    query = {
        "ref": wanted.ref,
        "lowercase ref": wanted.ref.lower(),
        "number": wanted.ref.split("-")[1],
        "subject": "FLUX",
        "first name": "zelda",
        "username": "zeldah",
        "email": "hyrule.example",
    }[how]
    assert listed(agent_client.get(LIST, {"q": query})) == [wanted.ref]


def test_invalid_filter_values_are_ignored_not_an_error(agent_client, ticket):
    response = agent_client.get(
        LIST,
        {
            "view": "nope",
            "status": "exploded",
            "priority": "urgent!!",
            "queue": "abc",
            "level": "99",
            "category": "-1",
            "sort": "'; drop table",
            "page": "x",
            "tickets": "y",
        },
    )
    assert response.status_code == 200
    assert listed(response) == [ticket.ref]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("updated", ["new", "mid", "old"]),
        ("-updated", ["old", "mid", "new"]),
        ("created", ["new", "mid", "old"]),
        ("-created", ["old", "mid", "new"]),
        ("priority", ["old", "mid", "new"]),
        ("-priority", ["new", "mid", "old"]),
    ],
)
def test_sort_orders_the_list(agent_client, alice, sort, order):
    now = timezone.now()
    tickets = {
        name: TicketFactory(requester=alice, priority=priority, created_at=now - age, updated_at=now - age)
        for name, priority, age in [
            ("old", Priority.CRITICAL, timedelta(days=3)),
            ("mid", Priority.HIGH, timedelta(days=2)),
            ("new", Priority.LOW, timedelta(days=1)),
        ]
    }
    assert listed(agent_client.get(LIST, {"sort": sort})) == [tickets[name].ref for name in order]


def test_pagination_links_keep_the_filters(agent_client, alice, settings):
    settings.FIRSTLINE_PAGE_SIZE = 2
    TicketFactory.create_batch(5, requester=alice, priority=Priority.HIGH)
    TicketFactory.create_batch(3, requester=alice, priority=Priority.LOW)
    html = agent_client.get(LIST, {"priority": 2, "sort": "created"}).content.decode()
    assert 'href="?priority=2&amp;sort=created&amp;page=2"' in html
    last = agent_client.get(LIST, {"priority": 2, "sort": "created", "page": 3})
    assert len(listed(last)) == 1
    assert 'href="?priority=2&amp;sort=created&amp;page=2"' in last.content.decode()


def test_pagination_links_do_not_carry_the_selection(agent_client, alice, settings):
    settings.FIRSTLINE_PAGE_SIZE = 1
    first, _second = TicketFactory.create_batch(2, requester=alice)
    html = agent_client.get(LIST, {"tickets": first.pk}, **HX).content.decode()
    assert 'href="?page=2"' in html


def test_htmx_request_gets_only_the_list_fragment(agent_client, ticket):
    response = agent_client.get(LIST, **HX)
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="ticket-list-panel"')
    assert ticket.ref in listed(response)
    assert "HX-Request" in response["Vary"]


def test_full_page_without_htmx_has_the_layout_and_forms(agent_client, ticket):
    response = agent_client.get(LIST)
    html = response.content.decode()
    assert "<html" in html and 'id="ticket-list-panel"' in html
    assert 'id="ticket-filters"' in html and 'method="get"' in html
    assert 'id="bulk-form"' in html and 'method="post"' in html
    assert "HX-Request" in response["Vary"]


def test_filter_form_swaps_the_list_in_place_and_records_the_url(agent_client):
    html = agent_client.get(LIST).content.decode()
    form = re.search(r'<form id="ticket-filters"[^>]*>', html).group(0)
    assert 'hx-target="#ticket-list-panel"' in form
    assert 'hx-push-url="true"' in form
    assert "change" in form and "delay:" in form


def test_history_restore_gets_the_whole_page(agent_client, ticket):
    response = agent_client.get(LIST, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert b"<html" in response.content


def test_list_fragment_refreshes_the_queue_counts_out_of_band(agent_client, agent, alice):
    TicketFactory(requester=alice, assignee=agent)
    html = agent_client.get(LIST, **HX).content.decode()
    assert 'id="queue-nav" hx-swap-oob="true"' in html
    assert re.search(r'view=mine"[^>]*>\s*<span>My open</span>\s*<span class="count">1<', html)


def test_panel_refreshes_itself_with_its_filters_and_the_ticked_boxes(agent_client, alice, settings):
    settings.FIRSTLINE_QUEUE_REFRESH_SECONDS = 7
    TicketFactory(requester=alice)
    html = agent_client.get(LIST, {"priority": 3}).content.decode()
    panel = re.search(r'<div id="ticket-list-panel"[^>]*>', html).group(0)
    assert 'hx-get="/agent/?priority=3"' in panel
    assert "every 7s" in panel
    assert 'hx-include="this"' in panel


def test_refresh_keeps_ticked_tickets_ticked(agent_client, alice):
    first, second = TicketFactory.create_batch(2, requester=alice)
    html = agent_client.get(LIST, {"tickets": [first.pk]}, **HX).content.decode()
    assert re.search(rf'value="{first.pk}" checked', html)
    assert not re.search(rf'value="{second.pk}" checked', html)
    panel = re.search(r'<div id="ticket-list-panel"[^>]*>', html).group(0)
    assert "tickets=" not in panel


def test_empty_filter_result_explains_and_offers_to_clear(agent_client, ticket):
    html = agent_client.get(LIST, {"q": "no such thing", "view": "open"}).content.decode()
    assert "No tickets match these filters." in html
    assert '<a href="/agent/?view=open">Clear the filters</a>' in html


def test_hostile_subject_is_escaped_in_the_list(agent_client, alice):
    TicketFactory(requester=alice, subject=HOSTILE)
    html = agent_client.get(LIST).content.decode()
    assert HOSTILE not in html
    assert ESCAPED in html


def test_agent_search_offers_at_most_ten_matching_agents(agent_client, alice):
    AgentFactory.create_batch(12, first_name="Sam")
    AgentFactory(username="robin", first_name="Robin")
    CustomerFactory(username="samantha", organization=alice.organization)
    html = agent_client.get(AGENTS, {"q": "sam"}).content.decode()
    assert html.count("<option") == 10
    assert "robin" not in html and "samantha" not in html
    assert "<html" not in html


def test_agent_search_reads_the_assignee_field_it_is_typed_in(agent_client):
    AgentFactory(username="robin")
    html = agent_client.get(AGENTS, {"assignee": "rob"}).content.decode()
    assert 'value="robin"' in html


# --- bulk changes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "expected", "kind"),
    [
        ({"assignee": "agent2"}, "assignee__username", "agent2", EventKind.ASSIGNED),
        ({"status": "on_hold"}, "status", Status.ON_HOLD, EventKind.STATUS),
        ({"priority": "1"}, "priority", Priority.CRITICAL, EventKind.PRIORITY),
    ],
)
def test_bulk_change_updates_the_selected_tickets_and_logs_events(
    agent_client, other_agent, alice, change, field, expected, kind
):
    selected = TicketFactory.create_batch(3, requester=alice)
    untouched = TicketFactory(requester=alice)
    response = agent_client.post(BULK, {"tickets": [t.pk for t in selected], **change}, follow=True)
    assert "3 tickets updated." in response.content.decode()
    ids = [t.pk for t in selected]
    assert set(Ticket.objects.filter(pk__in=ids).values_list(field, flat=True)) == {expected}
    assert TicketEvent.objects.filter(ticket__in=ids, kind=kind).count() == 3
    assert not TicketEvent.objects.filter(ticket=untouched).exists()


def test_bulk_none_unassigns(agent_client, agent, alice):
    ticket = TicketFactory(requester=alice, assignee=agent)
    agent_client.post(BULK, {"tickets": [ticket.pk], "assignee": "none"})
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_bulk_without_javascript_returns_to_the_filtered_list(agent_client, alice):
    ticket = TicketFactory(requester=alice)
    response = agent_client.post(BULK, {"tickets": [ticket.pk], "priority": 4, "next": "/agent/?priority=3"})
    assert response.status_code == 302
    assert response["Location"] == "/agent/?priority=3"


def test_bulk_never_redirects_to_another_site(agent_client, alice):
    ticket = TicketFactory(requester=alice)
    response = agent_client.post(BULK, {"tickets": [ticket.pk], "priority": 4, "next": "https://evil.example/"})
    assert response["Location"] == LIST


def test_bulk_over_htmx_flashes_and_announces_the_change(agent_client, alice):
    ticket = TicketFactory(requester=alice)
    response = agent_client.post(BULK, {"tickets": [ticket.pk], "priority": 4}, **HX)
    assert response.status_code == 200
    assert "ticketsUpdated" in response["HX-Trigger"]
    html = response.content.decode()
    assert 'id="messages"' in html and "1 ticket updated." in html


def test_list_panel_reloads_after_a_bulk_change(agent_client, ticket):
    html = agent_client.get(LIST).content.decode()
    assert re.search(r'hx-trigger="ticketsUpdated from:body"\s+hx-target="#ticket-list-panel"', html)


def test_bulk_with_an_unknown_agent_changes_nothing(agent_client, alice):
    ticket = TicketFactory(requester=alice)
    response = agent_client.post(
        BULK, {"tickets": [ticket.pk], "assignee": "ghost", "status": "closed", "priority": 1}, follow=True
    )
    assert "No agent is called “ghost”." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == (Status.NEW, Priority.MEDIUM, None)
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_bulk_without_a_selection_is_refused_with_a_message(agent_client, ticket):
    response = agent_client.post(BULK, {"status": "closed"}, **HX)
    assert "Select at least one ticket." in response.content.decode()
    assert "HX-Trigger" not in response
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_bulk_without_a_change_is_refused_with_a_message(agent_client, ticket):
    response = agent_client.post(BULK, {"tickets": [ticket.pk]}, follow=True)
    assert "Choose an assignee, a status or a priority to apply." in response.content.decode()
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_bulk_messages_are_announced_to_screen_readers(agent_client, ticket):
    html = agent_client.post(BULK, {"tickets": [ticket.pk], "priority": 1}, **HX).content.decode()
    assert re.search(r'<div id="messages" aria-live="polite"', html)


# --- the ticket page ---------------------------------------------------------------------------


def test_ticket_page_header_names_the_ticket_requester_organization_and_tier(agent_client, ticket):
    html = agent_client.get(detail(ticket)).content.decode()
    assert ticket.ref in html and ticket.subject in html
    assert ticket.requester.display_name in html
    assert "Acme" in html
    assert f"{ticket.organization.tier.name} tier" in html


def test_ticket_page_shows_replies_notes_and_changes_in_time_order(agent_client, agent, ticket):
    services.reply_to_ticket(agent, ticket, body="Public **answer**")
    services.reply_to_ticket(agent, ticket, body="Secret note", internal=True)
    services.update_ticket(agent, ticket, priority=Priority.HIGH)
    html = agent_client.get(detail(ticket)).content.decode()
    assert "<strong>answer</strong>" in html
    assert "changed priority from Medium to High" in html
    assert html.index("answer") < html.index("Secret note") < html.index("changed priority")


def test_internal_notes_are_labelled_and_set_apart(agent_client, agent, ticket):
    services.reply_to_ticket(agent, ticket, body="Just between us", internal=True)
    html = agent_client.get(detail(ticket)).content.decode()
    note = html[html.index('<article class="entry internal">') : html.index("Just between us")]
    assert "Internal note" in note


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"status": Status.WAITING}, "changed status from New to Waiting on customer"),
        ({"level": SupportLevel.L2}, "changed support level from L1 · Frontline to L2 · Technical"),
        ({"queue": None}, "changed queue from General to none"),
    ],
)
def test_timeline_shows_who_changed_what_from_and_to(agent_client, other_agent, ticket, changes, text):
    services.update_ticket(other_agent, ticket, **changes)
    html = agent_client.get(detail(ticket)).content.decode()
    assert f"<strong>{other_agent.display_name}</strong> {text}" in html


def test_timeline_times_are_in_the_viewers_time_zone(client, alice):
    tokyo = AgentFactory(time_zone="Asia/Tokyo")
    ticket = TicketFactory(requester=alice)
    MessageFactory(ticket=ticket, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    client.force_login(tokyo)
    html = client.get(detail(ticket)).content.decode()
    assert '<time datetime="2026-01-01T09:00:00+09:00">' in html


def test_attachments_are_linked_from_the_timeline(agent_client, agent, ticket):
    log = SimpleUploadedFile("error.log", b"boom", content_type="text/plain")
    services.reply_to_ticket(agent, ticket, body="See log", attachments=[log])
    attachment = Attachment.objects.get()
    html = agent_client.get(detail(ticket)).content.decode()
    assert f'href="{reverse("attachment-download", args=[attachment.pk, "error.log"])}"' in html


@pytest.mark.parametrize("ref", ["FL-999999", "nonsense", "FL-", "FL-0001"])
def test_ticket_page_with_a_bad_reference_is_404(agent_client, ticket, ref):
    assert agent_client.get(f"/agent/tickets/{ref}/").status_code == 404


def test_hostile_subject_and_body_are_shown_as_text_on_the_ticket_page(agent_client, alice):
    ticket = TicketFactory(requester=alice, subject=HOSTILE)
    MessageFactory(ticket=ticket, body=f"{HOSTILE} <img src=x onerror=alert(1)> [click](javascript:alert(1))")
    html = agent_client.get(detail(ticket)).content.decode()
    assert HOSTILE not in html
    assert ESCAPED in html
    assert "<img src=x" not in html and 'href="javascript:' not in html


@pytest.mark.parametrize("target", ["ticket-timeline", "ticket-sidebar", "ticket-composer"])
def test_ticket_page_serves_each_partial_alone(agent_client, ticket, target):
    response = agent_client.get(detail(ticket), HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target)
    html = response.content.decode()
    assert "<html" not in html
    assert re.match(rf'\s*(\{{#.*#\}})?\s*<\w+ id="{target}"', html)
    assert "HX-Request" in response["Vary"]


# --- claim ------------------------------------------------------------------------------------


def test_claim_assigns_the_ticket_to_me(agent_client, agent, ticket):
    response = agent_client.post(action("claim", ticket), follow=True)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert f"You now own {ticket.ref}." in response.content.decode()
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1


def test_claim_over_htmx_rerenders_the_sidebar_and_announces_it(agent_client, agent, ticket):
    response = agent_client.post(action("claim", ticket), **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-sidebar"') and "<html" not in html
    assert "Claim this ticket" not in html
    assert "ticketUpdated" in response["HX-Trigger"]
    assert f"You now own {ticket.ref}." in html


def test_second_claim_is_told_who_has_it_and_changes_nothing(client, agent, other_agent, ticket):
    services.claim_ticket(other_agent, ticket)
    client.force_login(agent)
    response = client.post(action("claim", ticket), follow=True)
    assert f"{other_agent.display_name} has already taken this ticket." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == other_agent
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1


# --- inline edit ------------------------------------------------------------------------------


def test_inline_edit_changes_fields_and_logs_an_event_each(agent_client, ticket, other_agent):
    billing = CategoryFactory(name="Billing", slug="billing")
    response = agent_client.post(
        action("update", ticket),
        {
            "version": ticket.version,
            "status": "open",
            "priority": 1,
            "level": 2,
            "category": billing.pk,
            "queue": ticket.queue_id,
            "assignee": "agent2",
        },
    )
    assert response.status_code == 302 and response["Location"] == detail(ticket)
    ticket.refresh_from_db()
    # The level is not an inline field: raising it is an escalation with a handoff package.
    assert (ticket.status, ticket.priority, ticket.level, ticket.category, ticket.assignee) == (
        Status.OPEN,
        Priority.CRITICAL,
        SupportLevel.L1,
        billing,
        other_agent,
    )
    assert TicketEvent.objects.filter(ticket=ticket).count() == 4


def test_inline_edit_over_htmx_returns_the_fresh_sidebar(agent_client, ticket):
    response = agent_client.post(action("update", ticket), {"version": ticket.version, "priority": 2}, **HX)
    html = response.content.decode()
    ticket.refresh_from_db()
    assert html.lstrip().startswith('<div id="ticket-sidebar"')
    assert f'name="version" value="{ticket.version}"' in html
    assert "ticketUpdated" in response["HX-Trigger"]
    assert "Ticket updated." in html


def test_inline_edit_from_a_stale_page_overwrites_nothing(agent_client, other_agent, ticket):
    stale_version = ticket.version
    services.update_ticket(other_agent, ticket, priority=Priority.CRITICAL)
    response = agent_client.post(
        action("update", ticket), {"version": stale_version, "priority": Priority.LOW, "status": "closed"}, follow=True
    )
    html = response.content.decode()
    assert "Someone else changed this ticket a moment ago." in html
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status) == (Priority.CRITICAL, Status.NEW)
    assert f'name="version" value="{ticket.version}"' in html  # the page shows the fresh ticket


def test_inline_edit_with_an_unknown_assignee_shows_the_error_and_changes_nothing(agent_client, ticket):
    response = agent_client.post(
        action("update", ticket), {"version": ticket.version, "priority": 1, "assignee": "ghost"}, **HX
    )
    assert "No agent is called “ghost”." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority == Priority.MEDIUM
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


# --- the composer ------------------------------------------------------------------------------


def test_public_reply_is_saved_with_its_event(agent_client, agent, ticket):
    response = agent_client.post(action("reply", ticket), {"body": "Hello there"}, follow=True)
    message = ticket.messages.get()
    assert (message.body, message.is_internal, message.author) == ("Hello there", False, agent)
    assert TicketEvent.objects.filter(message=message, kind=EventKind.REPLIED, is_public=True).exists()
    assert "Reply sent." in response.content.decode()


def test_internal_note_is_saved_with_its_event(agent_client, ticket):
    agent_client.post(action("reply", ticket), {"body": "Just for us", "internal": "on"})
    message = ticket.messages.get()
    assert message.is_internal
    assert TicketEvent.objects.filter(message=message, kind=EventKind.NOTE, is_public=False).exists()


def test_reply_with_an_attachment_saves_the_file(agent_client, ticket):
    upload = SimpleUploadedFile("screenshot.png", b"\x89PNG fake", content_type="image/png")
    agent_client.post(action("reply", ticket), {"body": "Screenshot attached", "attachments": [upload]})
    assert ticket.messages.get().attachments.get().original_name == "screenshot.png"


def test_reply_over_htmx_clears_the_composer_and_refreshes_the_sidebar(agent_client, ticket):
    response = agent_client.post(action("reply", ticket), {"body": "Hello there"}, **HX)
    html = response.content.decode()
    ticket.refresh_from_db()
    assert html.lstrip().startswith('<section id="ticket-composer"')
    assert "Hello there" not in html  # a fresh, empty composer
    assert '<div id="ticket-sidebar" hx-swap-oob="true">' in html
    assert f'name="version" value="{ticket.version}"' in html
    assert "ticketUpdated" in response["HX-Trigger"]


def test_composer_carries_the_latest_event_it_has_seen(agent_client, agent, ticket):
    services.reply_to_ticket(agent, ticket, body="First")
    html = agent_client.get(detail(ticket)).content.decode()
    assert f'name="seen_event_id" value="{services.latest_event_id(ticket)}"' in html


def test_composer_sends_files_as_multipart_with_and_without_htmx(agent_client, ticket):
    html = agent_client.get(detail(ticket)).content.decode()
    composer = re.search(r'<form method="post" action="[^"]*/messages/"[^>]*>', html).group(0)
    assert 'enctype="multipart/form-data"' in composer and 'hx-encoding="multipart/form-data"' in composer


def test_empty_reply_is_refused_and_saves_nothing(agent_client, ticket):
    response = agent_client.post(action("reply", ticket), {"body": "   "}, **HX)
    assert "This field is required." in response.content.decode()
    assert ticket.messages.count() == 0


def test_reply_with_a_forbidden_file_type_is_refused_and_keeps_the_draft(agent_client, ticket):
    upload = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    response = agent_client.post(action("reply", ticket), {"body": "My draft", "attachments": [upload]}, **HX)
    html = response.content.decode()
    assert "“virus.exe” is not an allowed file type." in html
    assert "My draft" in html
    assert ticket.messages.count() == 0


def test_stale_reply_keeps_the_draft_and_lists_the_new_messages(agent_client, agent, other_agent, ticket):
    seen = services.latest_event_id(ticket)
    services.reply_to_ticket(other_agent, ticket, body="I already answered this")
    response = agent_client.post(action("reply", ticket), {"body": "My draft", "seen_event_id": seen}, **HX)
    html = response.content.decode()
    assert "New messages arrived while you were writing" in html
    assert "I already answered this" in html
    assert ">My draft</textarea>" in html
    assert 'name="force"' in html and "Send anyway" in html
    assert not ticket.messages.filter(author=agent).exists()


def test_send_anyway_after_a_stale_warning_sends_the_draft(agent_client, agent, other_agent, ticket):
    seen = services.latest_event_id(ticket)
    services.reply_to_ticket(other_agent, ticket, body="I already answered this")
    data = {"body": "My draft", "seen_event_id": seen, "force": "on"}
    agent_client.post(action("reply", ticket), data, **HX)
    assert ticket.messages.filter(author=agent, body="My draft").exists()


def test_stale_reply_without_javascript_shows_the_whole_page_with_the_draft(agent_client, other_agent, ticket):
    seen = services.latest_event_id(ticket)
    services.reply_to_ticket(other_agent, ticket, body="Someone was faster")
    response = agent_client.post(action("reply", ticket), {"body": "My draft", "seen_event_id": seen})
    html = response.content.decode()
    assert "<html" in html and ">My draft</textarea>" in html and "Someone was faster" in html


# --- who may use the workspace ----------------------------------------------------------------


def _every_agent_url(ticket):
    return [
        ("get", LIST),
        ("get", AGENTS),
        ("post", BULK),
        ("get", detail(ticket)),
        ("post", action("claim", ticket)),
        ("post", action("update", ticket)),
        ("post", action("reply", ticket)),
    ]


def test_customers_get_404_on_every_agent_url(client, alice, ticket):
    client.force_login(alice)
    for method, url in _every_agent_url(ticket):
        assert getattr(client, method)(url).status_code == 404, url
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.messages.count() == 0


def test_anonymous_visitors_are_sent_to_login_from_every_agent_url(client, ticket):
    for method, url in _every_agent_url(ticket):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_actions_refuse_get(agent_client, ticket):
    assert agent_client.get(BULK).status_code == 405
    assert agent_client.get(action("claim", ticket)).status_code == 405


# --- query counts and page size ---------------------------------------------------------------------

# Session and user are two of each budget. Rows bring their queue and category
# by prefetch (two small queries) rather than by join: see TicketQuerySet.with_list_columns.
LIST_QUERIES = 8  # + counts, page rows, their queues and categories, queue and category choices
FRAGMENT_QUERIES = 6  # + counts, page rows, their queues and categories
# + ticket, its queue, category and tags, timeline, attachments, category and queue choices, the agent's macro
# still in its undo window
DETAIL_QUERIES = 11


def _many_tickets(n, alice, agent):
    queue = QueueFactory()
    category = CategoryFactory()
    for i in range(n):
        requester = CustomerFactory(organization=alice.organization) if i % 3 else alice
        assignee = AgentFactory() if i % 2 else agent
        TicketFactory(requester=requester, assignee=assignee, queue=queue, category=category)


@pytest.mark.parametrize(("headers", "budget"), [({}, LIST_QUERIES), (HX, FRAGMENT_QUERIES)])
def test_queue_page_queries_do_not_grow_with_tickets(
    agent_client, agent, alice, headers, budget, django_assert_max_num_queries
):
    _many_tickets(5, alice, agent)
    with django_assert_max_num_queries(budget) as few:
        agent_client.get(LIST, **headers)
    _many_tickets(40, alice, agent)
    with django_assert_max_num_queries(budget) as many:
        agent_client.get(LIST, {"sort": "priority"}, **headers)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_filtered_queue_page_stays_within_budget(agent_client, agent, alice, django_assert_max_num_queries):
    _many_tickets(30, alice, agent)
    query = {"q": "printer", "status": "new", "priority": 3, "queue": 1, "category": 1, "assignee": "me"}
    # a filtered list counts its own rows, and the queue and category choices are checked
    with django_assert_max_num_queries(LIST_QUERIES + 3):
        response = agent_client.get(LIST, query)
    assert response.status_code == 200


def test_queue_page_stays_small_at_a_full_page_of_rows(agent_client, agent, alice, settings):
    settings.FIRSTLINE_PAGE_SIZE = 25
    _many_tickets(30, alice, agent)
    response = agent_client.get(LIST)
    assert len(listed(response)) == 25
    assert len(response.content) < 80 * 1024


def test_ticket_page_queries_do_not_grow_with_messages(agent_client, agent, ticket, django_assert_max_num_queries):
    MessageFactory.create_batch(3, ticket=ticket)
    with django_assert_max_num_queries(DETAIL_QUERIES) as few:
        agent_client.get(detail(ticket))
    MessageFactory.create_batch(12, ticket=ticket, author=agent)
    MessageFactory.create_batch(5, ticket=ticket, author=AgentFactory(), is_internal=True)
    services.update_ticket(agent, ticket, priority=Priority.HIGH, status=Status.OPEN)
    with django_assert_max_num_queries(DETAIL_QUERIES) as many:
        agent_client.get(detail(ticket))
    assert len(few.captured_queries) == len(many.captured_queries)
