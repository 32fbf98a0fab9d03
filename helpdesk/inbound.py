"""Received email becomes tickets and replies.

comms stores and reads the email and sends `inbound_email_received`; the
receiver here decides what it is:

- a reply, when it answers one of our emails about a ticket (our thread or
  Message-ID markers in In-Reply-To/References) or names the ticket's
  reference in its subject — and only if the sender may see that ticket
  (its requester or a member of its organization). Guessing a reference
  gets an outsider nothing: their mail opens a ticket of their own;
- otherwise a new ticket for the sender, by `create_ticket`, so SLA clocks,
  arrival rules and the acknowledgement behave as for the portal;
- from an unknown address: held, rejected, or a new customer, as
  FIRSTLINE_INBOUND_UNKNOWN_SENDERS says.

A reply to a closed ticket opens a follow-up ticket (a customer cannot
reopen by email); a reply to a resolved one reopens it, as on the portal.
"""

import hashlib
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext as _

from comms.inbound import InboundOutcome
from comms.models import InboundStatus, OutboundMessage
from comms.services import mail_domain

from .accounts import create_customer_for_address
from .models import Channel, EventKind, Organization, Status, Ticket, User, ref_to_pk
from .services import allowed_content_type, clean_filename, create_ticket, reply_to_ticket
from .timeline import record_event

THREAD_MARKER = re.compile(r"^<thread\.([a-z0-9-]+)@([^<>\s]+)>$", re.IGNORECASE)
OUR_MESSAGE_ID = re.compile(r"^<([0-9a-f]{24})\.(\d{1,18})@([^<>\s]+)>$", re.IGNORECASE)


def route_inbound_email(sender, *, email, parsed, **kwargs):
    """Receiver of comms.signals.inbound_email_received."""
    return receive_email(parsed)


def receive_email(parsed):
    """Turn a parsed email into a ticket or a reply; returns the InboundOutcome for its row."""
    user, refusal = _sender_user(parsed)
    if user is None:
        return refusal
    files, skipped = _accepted_files(parsed.attachments)
    text = parsed.text or _("(The email had no text.)")
    ticket = _ticket_to_answer(user, parsed)
    if ticket is not None and ticket.status != Status.CLOSED:
        message = reply_to_ticket(user, ticket, body=text, attachments=files)
    else:
        subject = parsed.subject[:200] or _("(no subject)")
        ticket = create_ticket(
            user,
            requester=user,
            subject=subject,
            description=text,
            channel=Channel.EMAIL,
            attachments=files,
            inbound_address=parsed.recipient,
        )
        message = ticket.messages.order_by("pk").first()
    if skipped:
        record_event(ticket, user, EventKind.FILES_SKIPPED, data={"files": skipped}, is_public=True)
    return InboundOutcome(InboundStatus.PROCESSED, ticket_ref=ticket.ref, message_id=message.pk)


# --- who wrote ------------------------------------------------------------------------------


def _sender_user(parsed):
    """(user, None) for a sender we may act for, or (None, the outcome saying why not)."""
    people = list(User.objects.filter(email__iexact=parsed.sender, is_active=True).order_by("pk")[:5])
    customers = [person for person in people if person.is_customer]
    if len(customers) == 1:
        return customers[0], None
    if len(customers) > 1:
        return None, _held(_("Several customers share the address %(address)s.") % {"address": parsed.sender})
    if people:
        # Staff answer in the workspace; mail claiming to be from staff is not trusted to speak for them.
        return None, _held(_("Mail from a staff address is not turned into tickets or replies."))
    return _unknown_sender(parsed)


def _held(reason):
    return InboundOutcome(InboundStatus.HELD_UNKNOWN_SENDER, error=reason)


def _unknown_sender(parsed):
    mode = settings.FIRSTLINE_INBOUND_UNKNOWN_SENDERS
    unknown = _("No user has the address %(address)s.") % {"address": parsed.sender}
    if mode == "reject":
        return None, InboundOutcome(InboundStatus.REJECTED_UNKNOWN_SENDER, error=unknown)
    if mode != "create":
        return None, _held(unknown)
    try:
        validate_email(parsed.sender)
    except ValidationError:
        return None, _held(_("%(address)s is not a valid address.") % {"address": parsed.sender})
    domain = parsed.sender.rpartition("@")[2].lower()
    matches = Organization.objects.with_email_domain(domain)
    if len(matches) != 1:
        reason = (
            _("No organization uses the email domain %(domain)s.")
            if not matches
            else _("Several organizations use the email domain %(domain)s.")
        )
        return None, _held(reason % {"domain": domain})
    return _create_customer(parsed, matches[0]), None


def _create_customer(parsed, organization):
    """A customer of `organization` for an address that wrote to us; they set a password by reset."""
    return create_customer_for_address(None, organization, email=parsed.sender, name=parsed.sender_name)


# --- which ticket ---------------------------------------------------------------------------


def _ticket_to_answer(user, parsed):
    """The first ticket the email refers to that the sender may see, or None."""
    refs = [ref for ref in map(_ref_from_message_id, parsed.replied_ids) if ref]
    refs += _refs_in_subject(parsed.subject)
    pks = [pk for pk in (ref_to_pk(ref) for ref in dict.fromkeys(refs)) if pk]
    if not pks:
        return None
    visible = Ticket.objects.filter(pk__in=pks).filter(Q(requester=user) | Q(organization_id=user.organization_id))
    by_pk = {ticket.pk: ticket for ticket in visible}
    return next((by_pk[pk] for pk in pks if pk in by_pk), None)


def _ref_from_message_id(message_id):
    """The ticket reference one of our Message-IDs stands for, or ""."""
    domain = mail_domain().lower()
    thread = THREAD_MARKER.match(message_id)
    if thread and thread.group(2).lower() == domain:
        return thread.group(1).upper()
    ours = OUR_MESSAGE_ID.match(message_id)
    if not ours or ours.group(3).lower() != domain:
        return ""
    sent = OutboundMessage.objects.filter(pk=int(ours.group(2))).values_list("idempotency_key", "reference").first()
    if sent is None:
        return ""
    key, reference = sent
    # The digest proves the id was ours and not made up around a row number.
    if hashlib.sha256(key.encode()).hexdigest()[:24] != ours.group(1).lower():
        return ""
    return reference


def _refs_in_subject(subject):
    prefix = re.escape(settings.FIRSTLINE_REF_PREFIX)
    found = re.findall(rf"(?<![A-Za-z0-9]){prefix}-(\d{{1,12}})(?!\d)", subject or "", flags=re.IGNORECASE)
    return [f"{settings.FIRSTLINE_REF_PREFIX}-{number}" for number in found]


# --- attachments ------------------------------------------------------------------------------


def _accepted_files(attachments):
    """(files to keep, [{name, reason}] of those left out) under the portal's attachment rules."""
    kept, skipped = [], []
    for attachment in attachments:
        name = clean_filename(attachment.filename)
        if allowed_content_type(name) is None:
            reason = "type"
        elif attachment.size == 0:
            reason = "empty"
        elif attachment.size > settings.FIRSTLINE_ATTACHMENT_MAX_BYTES:
            reason = "size"
        elif len(kept) >= settings.FIRSTLINE_ATTACHMENT_MAX_FILES:
            reason = "count"
        else:
            kept.append(ContentFile(attachment.data, name=name))
            continue
        skipped.append({"name": name, "reason": reason})
    return kept, skipped
