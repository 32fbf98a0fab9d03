from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import DeliveryAttempt, OutboundMessage


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("attempted_at", "succeeded", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "subject", "status", "attempts", "sent_at", "reference")
    list_filter = ("status", "channel")
    search_fields = ("recipient", "subject", "reference", "idempotency_key")
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_delivery"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry delivery of failed messages"), permissions=["change"])
    def retry_delivery(self, request, queryset):
        retried = sum(services.retry_message(request.user, m) for m in queryset)
        self.message_user(request, _("%(count)d messages queued again.") % {"count": retried}, messages.SUCCESS)
