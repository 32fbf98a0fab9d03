"""Tags, macros (one click: a reply and field changes, with an undo window) and reminders."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Message, Priority, Role, Status


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class Assignment(models.TextChoices):
    KEEP = "", _("Leave as it is")
    ME = "me", _("Assign to the agent applying it")
    NOBODY = "none", _("Unassign")


class ReminderUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


class MacroQuerySet(models.QuerySet):
    def for_ticket(self, ticket, query=""):
        """Active macros for the ticket's category (or for any), matching `query` by name, with what the list shows."""
        category = ticket.category.slug if ticket.category_id and ticket.category else ""
        macros = self.filter(is_active=True).filter(Q(category_slug="") | Q(category_slug=category))
        query = (query or "").strip()[:80]
        if query:
            macros = macros.filter(name__icontains=query)
        return macros.select_related("reply_template").prefetch_related("add_tags", "remove_tags")


class Macro(models.Model):
    """A canned action an agent applies in one click: a reply and changes to the ticket.

    Admin data. The reply is a reply template rendered in the customer's
    language; every change is optional.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    reply_template = models.ForeignKey(
        "comms.MessageTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "reply"},
        verbose_name=_("reply template"),
        help_text=_("Sent to the customer as a public reply, in their language. Leave empty for no reply."),
    )
    set_status = models.CharField(_("set status"), max_length=16, choices=Status.choices, blank=True)
    set_priority = models.PositiveSmallIntegerField(_("set priority"), choices=Priority.choices, null=True, blank=True)
    add_tags = models.ManyToManyField(Tag, blank=True, related_name="+", verbose_name=_("add tags"))
    remove_tags = models.ManyToManyField(Tag, blank=True, related_name="+", verbose_name=_("remove tags"))
    assignment = models.CharField(_("assignee"), max_length=4, choices=Assignment.choices, blank=True)
    remind_in = models.PositiveSmallIntegerField(
        _("remind me in"), null=True, blank=True, help_text=_("Empty: no reminder.")
    )
    remind_unit = models.CharField(
        _("reminder unit"), max_length=5, choices=ReminderUnit.choices, default=ReminderUnit.DAYS
    )
    remind_only_if_no_reply = models.BooleanField(
        _("only if the customer has not answered"),
        default=True,
        help_text=_("The reminder is dropped silently when the customer replies before it is due."),
    )
    category_slug = models.SlugField(
        _("ticket category"), max_length=80, blank=True, help_text=_("Offered on tickets of this category; empty: all.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100, help_text=_("Lower comes first."))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MacroQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        constraints = [
            models.CheckConstraint(condition=Q(remind_in__isnull=True) | Q(remind_in__gte=1), name="macro_remind_in"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.reply_template_id and self.reply_template.kind != "reply":
            raise ValidationError({"reply_template": _("Choose a template of the kind “reply to a customer”.")})

    @property
    def remind_delta(self):
        if not self.remind_in:
            return None
        return (
            timedelta(hours=self.remind_in)
            if self.remind_unit == ReminderUnit.HOURS
            else timedelta(days=self.remind_in)
        )


class MacroApplication(models.Model):
    """One use of a macro on a ticket: what it changed, so that it can be undone within the window.

    `before` holds the values the macro replaced; `ticket_version` is the
    ticket's version right after the macro, so an undo sees whether anyone
    changed the ticket since.
    """

    macro = models.ForeignKey(Macro, on_delete=models.SET_NULL, null=True, related_name="applications")
    macro_name = models.CharField(max_length=120)
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="macro_applications")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    applied_at = models.DateTimeField(default=timezone.now)
    undo_until = models.DateTimeField()
    ticket_version = models.PositiveIntegerField()
    before = models.JSONField(default=dict)
    message = models.OneToOneField(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reminder = models.OneToOneField(
        "helpdesk.TicketReminder", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-applied_at", "-pk"]
        indexes = [models.Index(fields=["ticket", "actor", "-applied_at"], name="macro_app_ticket_actor")]
        verbose_name = _("macro application")
        verbose_name_plural = _("macro applications")

    def __str__(self):
        return f"{self.macro_name} on {self.ticket_id}"

    def can_undo(self, now):
        return self.undone_at is None and now < self.undo_until

    def seconds_left(self, now):
        return max(0, int((self.undo_until - now).total_seconds() + 0.999))


class ReminderOutcome(models.TextChoices):
    PENDING = "", _("Pending")
    NOTIFIED = "notified", _("Notified")
    ANSWERED = "answered", _("Customer answered first")
    CANCELLED = "cancelled", _("Cancelled")


class TicketReminderQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(done_at__isnull=True)

    def due(self, now):
        return self.pending().filter(due_at__lte=now)

    def answered_since_created(self):
        """Those whose ticket has a public customer message written after the reminder was set."""
        customer_reply = Message.objects.filter(
            ticket_id=OuterRef("ticket_id"),
            created_at__gt=OuterRef("created_at"),
            is_internal=False,
            author__role=Role.CUSTOMER,
        )
        return self.filter(only_if_no_reply=True).filter(Exists(customer_reply))

    def for_workspace(self, user):
        """The agent's reminders still worth showing: pending ones and fired ones not yet dismissed."""
        return (
            self.filter(agent=user, dismissed_at__isnull=True)
            .filter(Q(done_at__isnull=True) | Q(outcome=ReminderOutcome.NOTIFIED))
            .select_related("ticket")
            .order_by("due_at", "pk")
        )


class TicketReminder(models.Model):
    """ "Remind me in N days if the customer has not answered": swept by helpdesk.reminders."""

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="reminders")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_reminders")
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    only_if_no_reply = models.BooleanField(_("only if the customer has not answered"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ReminderOutcome.choices, blank=True)
    dismissed_at = models.DateTimeField(_("dismissed"), null=True, blank=True)

    objects = TicketReminderQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["due_at"], name="reminder_pending_due", condition=Q(done_at__isnull=True)),
            models.Index(fields=["agent", "dismissed_at", "due_at"], name="reminder_agent"),
        ]
        verbose_name = _("ticket reminder")
        verbose_name_plural = _("ticket reminders")

    def __str__(self):
        return f"{self.ticket_id} → {self.agent_id} @ {self.due_at:%Y-%m-%d %H:%M}"
