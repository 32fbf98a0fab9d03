from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.models import Organization, User

from .models import (
    BusinessImpact,
    Component,
    ComponentStatus,
    CrisisLevel,
    IncidentStatus,
    SecurityImpact,
    Severity,
    UsersAffected,
)
from .services import suggest_severity

OUTAGE_STATUSES = [(value, label) for value, label in ComponentStatus.choices if value != ComponentStatus.OPERATIONAL]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class DeclareForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    users_affected = forms.ChoiceField(
        label=_("Users affected"), choices=[("", "—"), *UsersAffected.choices], required=False
    )
    business_impact = forms.ChoiceField(
        label=_("Business impact"), choices=[("", "—"), *BusinessImpact.choices], required=False
    )
    security_impact = forms.ChoiceField(
        label=_("Security impact"), choices=[("", "—"), *SecurityImpact.choices], required=False
    )
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int)
    crisis_level = forms.TypedChoiceField(
        label=_("Crisis level"),
        choices=[("", _("No crisis")), *CrisisLevel.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    components = forms.ModelMultipleChoiceField(
        label=_("Affected components"),
        queryset=Component.objects.select_related("group"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    component_status = forms.ChoiceField(
        label=_("Set those components to"), choices=OUTAGE_STATUSES, initial=ComponentStatus.PARTIAL_OUTAGE
    )
    all_organizations = forms.BooleanField(label=_("Every organization is affected"), required=False)
    organizations = forms.ModelMultipleChoiceField(
        label=_("Affected organizations"),
        queryset=Organization.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    commander = StaffChoiceField(label=_("Incident commander"), queryset=User.objects.agents().order_by("username"))
    communications_lead = StaffChoiceField(
        label=_("Communications lead"), queryset=User.objects.agents().order_by("username")
    )
    is_public = forms.BooleanField(label=_("Show on the public status page"), required=False, initial=True)
    message = forms.CharField(
        label=_("First customer notice"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Optional. Sent to the affected customers at once; Markdown allowed."),
    )
    ticket = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("all_organizations") and not data.get("organizations") and not data.get("components"):
            raise forms.ValidationError(
                _("Choose the affected organizations (or every organization), or at least one component."),
                code="no_scope",
            )
        return data

    def suggestion(self):
        data = self.data if self.is_bound else self.initial
        return suggest_severity(
            users_affected=data.get("users_affected", ""),
            business_impact=data.get("business_impact", ""),
            security_impact=data.get("security_impact", ""),
        )


class UpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)
    body = forms.CharField(label=_("Update"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000)
    visibility = forms.ChoiceField(
        label=_("Who sees it"),
        choices=[("public", _("Public: customers and the status page")), ("internal", _("Internal: staff only"))],
        initial="public",
        widget=forms.RadioSelect,
    )


class LinkForm(forms.Form):
    ticket = forms.CharField(label=_("Ticket reference"), max_length=20)


class SubscribeForm(forms.Form):
    """The status page's email subscription: every component, or the ones ticked."""

    email = forms.EmailField(label=_("Email"), max_length=254)
    scope = forms.ChoiceField(
        label=_("Send me updates about"),
        choices=[("all", _("Every component")), ("chosen", _("Only the components I choose"))],
        initial="all",
        widget=forms.RadioSelect,
    )
    components = forms.ModelMultipleChoiceField(label=_("Components"), queryset=Component.objects.all(), required=False)

    def clean(self):
        data = super().clean()
        if data.get("scope") == "chosen" and not data.get("components"):
            self.add_error("components", forms.ValidationError(_("Choose at least one component."), code="none"))
        return data


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class WindowTimesForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts"), widget=LocalDateTimeInput)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=LocalDateTimeInput)

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", forms.ValidationError(_("The window must end after it starts."), code="order"))
        return data


class MaintenanceForm(WindowTimesForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    expected_impact = forms.CharField(
        label=_("Expected impact"), max_length=300, required=False, help_text=_("What customers may notice.")
    )
    components = forms.ModelMultipleChoiceField(
        label=_("Affected components"),
        queryset=Component.objects.select_related("group"),
        widget=forms.CheckboxSelectMultiple,
    )
    all_organizations = forms.BooleanField(label=_("Notify every organization"), required=False, initial=True)
    organizations = forms.ModelMultipleChoiceField(
        label=_("Or only these organizations"),
        queryset=Organization.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    field_order = ["title", "starts_at", "ends_at", "components", "expected_impact", "description"]

    def clean(self):
        data = super().clean()
        if not data.get("all_organizations") and not data.get("organizations"):
            raise forms.ValidationError(
                _("Choose the organizations to notify, or every organization."), code="no_audience"
            )
        return data


class SeverityForm(forms.Form):
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int)
    crisis_level = forms.TypedChoiceField(
        label=_("Crisis level"),
        choices=[("", _("No crisis")), *CrisisLevel.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


class ReviewForm(forms.Form):
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    root_cause = forms.CharField(label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    actions_taken = forms.CharField(label=_("Actions taken"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    lessons = forms.CharField(label=_("Lessons learned"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class FollowUpTaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    owner = StaffChoiceField(label=_("Owner"), queryset=User.objects.agents().order_by("username"))
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
