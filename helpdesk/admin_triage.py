"""Admin for triage and routing: rules with their conditions, routes, classifiers, and the rule tester."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from comms.defaults import TEMPLATES
from comms.models import MessageTemplate

from . import triage
from .models import (
    Channel,
    ClassifierModel,
    Complexity,
    CustomerType,
    RoutingRule,
    TicketTriage,
    TriageCondition,
    TriageRule,
    User,
)
from .triage import classifier, config, reasons
from .triage.rules import check_actions, check_condition


def template_exists(slug):
    return slug in TEMPLATES or MessageTemplate.objects.filter(slug=slug).exists()


class ConditionForm(forms.ModelForm):
    class Meta:
        model = TriageCondition
        fields = ("field", "operator", "value")

    def clean(self):
        data = super().clean()
        if data.get("field") and data.get("operator"):
            try:
                check_condition(data["field"], data["operator"], data.get("value", ""))
            except ValidationError as error:
                self.add_error("value" if error.code.startswith(("regex", "value", "flag")) else "operator", error)
        return data


class ConditionFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("field")
        ]
        if not kept:
            raise ValidationError(_("A rule needs at least one condition; without one it would never match."))


class ConditionInline(admin.TabularInline):
    model = TriageCondition
    form = ConditionForm
    formset = ConditionFormSet
    extra = 1


RULE_FIELDS = (
    "name",
    "order",
    "is_active",
    "match",
    "stop_processing",
    "set_category",
    "set_priority",
    "raise_priority",
    "set_queue",
    "set_complexity",
    "add_tags",
    "set_assignee",
    "set_team",
    "escalate_to",
    "send_template",
)


class TriageRuleForm(forms.ModelForm):
    class Meta:
        model = TriageRule
        fields = RULE_FIELDS

    def clean(self):
        data = super().clean()
        rule = TriageRule(**{name: data.get(name) for name in RULE_FIELDS if name != "add_tags"})
        check_actions(rule, template_exists=template_exists, has_tags=bool(data.get("add_tags")))
        return data


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ("name", "order", "is_active", "category", "channel", "inbound_address", "tier", "queue")

    def clean(self):
        data = super().clean()
        if not (data.get("category") or data.get("channel") or data.get("inbound_address") or data.get("tier")):
            raise ValidationError(
                _("Give at least one of category, channel, inbound address or tier."), code="no_criterion"
            )
        return data


class RuleTestForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    sender = forms.EmailField(label=_("Sender email"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.WEB)


class ClearsTriageConfig:
    """This process's cached triage configuration is dropped at once after an edit (others within seconds)."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(config.clear)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(config.clear)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(config.clear)


