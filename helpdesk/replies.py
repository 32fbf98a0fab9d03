"""Reply templates on a ticket: which ones fit it, and their text in the customer's language."""

from django.conf import settings
from django.db.models import Q
from django.utils.text import Truncator

from comms.models import MessageTemplate
from comms.services import render_template

from .models import Priority, Status

LIST_LIMIT = 20
EXCERPT_CHARS = 280


def templates_for(ticket, query=""):
    """Active reply templates for the ticket's category (or for any category), matching `query` by name."""
    category = ticket.category.slug if ticket.category_id and ticket.category else ""
    templates = MessageTemplate.objects.filter(kind="reply", is_active=True).filter(
        Q(category_slug="") | Q(category_slug=category)
    )
    query = (query or "").strip()[:80]
    if query:
        templates = templates.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    return list(templates.order_by("name")[:LIST_LIMIT])


def ticket_values(ticket, agent):
    """The plain data a ticket's templates may use."""
    site = settings.FIRSTLINE_SITE_URL
    return {
        "customer_name": ticket.requester.display_name,
        "organization": ticket.organization.name,
        "site_url": site,
        "ticket_ref": ticket.ref,
        "ticket_subject": ticket.subject,
        "ticket_url": f"{site}{ticket.get_portal_url()}",
        "ticket_agent_url": f"{site}{ticket.get_absolute_url()}",
        "agent_name": agent.display_name if agent else "",
        "priority": str(Priority(ticket.priority).label),
        "status": str(Status(ticket.status).label),
    }


def message_values(message):
    """A message's text for the notices that carry it."""
    return {
        "message_body": message.body,
        "message_excerpt": Truncator(" ".join(message.body.split())).chars(EXCERPT_CHARS),
        "author_name": message.author.display_name,
    }


def render_reply(template, ticket, agent):
    """The template's body for this ticket in the ticket's language, and the language actually used."""
    result = render_template(template, language=ticket.language, values=ticket_values(ticket, agent))
    return result["body"], result["language"]
