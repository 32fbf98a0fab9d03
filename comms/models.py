"""The outbox: every outgoing message is a row here before any channel is called."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .templating import kind_choices, problems


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundChannel(models.TextChoices):
    """Ways we deliver a message. A phone call is not one of them: see services.notify_contact."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message (SMS)")
    PUSH = "push", _("Push notification")
    PORTAL = "portal", _("Portal inbox")
    CHAT = "chat", _("Internal chat")


class ContactChannel(models.TextChoices):
    """Ways a customer can be reached; a tier's allowed channels use the same names."""

    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Portal inbox")
    SMS = "sms", _("Text message (SMS)")
    PHONE = "phone", _("Phone call")
    PUSH = "push", _("Push notification")


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

    def claimed_by(self, token):
        return self.filter(lease_token=token, status=OutboundStatus.SENDING)


class OutboundMessage(models.Model):
    """One message to one recipient for one reason.

    `idempotency_key` names the reason and the recipient (for example
    `ticket:42:reply:981:user:7`); its unique constraint is what guarantees a
    person never gets the same message twice, however often a service or a
    task runs. One row is one channel: a notice sent by email and to the
    portal inbox is two rows (see services.notify_contact for their keys).
    """

    idempotency_key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=12, choices=OutboundChannel.choices, default=OutboundChannel.EMAIL)
    recipient = models.CharField(_("recipient"), max_length=254)
    recipient_user_id = models.BigIntegerField(null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    # Where the message was rendered from and in which language (empty for built-in texts).
    template_slug = models.CharField(_("template"), max_length=80, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    # A page the message is about (portal inbox, push): a path on this site or an http(s) address.
    link = models.CharField(_("link"), max_length=500, blank=True)
    # A free-form label tying the row to what caused it (e.g. "FL-1042"), so
    # an agent can see a ticket's deliveries without comms knowing tickets.
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    # Emails with the same thread answer one another in the customer's mail program (In-Reply-To).
    thread = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set by the claim that moved the row to `sending`: a worker reads back exactly the rows it claimed.
    lease_token = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The provider's id for the message (SMTP Message-ID, SMS gateway id…), to trace it on their side.
    provider_id = models.CharField(_("provider id"), max_length=255, blank=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_due"),
            # "What did this person hear from us lately" (the journey engine's once-per-root-cause check).
            models.Index(fields=["recipient_user_id", "created_at"], name="outbox_recipient_recent"),
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


class PortalNotificationQuerySet(models.QuerySet):
    def for_user(self, user_id):
        return self.filter(user_id=user_id)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def unread_count(self, user_id):
        return self.for_user(user_id).unread().count()


class PortalNotification(models.Model):
    """A message in a customer's portal inbox: what "sending" on the portal channel writes.

    One per outbox row (the unique one-to-one is what makes a repeated
    delivery harmless). The user is a plain id: comms knows no user model.
    """

    message = models.OneToOneField(
        OutboundMessage, on_delete=models.CASCADE, related_name="portal_notification", verbose_name=_("outbox row")
    )
    user_id = models.BigIntegerField(_("user id"))
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = PortalNotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("portal notification")
        verbose_name_plural = _("portal notifications")
        indexes = [models.Index(fields=["user_id", "read_at"], name="portal_note_user_unread")]

    def __str__(self):
        return self.title

    @property
    def is_read(self):
        return self.read_at is not None


class MessageTemplate(models.Model):
    """Words of a message Firstline sends, edited by admins and translated per language.

    Subject, body and the short text (SMS, push) are translated through
    django-modeltranslation (comms/translation.py); placeholders come from
    the kind's vocabulary (comms/templating.py) and are checked at save.
    """

    kind = models.CharField(_("kind"), max_length=30, choices=kind_choices)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    category_slug = models.SlugField(
        _("ticket category"),
        max_length=80,
        blank=True,
        help_text=_("For replies: offered on tickets of this category."),
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    short_text = models.CharField(_("short text (SMS, push)"), max_length=320, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self):
        return self.name

    def clean(self):
        from django.conf import settings
        from django.core.exceptions import ValidationError

        errors = {}
        for field in ("subject", "body", "short_text"):
            for code, _label in settings.LANGUAGES:
                name = f"{field}_{code.replace('-', '_')}"
                found = problems(self.kind, getattr(self, name, None))
                if found:
                    errors[name] = found
        if errors:
            raise ValidationError(errors)

    def translated(self, field, language):
        """(text, language used): the language's own text, or English when it has none."""
        from django.conf import settings

        own = getattr(self, f"{field}_{language.replace('-', '_')}", None)
        if own:
            return own, language
        return getattr(self, f"{field}_{settings.MODELTRANSLATION_DEFAULT_LANGUAGE}", "") or "", "en"


class Severity(models.TextChoices):
    P1 = "p1", _("P1 · critical")
    P2 = "p2", _("P2 · high")
    P3 = "p3", _("P3 · medium")
    P4 = "p4", _("P4 · low")
    ROUTINE = "routine", _("Routine")


class ChannelRule(models.Model):
    """Which channels a message of a severity goes out on; the tier and the customer narrow it down."""

    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, unique=True)
    channels = models.JSONField(_("channels"), default=list, help_text=_("In order, for example: sms, email, portal."))
    add_preferred = models.BooleanField(_("add the customer's preferred channel"), default=True)
    add_backup = models.BooleanField(_("add the customer's backup channel"), default=False)

    class Meta:
        ordering = ["severity"]
        verbose_name = _("channel rule")
        verbose_name_plural = _("channel rules")

    def __str__(self):
        return self.get_severity_display()

    def clean(self):
        from django.core.exceptions import ValidationError

        unknown = [c for c in self.channels or [] if c not in ContactChannel.values]
        if not isinstance(self.channels, list) or unknown:
            raise ValidationError(
                {"channels": _("Unknown channels: %(names)s.") % {"names": ", ".join(map(str, unknown)) or "?"}}
            )


# --- inbound email --------------------------------------------------------------------


class InboundSource(models.TextChoices):
    IMAP = "imap", _("IMAP mailbox")
    HTTP = "http", _("HTTP endpoint")


class InboundStatus(models.TextChoices):
    NEW = "new", _("New")
    # Only ever seen inside the transaction that processes the row.
    PROCESSING = "processing", _("Processing")
    PROCESSED = "processed", _("Processed")
    IGNORED_AUTO_REPLY = "ignored_auto_reply", _("Ignored: automatic reply or bounce")
    HELD_UNKNOWN_SENDER = "held_unknown_sender", _("Held: unknown sender")
    REJECTED_UNKNOWN_SENDER = "rejected_unknown_sender", _("Ignored: unknown sender")
    FAILED = "failed", _("Failed")


# Statuses an admin may send through processing again. A processed row never
# goes back: it already made its ticket or message.
REPROCESSABLE_STATUSES = (
    InboundStatus.FAILED,
    InboundStatus.HELD_UNKNOWN_SENDER,
    InboundStatus.REJECTED_UNKNOWN_SENDER,
)


class InboundEmail(models.Model):
    """One received email, kept byte for byte before anything is done with it.

    The row is written first and processed afterwards (comms.inbound), so a
    message that cannot be parsed or routed is never lost: it stays here with
    its status and the reason. The Message-ID is unique when present, so the
    same email fetched or posted twice is processed once.
    """

    raw = models.BinaryField(_("raw message"), editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    message_id = models.CharField(_("Message-ID"), max_length=255, null=True, blank=True)
    sender = models.CharField(_("from"), max_length=254, blank=True)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    source = models.CharField(_("source"), max_length=8, choices=InboundSource.choices)
    status = models.CharField(_("status"), max_length=24, choices=InboundStatus.choices, default=InboundStatus.NEW)
    error = models.TextField(_("reason"), blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # What the email became, as plain values: comms knows nothing of tickets.
    ticket_ref = models.CharField(_("ticket"), max_length=32, blank=True, db_index=True)
    ticket_message_id = models.BigIntegerField(_("ticket message id"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(message_id__isnull=False) & ~Q(message_id=""),
                name="inbound_email_unique_message_id",
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status_received")]

    def __str__(self):
        return f"{self.sender or '?'}: {self.subject}"
