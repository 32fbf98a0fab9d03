"""Forms: parse and validate input before any service runs."""

import re
import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from comms.models import ContactChannel
from knowledge.models import Category as ArticleCategory

from .models import Category, Priority, Queue, Status, SupportLevel, User
from .services import allowed_content_type, clean_filename


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, each checked for size and type before anything is saved."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        kwargs.setdefault(
            "help_text",
            _("Up to %(count)s files, %(size)s MB each: images, PDF, text, logs, CSV, JSON, ZIP, Office documents.")
            % {
                "count": settings.FIRSTLINE_ATTACHMENT_MAX_FILES,
                "size": settings.FIRSTLINE_ATTACHMENT_MAX_BYTES // (1024 * 1024),
            },
        )
        super().__init__(*args, **kwargs)
        self.widget.attrs["accept"] = ",".join(sorted(settings.FIRSTLINE_ATTACHMENT_TYPES))

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [f for f in files if f]
        if len(files) > settings.FIRSTLINE_ATTACHMENT_MAX_FILES:
            raise ValidationError(
                _("You can attach at most %(count)s files."),
                code="too_many_files",
                params={"count": settings.FIRSTLINE_ATTACHMENT_MAX_FILES},
            )
        errors = []
        for upload in files:
            name = clean_filename(upload.name)
            if upload.size > settings.FIRSTLINE_ATTACHMENT_MAX_BYTES:
                errors.append(
                    ValidationError(
                        _("“%(name)s” is too large (%(size)s MB); the limit is %(limit)s MB."),
                        code="file_too_large",
                        params={
                            "name": name,
                            "size": round(upload.size / (1024 * 1024), 1),
                            "limit": settings.FIRSTLINE_ATTACHMENT_MAX_BYTES // (1024 * 1024),
                        },
                    )
                )
            elif allowed_content_type(name) is None:
                errors.append(
                    ValidationError(
                        _("“%(name)s” is not an allowed file type."),
                        code="file_type",
                        params={"name": name},
                    )
                )
            elif upload.size == 0:
                errors.append(ValidationError(_("“%(name)s” is empty."), code="file_empty", params={"name": name}))
        if errors:
            raise ValidationError(errors)
        return files


class TicketCreateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Describe the problem"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=_("Markdown is supported."),
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False)
    priority = forms.TypedChoiceField(
        label=_("How urgent is it?"),
        choices=Priority.choices,
        coerce=int,
        initial=Priority.MEDIUM,
    )
    attachments = AttachmentsField()

    def clean_subject(self):
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise ValidationError(_("Please give the ticket a subject."), code="blank_subject")
        return subject

    def clean_description(self):
        description = self.cleaned_data["description"].strip()
        if not description:
            raise ValidationError(_("Please describe the problem."), code="blank_description")
        return description


class DeflectionForm(forms.Form):
    """The article a customer says answered the ticket they were writing."""

    article = forms.SlugField(max_length=120)
    query = forms.CharField(required=False, strip=True)  # cut to size by record_deflection


class ArticleCaptureForm(forms.Form):
    """A knowledge base article drafted from a resolved ticket (English; translated later by editors)."""

    title = forms.CharField(
        label=_("Title"), max_length=200, error_messages={"required": _("Please give the article a title.")}
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        help_text=_("The answer in one sentence, as a customer would read it."),
        error_messages={"required": _("Please sum the answer up in one sentence.")},
    )
    body = forms.CharField(
        label=_("Article"),
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=20000,
        help_text=_("Markdown. Remove the customer's name, addresses and account details before you submit."),
        error_messages={"required": _("Please write the article.")},
    )
    category = forms.ModelChoiceField(
        label=_("Knowledge base category"),
        queryset=ArticleCategory.objects.all(),
        required=False,
        help_text=_("The reviewer can choose one if you leave it empty."),
    )

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_summary(self):
        return " ".join(self.cleaned_data["summary"].split())


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        help_text=_("Markdown is supported."),
    )
    attachments = AttachmentsField()
    internal = forms.BooleanField(label=_("Internal note (never shown to the customer)"), required=False)
    seen_event_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    # Set by the "Send anyway" button shown after new messages arrived.
    force = forms.BooleanField(required=False)

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError(_("The message is empty."), code="blank_body")
        return body


