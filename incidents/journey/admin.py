"""Admin for journey signals: signal types are configuration; integrations get their token once."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from helpdesk.models import hash_token

from .models import (
    CustomerIdentity,
    Integration,
    OutreachRule,
    ProactiveCase,
    SignalEvent,
    SignalType,
    SystemicAlert,
)
from .services import new_token, rotate_token


@admin.register(SignalType)
class SignalTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "severity", "root_cause", "detection", "queue", "alert_engineering", "is_active"]
    list_filter = ["severity", "detection", "is_active"]
    search_fields = ["code", "name", "root_cause"]
    list_select_related = ["queue"]
    filter_horizontal = ["components"]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "severity", "is_active"]}),
        (_("De-duplication"), {"fields": ["root_cause", "components"]}),
        (_("Targets"), {"fields": ["internal_response_minutes", "outreach_minutes"]}),
        (_("Detection"), {"fields": ["detection", "parameters"]}),
        (_("Who is told"), {"fields": ["alert_agents", "alert_engineering", "bot_context", "queue"]}),
        (
            _("Customer message by touch count"),
            {"fields": ["template_helpful", "template_empathetic", "template_apologetic", "template_urgent"]},
        ),
    ]


@admin.register(OutreachRule)
class OutreachRuleAdmin(admin.ModelAdmin):
    """The channel matrix: one row per severity and open-ticket case; the model's clean() refuses nonsense."""

    list_display = ["__str__", "reply", "email", "sms", "push", "portal", "note"]
    list_filter = ["severity", "has_open_ticket"]
    fieldsets = [
        (None, {"fields": ["severity", "has_open_ticket"]}),
        (_("What outreach does"), {"fields": ["reply", "email", "sms", "push", "portal", "note"]}),
    ]


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "token_hint", "is_active", "created_at"]
    filter_horizontal = ["allowed_signals"]
    readonly_fields = ["token_hint", "created_at"]
    actions = ["rotate"]

    def save_model(self, request, obj, form, change):
        if not change:
            token = new_token()
            obj.token_hash, obj.token_hint = hash_token(token), token[:10]
            messages.warning(
                request, _("The token of %(name)s, shown only now: %(token)s") % {"name": obj.name, "token": token}
            )
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Issue a new token (the old one stops working)"))
    def rotate(self, request, queryset):
        for integration in queryset:
            token = rotate_token(request.user, integration)
            messages.warning(
                request,
                _("New token of %(name)s, shown only now: %(token)s") % {"name": integration.name, "token": token},
            )


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    list_display = ["external_id", "integration", "customer"]
    list_select_related = ["integration", "customer"]
    search_fields = ["external_id", "customer__email"]
    raw_id_fields = ["customer"]


@admin.register(SignalEvent)
class SignalEventAdmin(admin.ModelAdmin):
    list_display = ["signal_type", "customer", "integration", "occurred_at", "received_at", "addressed_at"]
    list_filter = ["signal_type", "integration"]
    list_select_related = ["signal_type", "customer", "integration"]
    search_fields = ["idempotency_key", "customer__email"]
    readonly_fields = [f.name for f in SignalEvent._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ProactiveCase)
class ProactiveCaseAdmin(admin.ModelAdmin):
    list_display = [
        "ticket",
        "customer",
        "severity",
        "signal_count",
        "touches",
        "first_detected_at",
        "first_handled_at",
        "first_outreach_at",
    ]
    list_filter = ["severity"]
    list_select_related = ["ticket", "customer"]
    readonly_fields = [f.name for f in ProactiveCase._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(SystemicAlert)
class SystemicAlertAdmin(admin.ModelAdmin):
    list_display = ["signal_type", "raised_at", "incident"]
    list_select_related = ["signal_type", "incident"]
    readonly_fields = ["signal_type", "raised_at", "window_start", "customers", "shared", "incident"]
    exclude = ["cases"]

    def has_add_permission(self, request):
        return False
