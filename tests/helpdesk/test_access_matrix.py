"""Every URL of the project, walked as every kind of visitor.

A customer of another organization gets 404 for anything of Acme's, exactly
as for a ticket that does not exist; customers get 404 on agent pages and
agents on portal pages.
"""

import re
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from helpdesk.models import Attachment, Role
from helpdesk.services import set_user_role

from .factories import AgentFactory, CustomerFactory, MessageFactory, OrganizationFactory, TicketFactory

LOGIN = "login"  # expected: redirect to the login page
VISITORS = ["anonymous", "alice", "bob", "agent", "manager", "admin"]

# (method, url template, expected status per visitor in VISITORS order)
MATRIX = [
    ("get", "/", [LOGIN, 302, 302, 302, 302, 302]),
    ("get", "/healthz", [200, 200, 200, 200, 200, 200]),
    ("get", "/accounts/login/", [200, 302, 302, 302, 302, 302]),
    ("get", "/portal/", [LOGIN, 200, 200, 404, 404, 404]),
    ("get", "/portal/tickets/new/", [LOGIN, 200, 200, 404, 404, 404]),
    ("get", "/portal/preferences/", [LOGIN, 200, 200, 404, 404, 404]),
    ("get", "/portal/tickets/{ref}/", [LOGIN, 200, 404, 404, 404, 404]),
    ("get", "/portal/tickets/FL-99999/", [LOGIN, 404, 404, 404, 404, 404]),
    ("post", "/portal/tickets/{ref}/reply/", [LOGIN, 302, 404, 404, 404, 404]),
    ("post", "/portal/tickets/{ref}/close/", [LOGIN, 302, 404, 404, 404, 404]),
    ("post", "/portal/tickets/{ref}/reopen/", [LOGIN, 302, 404, 404, 404, 404]),
    ("get", "/agent/", [LOGIN, 404, 404, 200, 200, 200]),
    ("get", "/agent/agents/", [LOGIN, 404, 404, 200, 200, 200]),
    ("get", "/agent/tickets/{ref}/", [LOGIN, 404, 404, 200, 200, 200]),
    ("post", "/agent/tickets/{ref}/claim/", [LOGIN, 404, 404, 302, 302, 302]),
    ("post", "/agent/tickets/{ref}/fields/", [LOGIN, 404, 404, 302, 302, 302]),
    ("post", "/agent/tickets/{ref}/messages/", [LOGIN, 404, 404, 302, 302, 302]),
    ("post", "/agent/tickets/bulk/", [LOGIN, 404, 404, 302, 302, 302]),
    # An empty handoff form is refused and shown again (200); acknowledging redirects.
    ("post", "/agent/tickets/{ref}/escalate/", [LOGIN, 404, 404, 200, 200, 200]),
    ("post", "/agent/tickets/{ref}/deescalate/", [LOGIN, 404, 404, 200, 200, 200]),
    ("post", "/agent/tickets/{ref}/acknowledge/", [LOGIN, 404, 404, 302, 302, 302]),
    ("post", "/agent/tickets/{ref}/escalation-request/", [LOGIN, 404, 404, 200, 200, 200]),
    ("get", "/agent/tickets/{ref}/sla/", [LOGIN, 404, 404, 200, 200, 200]),
    ("get", "/agent/tickets/{ref}/templates/", [LOGIN, 404, 404, 200, 200, 200]),
    ("get", "/agent/tickets/{ref}/deliveries/", [LOGIN, 404, 404, 200, 200, 200]),
    ("get", "/agent/tickets/{ref}/templates/no-such-template/", [LOGIN, 404, 404, 404, 404, 404]),
    ("post", "/portal/tickets/{ref}/escalate/", [LOGIN, 302, 404, 404, 404, 404]),
    ("get", "/attachments/{public_attachment}/report.txt", [LOGIN, 200, 404, 200, 200, 200]),
    ("get", "/attachments/{internal_attachment}/notes.txt", [LOGIN, 404, 404, 200, 200, 200]),
    ("get", "/manager/", [LOGIN, 404, 404, 404, 200, 200]),
    ("get", "/manager/export.csv?section=compliance", [LOGIN, 404, 404, 404, 200, 200]),
    ("get", "/admin/", [302, 302, 302, 302, 200, 200]),
    ("get", "/admin/helpdesk/ticket/", [302, 302, 302, 302, 200, 200]),
    ("get", "/admin/comms/inboundemail/", [302, 302, 302, 302, 200, 200]),
    # Inbound email is off (404) for everyone until INBOUND_EMAIL_TOKEN is set; a session is no token.
    ("post", "/inbound/email/", [404, 404, 404, 404, 404, 404]),
    ("post", "/accounts/logout/", [302, 302, 302, 302, 302, 302]),
]


@pytest.fixture
def world(db):
    call_command("setup_roles", stdout=StringIO())
    acme = OrganizationFactory(name="Acme")
    alice = CustomerFactory(username="alice", organization=acme)
    bob = CustomerFactory(username="bob", organization=OrganizationFactory(name="Globex"))
    agent = AgentFactory(username="agent1")
    manager = AgentFactory(username="manager", manager=True)
    admin = AgentFactory(username="admin")
    set_user_role(None, manager, role=Role.MANAGER)
    set_user_role(None, admin, role=Role.ADMIN)
    ticket = TicketFactory(requester=alice)
    public = MessageFactory(ticket=ticket, author=alice)
    internal = MessageFactory(ticket=ticket, author=agent, is_internal=True)
    attachments = {}
    for key, message, name in (
        ("public_attachment", public, "report.txt"),
        ("internal_attachment", internal, "notes.txt"),
    ):
        attachment = Attachment(message=message, original_name=name, content_type="text/plain", size=5)
        attachment.file.save(name, ContentFile(b"hello"), save=False)
        attachment.save()
        attachments[key] = attachment.pk
    users = {"anonymous": None, "alice": alice, "bob": bob, "agent": agent, "manager": manager, "admin": admin}
    return {"users": users, "ref": ticket.ref, **attachments}