SORTS = {
    "updated": ("-updated_at", "-pk"),
    "-updated": ("updated_at", "pk"),
    "created": ("-created_at", "-pk"),
    "-created": ("created_at", "pk"),
    "priority": ("priority", "-updated_at", "-pk"),
    "-priority": ("-priority", "-updated_at", "-pk"),
    "due": (models.F("sla_due_at").asc(nulls_last=True), "pk"),
}
SORT_LABELS = {
    "updated": _("Recently updated"),
    "-updated": _("Least recently updated"),
    "created": _("Newest"),
    "-created": _("Oldest"),
    "priority": _("Most urgent"),
    "-priority": _("Least urgent"),
    "due": _("Next due first"),
}

QUEUES = {
    "mine": _("My open"),
    "unassigned": _("Unassigned"),
    "team": _("My team"),
    "open": _("All open"),
    "waiting": _("Waiting on customer"),
    "resolved": _("Recently resolved"),
    "breaching": _("Breaching soon"),
    "proactive": _("Proactive"),
}


class TicketFilterForm(forms.Form):
    """The agent queue's filters. Invalid values are dropped, never an error page."""

    view = forms.ChoiceField(choices=list(QUEUES.items()), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any status"))] + Status.choices, required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority"))] + Priority.choices,
        coerce=int,
        required=False,
        empty_value=None,
    )
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.all(), required=False, empty_label=_("Any queue")
    )
    level = forms.TypedChoiceField(
        label=_("Level"),
        choices=[("", _("Any level"))] + SupportLevel.choices,
        coerce=int,
        required=False,
        empty_value=None,
    )
    assignee = forms.CharField(
        label=_("Assignee"),
        required=False,
        max_length=150,
        help_text=_("A username, “me” or “none”."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False, empty_label=_("Any category")
    )
    sort = forms.ChoiceField(label=_("Sort"), choices=list(SORT_LABELS.items()), required=False)
    page = forms.IntegerField(required=False, min_value=1)


class BulkActionForm(forms.Form):
    tickets = forms.TypedMultipleChoiceField(
        coerce=int, choices=[], error_messages={"required": _("Select at least one ticket.")}
    )
    assignee = forms.CharField(required=False, max_length=150, label=_("Assign to"))
    status = forms.ChoiceField(choices=[("", "—")] + Status.choices, required=False, label=_("Set status"))
    priority = forms.TypedChoiceField(
        choices=[("", "—")] + Priority.choices, coerce=int, required=False, empty_value=None, label=_("Set priority")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any integer is accepted here; which tickets exist is the service's query.
        self.fields["tickets"].valid_value = lambda value: str(value).isdigit()

    def clean_assignee(self):
        return _clean_agent(self.cleaned_data["assignee"])

    def clean(self):
        data = super().clean()
        if not (data.get("assignee") or data.get("status") or data.get("priority")):
            raise ValidationError(_("Choose an assignee, a status or a priority to apply."), code="no_change")
        return data


def _clean_agent(username):
    """'' -> None, 'none' -> 'none' (unassign), else an active agent or an error."""
    username = (username or "").strip()
    if not username:
        return None
    if username.lower() == "none":
        return "none"
    agent = User.objects.agents().filter(username__iexact=username).first()
    if agent is None:
        raise ValidationError(_("No agent is called “%(name)s”."), code="unknown_agent", params={"name": username})
    return agent


class TicketFieldsForm(forms.Form):
    """Inline edits on the ticket page; `version` detects edits from a stale page."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, required=False, empty_value=None
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False)
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.all(), required=False)
    # The support level is not edited inline: raising it is an escalation with a
    # handoff package, lowering it a de-escalation with a reason (EscalateForm, DeescalateForm).
    assignee = forms.CharField(
        label=_("Assignee"), required=False, max_length=150, help_text=_("A username, or “none” to unassign.")
    )

    def clean_assignee(self):
        return _clean_agent(self.cleaned_data["assignee"])

    def changes(self):
        """Only the fields the submitted form actually carried."""
        data = self.cleaned_data
        changes = {}
        for name in ("status", "priority"):
            if name in self.data and data.get(name) not in (None, ""):
                changes[name] = data[name]
        for name in ("category", "queue"):
            if name in self.data:
                changes[name] = data.get(name)
        if "assignee" in self.data:
            agent = data.get("assignee")
            if agent == "none":
                changes["assignee"] = None
            elif agent is not None:
                changes["assignee"] = agent
        return changes


class EscalateForm(forms.Form):
    """The handoff package: every field is required, so the next level never has to ask."""

    to_level = forms.TypedChoiceField(label=_("Escalate to"), coerce=int, choices=SupportLevel.choices)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    impact = forms.CharField(label=_("Customer impact"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    steps_tried = forms.CharField(
        label=_("Steps already tried"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    next_step = forms.CharField(
        label=_("Proposed next step"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        higher = [(value, label) for value, label in SupportLevel.choices if value > ticket.level]
        self.fields["to_level"].choices = higher
        if higher:
            self.fields["to_level"].initial = higher[0][0]
        for name in ("summary", "impact", "steps_tried", "next_step"):
            self.fields[name].error_messages["required"] = _("%(field)s is required for a handoff.") % {
                "field": self.fields[name].label
            }

    def clean(self):
        data = super().clean()
        for name in ("summary", "impact", "steps_tried", "next_step"):
            if name in data and not data[name].strip():
                self.add_error(name, self.fields[name].error_messages["required"])
        return data


class DeescalateForm(forms.Form):
    to_level = forms.TypedChoiceField(label=_("Hand back to"), coerce=int, choices=SupportLevel.choices)
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_level"].choices = [(v, label) for v, label in SupportLevel.choices if v < ticket.level]


class AnswerEscalationForm(forms.Form):
    """The team's answer to a customer's escalation request, optionally escalating with a package."""

    answer = forms.CharField(
        label=_("Answer to the customer"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )
    escalate_to = forms.TypedChoiceField(
        label=_("And escalate to"), coerce=int, required=False, empty_value=None, choices=[]
    )
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    impact = forms.CharField(label=_("Customer impact"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    steps_tried = forms.CharField(
        label=_("Steps already tried"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    next_step = forms.CharField(label=_("Proposed next step"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["escalate_to"].choices = [("", _("Do not escalate"))] + [
            (v, label) for v, label in SupportLevel.choices if v > ticket.level
        ]

    def clean(self):
        data = super().clean()
        if data.get("escalate_to"):
            for name in ("summary", "impact", "steps_tried", "next_step"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("%(field)s is required for a handoff.") % {"field": self.fields[name].label})
        return data

    def package(self):
        return {name: self.cleaned_data[name] for name in ("summary", "impact", "steps_tried", "next_step")}


class EscalationRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why does this need escalating?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        error_messages={"required": _("Tell us why the ticket needs escalating.")},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Tell us why the ticket needs escalating."), code="required")
        return reason


PHONE = re.compile(r"^\+[1-9][0-9 ]{6,18}$")


class ContactPreferencesForm(forms.Form):
    """How a customer wants to hear from us: language, time zone, channels and phone."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"))
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"))
    backup_channel = forms.ChoiceField(label=_("Backup channel"), required=False)
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=20, help_text=_("International format, e.g. +34 600 123 456.")
    )

    def __init__(self, *args, tier, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = set(tier.allowed_channels or []) | {ContactChannel.EMAIL, ContactChannel.PORTAL}
        channels = [(value, label) for value, label in ContactChannel.choices if value in allowed]
        self.fields["preferred_channel"].choices = channels
        self.fields["backup_channel"].choices = [("", _("None"))] + channels
        self.fields["time_zone"].choices = [(name, name) for name in sorted(zoneinfo.available_timezones())]

    def clean_phone(self):
        phone = " ".join(self.cleaned_data["phone"].split())
        if phone and not PHONE.match(phone):
            raise ValidationError(_("Write the number with its country code, e.g. +34 600 123 456."), code="phone")
        return phone

    def clean(self):
        data = super().clean()
        preferred, backup = data.get("preferred_channel"), data.get("backup_channel")
        if preferred and backup == preferred:
            self.add_error("backup_channel", _("The backup channel must differ from the preferred one."))
        needs_phone = {ContactChannel.SMS, ContactChannel.PHONE} & {preferred, backup}
        if needs_phone and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Text messages and calls need a phone number."))
        return data
