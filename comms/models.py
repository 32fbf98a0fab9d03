"""The outbox: every outgoing message is a row here before any channel is called."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundChannel(models.TextChoices):
    EMAIL = "email", _("Email")


class OutboundMessageQuerySet(models.QuerySet):
    def due(self, now):
        """Rows a delivery sweep should attempt now.

        Pending rows whose back-off has passed, and rows stuck in `sending`
        whose lease ran out (a worker died mid-send).
        """
        return self.filter(
            Q(status=OutboundStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboundStatus.SENDING, lease_until__lt=now)
        )

    def for_reference(self, reference):
        return self.filter(reference=reference)


class OutboundMessage(models.Model):
    """One message to one recipient for one reason.

    `idempotency_key` names the reason and the recipient (for example
    `ticket:42:reply:981:user:7`); its unique constraint is what guarantees a
    person never gets the same message twice, however often a service or a
    task runs.
    """

    idempotency_key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=12, choices=OutboundChannel.choices, default=OutboundChannel.EMAIL)
    recipient = models.CharField(_("recipient"), max_length=254)
    recipient_user_id = models.BigIntegerField(null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    # A free-form label tying the row to what caused it (e.g. "FL-1042"), so
    # an agent can see a ticket's deliveries without comms knowing tickets.
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_due"),
        ]

    def __str__(self):
        return f"{self.channel} to {self.recipient}: {self.subject}"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per try, kept after the message is sent."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField()
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["attempted_at", "pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self):
        return f"{self.message_id} {'ok' if self.succeeded else 'failed'}"