@admin.register(TriageRule)
class TriageRuleAdmin(ClearsTriageConfig, admin.ModelAdmin):
    form = TriageRuleForm
    inlines = [ConditionInline]
    list_display = (
        "name",
        "order",
        "is_active",
        "match",
        "stop_processing",
        "set_category",
        "set_priority",
        "set_queue",
    )
    list_editable = ("order", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("set_category", "set_queue")
    search_fields = ("name",)
    filter_horizontal = ("add_tags",)
    autocomplete_fields = ("set_assignee",)
    change_list_template = "admin/helpdesk/triagerule/change_list.html"
    fieldsets = (
        (None, {"fields": ("name", "order", "is_active", "match", "stop_processing")}),
        (
            _("Actions"),
            {
                "fields": (
                    "set_category",
                    "set_priority",
                    "raise_priority",
                    "set_queue",
                    "set_complexity",
                    "add_tags",
                    "set_assignee",
                    "set_team",
                    "escalate_to",
                    "send_template",
                )
            },
        ),
    )

    def get_urls(self):
        return [
            path("test/", self.admin_site.admin_view(self.test_view), name="helpdesk_triagerule_test"),
            *super().get_urls(),
        ]

    def test_view(self, request):
        """Paste a ticket and see what triage would do with it; nothing is created."""
        form = RuleTestForm(request.POST or None)
        decision = sender = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            sender = User.objects.filter(email__iexact=data["sender"]).select_related("organization__tier").first()
            decision = triage.decide(
                subject=data["subject"],
                body=data["body"],
                requester=sender,
                channel=data["channel"],
                at=timezone.now(),
                explicit={},
                profile_language=sender.language if sender else "",
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Test the triage rules"),
            "form": form,
            "decision": decision,
            "sender": sender,
            "triage_labels": reasons.LABELS,
            "complexity": Complexity(decision.complexity).label if decision and decision.complexity else "",
            "customer_type": CustomerType(decision.customer_type).label if decision and decision.customer_type else "",
        }
        return render(request, "admin/helpdesk/triagerule/test.html", context)


@admin.register(RoutingRule)
class RoutingRuleAdmin(ClearsTriageConfig, admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ("name", "order", "is_active", "category", "channel", "inbound_address", "tier", "queue")
    list_editable = ("order", "is_active")
    list_select_related = ("category", "tier", "queue")
    search_fields = ("name", "inbound_address")


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    list_display = ("created_at", "is_active", "trained_on", "tested_on", "category_percent", "priority_percent")
    readonly_fields = (
        "created_at",
        "is_active",
        "trained_on",
        "tested_on",
        "category_accuracy",
        "priority_accuracy",
        "labels",
    )
    actions = ["retrain_now"]
    exclude = ("pipeline",)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("category accuracy (held out)"), ordering="category_accuracy")
    def category_percent(self, obj):
        return f"{obj.category_accuracy:.0%}" if obj.category_accuracy is not None else "—"

    @admin.display(description=_("priority accuracy (held out)"), ordering="priority_accuracy")
    def priority_percent(self, obj):
        return f"{obj.priority_accuracy:.0%}" if obj.priority_accuracy is not None else "—"

    @admin.action(description=_("Retrain now on resolved tickets"))
    def retrain_now(self, request, queryset):
        try:
            row = classifier.retrain()
        except classifier.NotEnoughData as error:
            self.message_user(request, str(error), messages.WARNING)
            return
        self.message_user(
            request,
            _("A new classifier is in use: %(accuracy)s of held-out tickets categorised correctly.")
            % {"accuracy": f"{row.category_accuracy or 0:.0%}"},
            messages.SUCCESS,
        )

    def changelist_view(self, request, extra_context=None):
        # The retrain action needs no selection: an empty table still has to be trainable.
        if (
            request.method == "POST"
            and request.POST.get("action") == "retrain_now"
            and not request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        ):
            self.retrain_now(request, self.get_queryset(request))
            from django.shortcuts import redirect

            return redirect(request.get_full_path())
        return super().changelist_view(request, extra_context)


@admin.register(TicketTriage)
class TicketTriageAdmin(admin.ModelAdmin):
    list_display = (
        "ticket",
        "created_at",
        "is_vip",
        "is_security",
        "is_frustrated",
        "is_repeat",
        "complexity",
        "customer_type",
        "suggested_category",
        "confidence",
        "outcome",
    )
    list_filter = (
        "outcome",
        "complexity",
        "customer_type",
        "is_vip",
        "is_security",
        "is_frustrated",
        "is_repeat",
        "failed",
    )
    list_select_related = ("ticket", "suggested_category")
    # The stored reasons are codes: shown as sentences in the admin's language instead of raw JSON.
    readonly_fields = [f.name for f in TicketTriage._meta.fields if f.name != "reasons"] + ["reasons_explained"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("reasons"))
    def reasons_explained(self, obj):
        return format_html_join(
            "",
            "<p><strong>{}</strong> {} — {}</p>",
            (
                (reasons.describe_what(entry), reasons.describe_value(entry), reasons.explain(entry))
                for entry in obj.reasons or []
            ),
        )
