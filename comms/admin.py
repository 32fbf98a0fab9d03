from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin

from . import inbound, services
from .models import ChannelRule, DeliveryAttempt, InboundEmail, MessageTemplate, OutboundMessage, PortalNotification
from .services import render_template
from .templating import TemplateKind, problems, samples, vocabulary


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
    list_display = (
        "created_at",
        "channel",
        "recipient",
        "subject",
        "template_slug",
        "language",
        "status",
        "attempts",
        "sent_at",
        "provider_id",
        "reference",
    )
    list_filter = ("status", "channel", "language")
    search_fields = ("recipient", "subject", "reference", "idempotency_key", "provider_id", "template_slug")
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


@admin.register(MessageTemplate)
class MessageTemplateAdmin(TabbedTranslationAdmin):
    list_display = ("name", "kind", "slug", "category_slug", "is_active", "updated_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug", "subject", "body")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("placeholders",)
    change_form_template = "comms/admin/messagetemplate_change_form.html"

    @admin.display(description=_("placeholders you can use"))
    def placeholders(self, obj):
        kind = obj.kind if obj and obj.pk else None
        rows = sorted(vocabulary(kind).items()) if kind else []
        if not rows:
            return _("Save the template once with its kind to see the placeholders it may use.")
        return format_html_join(
            "", "<div><code>{{{{ {} }}}}</code> — {}</div>", ((name, desc) for name, (desc, _sample) in rows)
        )

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("preview/", preview, name="comms_messagetemplate_preview"), *super().get_urls()]

    def preview_view(self, request):
        """The template as sent, from the form's unsaved fields, with sample data, in the chosen language."""
        if request.method != "POST" or not self.has_view_or_change_permission(request):
            raise PermissionDenied
        kind = request.POST.get("kind", "")
        language = request.POST.get("preview_language") or settings.LANGUAGE_CODE
        codes = [code for code, _label in settings.LANGUAGES]
        if language not in codes:
            language = settings.LANGUAGE_CODE
        template = MessageTemplate(kind=kind)
        for field in ("subject", "body", "short_text"):
            for code in codes:
                name = f"{field}_{code.replace('-', '_')}"
                setattr(template, name, request.POST.get(name, ""))
        result = render_template(template, language=language, values=samples(kind))
        used = result["language"].replace("-", "_")
        issues = [
            issue
            for field in ("subject", "body", "short_text")
            for issue in problems(kind, getattr(template, f"{field}_{used}", ""))
        ]
        return TemplateResponse(
            request,
            "comms/admin/messagetemplate_preview.html",
            {"result": result, "asked": language, "issues": issues, "kind_known": kind in TemplateKind.VOCABULARY},
        )


@admin.register(ChannelRule)
class ChannelRuleAdmin(admin.ModelAdmin):
    list_display = ("severity", "channels", "add_preferred", "add_backup")


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Every received email with what became of it; failed and held ones can be processed again."""

    list_display = ("received_at", "sender", "subject", "source", "status", "ticket_ref", "size")
    list_filter = ("status", "source")
    search_fields = ("sender", "sender_name", "subject", "message_id", "ticket_ref")
    date_hierarchy = "received_at"
    actions = ["process_again"]
    fields = (
        "received_at",
        "source",
        "status",
        "error",
        "ticket_ref",
        "ticket_message_id",
        "processed_at",
        "message_id",
        "sender",
        "sender_name",
        "subject",
        "size",
        "raw_message",
    )
    readonly_fields = fields
    RAW_PREVIEW_CHARS = 100_000

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The list never needs the raw bytes, which may be megabytes per row.
        queryset = super().get_queryset(request)
        return queryset if request.resolver_match.url_name.endswith("_change") else queryset.defer("raw")

    @admin.display(description=_("raw message"))
    def raw_message(self, obj):
        text = bytes(obj.raw or b"").decode("utf-8", "replace")
        if len(text) > self.RAW_PREVIEW_CHARS:
            text = text[: self.RAW_PREVIEW_CHARS] + "\n…"
        # Escaped by format_html: the email is shown as text, never as markup.
        return format_html('<pre style="white-space: pre-wrap; max-height: 40rem; overflow: auto">{}</pre>', text)

    @admin.action(description=_("Process again (failed, held or rejected emails)"), permissions=["change"])
    def process_again(self, request, queryset):
        queued = sum(inbound.reprocess_inbound_email(request.user, email) for email in queryset)
        skipped = queryset.count() - queued
        self.message_user(request, _("%(count)d emails queued for processing.") % {"count": queued}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                _("%(count)d emails were left as they are: processed, ignored as automatic, or over the size limit.")
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(PortalNotification)
class PortalNotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by delivering outbox rows, and read by customers."""

    list_display = ("created_at", "user_id", "title", "reference", "read_at")
    list_filter = ("read_at",)
    search_fields = ("title", "reference", "=user_id")
    readonly_fields = [f.name for f in PortalNotification._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
