"""Ticket API clients: their tokens, the customers in their scope, and the tickets they open.

The HTTP side (parsing, refusals, status codes) is helpdesk.ticket_api; these
are the services it, the admin and seed_demo call.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from .accounts import absolute_url, create_customer_for_address
from .models import ApiClient, ApiTicketRequest, Channel, Organization, Priority, User, email_domain, hash_token
from .services import create_ticket

TOKEN_PREFIX = "flt_"  # noqa: S105 - a prefix that tells our tokens apart in logs and secret scanners


def new_token():
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_api_client(actor, *, name, organizations=(), all_organizations=False, token=None):
    """A new client that may open tickets for customers of `organizations` (or of every one).

    Returns (client, token): the only time the token is seen; only its hash is stored.
    """
    token = token or new_token()
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=name, all_organizations=all_organizations, token_hash=hash_token(token), token_hint=token[:10]
        )
        client.organizations.set(organizations)
    return client, token


def rotate_api_token(actor, client, *, token=None):
    """Replace the client's token: the old one stops working at once. Returns the new token."""
    token = token or new_token()
    ApiClient.objects.filter(pk=client.pk).update(token_hash=hash_token(token), token_hint=token[:10])
    client.refresh_from_db()
    return token


class RequesterNotFound(Exception):
    """No customer in the client's scope has the address (or several have it)."""

    def __init__(self, ambiguous=False):
        super().__init__("ambiguous" if ambiguous else "not found")
        self.ambiguous = ambiguous


class KeyReused(Exception):
    """The Idempotency-Key was used before for a different request."""


def find_requester(client, email):
    """The customer an API request names, within the client's scope.

    The rule of inbound email for an address no user has
    (FIRSTLINE_INBOUND_UNKNOWN_SENDERS): "create" makes a customer of the one
    organization whose email domains match, if that organization is in the
    client's scope; "hold" and "reject" refuse, since an API call has no
    place to wait for an admin. A customer of an organization outside the
    scope is refused exactly like an unknown address (RequesterNotFound), so
    a client learns nothing about other organizations. Several customers in
    scope sharing the address are refused too, as inbound email holds them.
    """
    # The tier comes along: triage and the SLA clocks read it next.
    customers = User.objects.for_api_client(client).filter(email__iexact=email)
    found = list(customers.select_related("organization__tier")[:2])
    if len(found) == 1:
        return found[0]
    if found:
        raise RequesterNotFound(ambiguous=True)
    if settings.FIRSTLINE_INBOUND_UNKNOWN_SENDERS != "create" or User.objects.filter(email__iexact=email).exists():
        raise RequesterNotFound
    try:
        validate_email(email)
    except ValidationError:
        raise RequesterNotFound from None
    matches = Organization.objects.with_email_domain(email_domain(email))
    if len(matches) != 1 or not _in_scope(client, matches[0]):
        raise RequesterNotFound
    return create_customer_for_address(None, matches[0], email=email)


def _in_scope(client, organization):
    return client.all_organizations or client.organizations.filter(pk=organization.pk).exists()


def stored_answer(client, key, fingerprint):
    """The answer given to an earlier request with this key, or None; KeyReused when its body differed."""
    earlier = ApiTicketRequest.objects.filter(client=client, key=key).values("fingerprint", "answer").first()
    if earlier is None:
        return None
    if earlier["fingerprint"] != fingerprint:
        raise KeyReused
    return earlier["answer"]


def open_ticket_by_api(
    client, *, key, fingerprint, requester_email, subject, description, language=None, priority=None, tags=()
):
    """Open a ticket for a customer in the client's scope, exactly as the portal does: triaged, acknowledged.

    Idempotent by `key`: the request row is written first, in the same
    transaction as the ticket, so a concurrent request with the same key
    waits on the unique index and then replays this answer; a refusal
    (RequesterNotFound) rolls everything back. The requester is the actor:
    the description is their words, and a `priority` they give is what the
    customer said, which triage rules may overrule (as on the portal).
    Category, queue and assignee are triage's alone.
    """
    with transaction.atomic():
        request = ApiTicketRequest.objects.create(client=client, key=key, fingerprint=fingerprint)
        requester = find_requester(client, requester_email)
        ticket = create_ticket(
            requester,
            requester=requester,
            subject=subject,
            description=description,
            channel=Channel.API,
            language=language,
            priority=priority,
            tags=tags,
        )
        request.ticket = ticket
        request.answer = describe_ticket(ticket)
        request.save(update_fields=["ticket", "answer"])
    return request.answer


def describe_ticket(ticket):
    """A new ticket as the API answers it: where triage put it."""
    return {
        "ticket": ticket.ref,
        "url": absolute_url(ticket.get_portal_url()),
        "status": ticket.status,
        "priority": Priority(ticket.priority).name.lower(),
        "language": ticket.language,
        "queue": ticket.queue.name if ticket.queue_id else None,
        "category": ticket.category.slug if ticket.category_id else None,
        "assigned": ticket.assignee_id is not None,
    }


def describe_state(ticket):
    """A ticket's public state (read with Ticket.objects.with_public_state())."""
    return {
        "ticket": ticket.ref,
        "url": absolute_url(ticket.get_portal_url()),
        "status": ticket.status,
        "priority": Priority(ticket.priority).name.lower(),
        "public_messages": ticket.public_messages,
        "updated_at": ticket.updated_at.isoformat(),
    }


def forget_old_requests(*, now=None):
    """Forget API requests older than FIRSTLINE_TICKET_API_KEEP_DAYS; returns how many.

    One DELETE by the creation-time index, whatever the volume. Their
    tickets stay; only the Idempotency-Key is no longer honoured, so a client
    retrying a key after that many days opens a new ticket. Safe to run twice
    or at the same time as another run: the second deletes nothing.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.FIRSTLINE_TICKET_API_KEEP_DAYS)
    deleted, _by_model = ApiTicketRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