def _cases():
    for method, url, statuses in MATRIX:
        for visitor, expected in zip(VISITORS, statuses, strict=True):
            yield pytest.param(method, url, visitor, expected, id=f"{method} {url} as {visitor}")


@pytest.mark.parametrize(("method", "url", "visitor", "expected"), list(_cases()))
def test_access(client, world, method, url, visitor, expected):
    user = world["users"][visitor]
    if user is not None:
        client.force_login(user)
    path = url.format(**{k: v for k, v in world.items() if k != "users"})
    data = {"body": "hi", "version": 1, "tickets": [1], "status": "open"} if method == "post" else None
    response = getattr(client, method)(path, data)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == expected


def test_another_organizations_ticket_looks_exactly_like_a_missing_one(client, world):
    client.force_login(world["users"]["bob"])
    existing = client.get(f"/portal/tickets/{world['ref']}/")
    missing = client.get("/portal/tickets/FL-99999/")
    assert existing.status_code == missing.status_code == 404

    def without_token(response):
        content = re.sub(rb'"X-CSRFToken": "[^"]+"', b"", response.content)
        return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)

    assert without_token(existing) == without_token(missing)


def test_attachment_is_served_with_its_original_name_and_content(client, world):
    client.force_login(world["users"]["alice"])
    response = client.get(f"/attachments/{world['public_attachment']}/report.txt")
    assert b"".join(response.streaming_content) == b"hello"
    assert 'filename="report.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_media_files_have_no_public_url(client, world, settings):
    client.force_login(world["users"]["alice"])
    attachment = Attachment.objects.get(pk=world["public_attachment"])
    assert client.get(settings.MEDIA_URL + attachment.file.name).status_code == 404
    assert client.get("/" + attachment.file.name).status_code == 404
    assert client.get("/media/" + attachment.file.name).status_code == 404


# Organization admins: Acme's admin sees every Acme ticket (here alice's), a plain
# colleague only their own, and Globex's admin nothing of Acme's: 404, never 403.
ORG_VISITORS = ["acme_admin", "acme_colleague", "globex_admin"]
ORG_MATRIX = [
    ("get", "/portal/", [200, 200, 200]),
    ("get", "/portal/tickets/{ref}/", [200, 404, 404]),
    ("get", "/portal/tickets/FL-99999/", [404, 404, 404]),
    ("post", "/portal/tickets/{ref}/reply/", [302, 404, 404]),
    ("post", "/portal/tickets/{ref}/close/", [302, 404, 404]),
    ("post", "/portal/tickets/{ref}/reopen/", [302, 404, 404]),
    ("post", "/portal/tickets/{ref}/escalate/", [302, 404, 404]),
    ("get", "/attachments/{public_attachment}/report.txt", [200, 404, 404]),
    ("get", "/attachments/{internal_attachment}/notes.txt", [404, 404, 404]),
    ("get", "/agent/", [404, 404, 404]),
    ("get", "/agent/tickets/{ref}/", [404, 404, 404]),
    ("get", "/manager/", [404, 404, 404]),
    ("get", "/admin/helpdesk/user/", [302, 302, 302]),
]


@pytest.fixture
def org_world(world):
    acme = world["users"]["alice"].organization
    globex = world["users"]["bob"].organization
    world["users"].update(
        acme_admin=CustomerFactory(username="carol", organization=acme, is_org_admin=True),
        acme_colleague=CustomerFactory(username="dave", organization=acme),
        globex_admin=CustomerFactory(username="gina", organization=globex, is_org_admin=True),
    )
    return world


def _org_cases():
    for method, url, statuses in ORG_MATRIX:
        for visitor, expected in zip(ORG_VISITORS, statuses, strict=True):
            yield pytest.param(method, url, visitor, expected, id=f"{method} {url} as {visitor}")


@pytest.mark.parametrize(("method", "url", "visitor", "expected"), list(_org_cases()))
def test_organization_admin_access(client, org_world, method, url, visitor, expected):
    client.force_login(org_world["users"][visitor])
    path = url.format(**{k: v for k, v in org_world.items() if k != "users"})
    data = {"body": "hi", "reason": "Still down"} if method == "post" else None
    response = getattr(client, method)(path, data)
    assert response.status_code == expected


def test_another_organizations_admin_sees_acme_tickets_exactly_like_missing_ones(client, org_world):
    client.force_login(org_world["users"]["globex_admin"])
    existing = client.get(f"/portal/tickets/{org_world['ref']}/")
    missing = client.get("/portal/tickets/FL-99999/")
    assert existing.status_code == missing.status_code == 404
    strip = re.compile(rb'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"')
    assert strip.sub(b"", existing.content) == strip.sub(b"", missing.content)
    assert org_world["ref"].encode() not in client.get("/portal/?show=all").content
