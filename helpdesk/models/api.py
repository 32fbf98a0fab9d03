"""The ticket API's clients and the requests they made (for idempotent replays)."""

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Organization, Ticket


def hash_token(token):
    # Tokens are 32 random bytes, so a plain SHA-256 is enough (no salt or slow hash needed),
    # and looking a token up by its hash compares nothing secret in Python.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClient(models.Model):
    """Another system allowed to open tickets for customers of all, or of chosen, organizations."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token starts with"), max_length=12, editable=False, blank=True)
    all_organizations = models.BooleanField(
        _("every organization"),
        default=False,
        help_text=_("May open and read tickets for customers of every organization, present and future."),
    )
    organizations = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="+",
        verbose_name=_("organizations"),
        help_text=_("The organizations whose customers it may open and read tickets for, unless every one."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ticket API client")
        verbose_name_plural = _("ticket API clients")

    def __str__(self):
        return self.name


class ApiTicketRequest(models.Model):
    """One `POST /api/tickets/` that opened a ticket, kept under its Idempotency-Key.

    The answer is stored as sent, so a replay of the key gets the same answer
    even after the ticket moved on; `fingerprint` (a digest of the body)
    tells a replay from a different request reusing the key.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="requests")
    key = models.CharField(_("idempotency key"), max_length=120)
    fingerprint = models.CharField(max_length=64)
    # Empty only inside the transaction that opens the ticket: the row is written first so that a
    # concurrent request with the same key waits on the unique index instead of opening a second ticket.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, related_name="+")
    answer = models.JSONField(default=dict)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket API request")
        verbose_name_plural = _("ticket API requests")
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="api_ticket_request_client_key"),
        ]
        # The daily sweep forgets requests older than FIRSTLINE_TICKET_API_KEEP_DAYS by this index.
        indexes = [models.Index(fields=["created_at"], name="api_ticket_request_created")]

    def __str__(self):
        return f"{self.client_id}:{self.key}"
