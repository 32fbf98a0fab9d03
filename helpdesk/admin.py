"""Django admin: configuration that calls services for anything with a history."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import (
    Attachment,
    BusinessCalendar,
    BusinessHours,
    Category,
    EscalationRequest,
    EscalationRule,
    Handoff,
    Holiday,
    LevelTarget,
    Macro,
    MacroApplication,
    Message,
    Organization,
    Queue,
    ServiceTier,
    SlaClock,
    SlaPolicy,
    SlaTarget,
    Status,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TicketReminder,
    User,
    clean_email_domains,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "organization",
        "support_level",
        "team",
        "is_org_admin",
        "is_active",
    )
    list_filter = (
        "role",
        "is_org_admin",
        "support_level",
        "team",
        "organization__tier",
        "is_active",
        "pending_activation",
        "is_staff",
        "is_available",
    )
    search_fields = ("username", "email", "first_name", "last_name", "organization__name")
    list_select_related = ("organization", "team")
    autocomplete_fields = ("organization",)
    filter_horizontal = ("skills", "groups", "user_permissions")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Firstline"),
            {
                "fields": (
                    "role",
                    "organization",
                    "is_org_admin",
                    "pending_activation",
                    "language",
                    "time_zone",
                    "support_level",
                    "team",
                    "languages",
                )
            },
        ),
        (_("Routing"), {"fields": ("capacity", "is_available", "away_since", "skills")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (
            _("Firstline"),
            {
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "role",
                    "organization",
                    "is_org_admin",
                    "language",
                    "time_zone",
                    "support_level",
                    "team",
                )
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.is_customer:
            # Capacity, availability and skills are for agents; a customer's form leaves them out.
            return [fieldset for fieldset in fieldsets if fieldset[0] != _("Routing")]
        return fieldsets

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or "role" in form.changed_data:
            services.set_user_role(request.user, obj, role=obj.role)


@admin.register(ServiceTier)
class ServiceTierAdmin(admin.ModelAdmin):
    list_display = ("name", "rank", "first_response_minutes", "sla_policy", "has_account_manager")
    list_select_related = ("sla_policy",)
    search_fields = ("name",)


class DomainListField(forms.CharField):
    """A list of email domains typed one per line (or separated by commas), stored as a JSON list."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return clean_email_domains(super().to_python(value) or "")


class OrganizationForm(forms.ModelForm):
    email_domains = DomainListField(
        label=_("email domains"),
        required=False,
        help_text=_("One per line, e.g. acme.example. Used when sign-up is by email domain."),
    )

    class Meta:
        model = Organization
        fields = ("name", "tier", "is_vip", "signup_policy", "email_domains")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationForm
    list_display = ("name", "tier", "signup_policy", "member_count", "created_at")
    list_filter = ("tier", "signup_policy")
    search_fields = ("name",)
    list_select_related = ("tier",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "assignment", "is_default")
    list_editable = ("assignment",)
    list_select_related = ("team",)
    search_fields = ("name",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    model = Message
    fields = ("created_at", "author", "is_internal", "body")
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "subject",
        "organization",
        "requester",
        "status",
        "priority",
        "assignee",
        "queue",
        "level",
        "updated_at",
    )
    list_filter = ("status", "priority", "level", "queue", "category", "channel", "organization__tier")
    search_fields = ("subject", "requester__username", "requester__email", "organization__name")
    list_select_related = ("organization", "requester", "assignee", "queue")
    raw_id_fields = ("requester", "assignee")
    autocomplete_fields = ("organization",)
    readonly_fields = ("created_at", "updated_at", "resolved_at", "last_public_at", "version")
    date_hierarchy = "created_at"
    inlines = [MessageInline]
    actions = ["mark_resolved", "mark_closed"]

    @admin.display(description=_("reference"), ordering="pk")
    def reference(self, obj):
        return obj.ref

    def save_model(self, request, obj, form, change):
        """Edits of workflow fields go through the service so the timeline records them."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        editable = {f: form.cleaned_data[f] for f in services.EDITABLE_FIELDS if f in form.changed_data}
        other = [f for f in form.changed_data if f not in services.EDITABLE_FIELDS]
        if other:
            Ticket.objects.filter(pk=obj.pk).update(**{f: form.cleaned_data[f] for f in other})
        if editable:
            services.update_ticket(request.user, Ticket.objects.get(pk=obj.pk), **editable)

    def _bulk_status(self, request, queryset, status):
        changed = services.bulk_update_tickets(request.user, list(queryset.values_list("pk", flat=True)), status=status)
        self.message_user(
            request,
            ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", changed) % {"count": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected tickets resolved"))
    def mark_resolved(self, request, queryset):
        self._bulk_status(request, queryset, Status.RESOLVED)

    @admin.action(description=_("Mark selected tickets closed"))
    def mark_closed(self, request, queryset):
        self._bulk_status(request, queryset, Status.CLOSED)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "ticket", "kind", "actor", "is_public")
    list_filter = ("kind", "is_public")
    list_select_related = ("ticket", "actor")
    raw_id_fields = ("ticket", "actor", "message")
    search_fields = ("ticket__subject",)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("helpdesk.view_ticketevent")


class AttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Attachment
    fields = ("original_name", "content_type", "size")
    readonly_fields = fields
    extra = 0


@admin.register(Message)
class MessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "ticket", "author", "is_internal")
    list_filter = ("is_internal",)
    list_select_related = ("ticket", "author")
    raw_id_fields = ("ticket", "author")
    search_fields = ("body", "ticket__subject")
    inlines = [AttachmentInline]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("helpdesk.view_message")


# --- service levels ---------------------------------------------------------------------


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "always_open")
    search_fields = ("name",)
    inlines = [BusinessHoursInline, HolidayInline]


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    autocomplete_fields = ("tier",)


class LevelTargetInline(admin.TabularInline):
    model = LevelTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar", "is_default", "warn_percent", "escalation_grace_minutes")
    list_select_related = ("calendar",)
    search_fields = ("name",)
    inlines = [SlaTargetInline, LevelTargetInline]
    actions = ["recompute_open"]

    @admin.action(description=_("Apply the current targets to this policy's open tickets"))
    def recompute_open(self, request, queryset):
        from django_q.tasks import async_task

        for policy in queryset:
            # In the background: a policy may cover thousands of open tickets.
            async_task(
                "helpdesk.tasks.recompute_policy", policy.pk, request.user.pk, task_name=f"recompute-{policy.pk}"
            )
        self.message_user(
            request,
            _("The open tickets of the selected policies are being recomputed; their timelines will say so."),
            messages.SUCCESS,
        )


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "trigger", "from_level", "after_minutes", "priority", "category", "to_level", "to_queue")
    list_filter = ("trigger", "is_active")
    list_select_related = ("category", "to_queue")
    search_fields = ("name",)


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "ticket", "kind", "from_level", "to_level", "acknowledged_at")
    list_filter = ("kind", "to_level")
    list_select_related = ("ticket",)
    raw_id_fields = ("ticket",)


@admin.register(EscalationRequest)
class EscalationRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "ticket", "requested_by", "answered_at", "escalated")
    list_select_related = ("ticket", "requested_by")
    raw_id_fields = ("ticket",)


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("ticket", "target", "cycle", "started_at", "due_at", "met_at", "breached_at", "breached_level")
    list_filter = ("target", "breached_level")
    list_select_related = ("ticket",)
    raw_id_fields = ("ticket",)
    date_hierarchy = "started_at"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "reply_template",
        "set_status",
        "set_priority",
        "assignment",
        "remind",
        "position",
        "is_active",
    )
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "set_status")
    list_select_related = ("reply_template",)
    search_fields = ("name",)
    filter_horizontal = ("add_tags", "remove_tags")
    fieldsets = (
        (None, {"fields": ("name", "category_slug", "position", "is_active")}),
        (_("Reply"), {"fields": ("reply_template",)}),
        (
            _("Changes to the ticket"),
            {"fields": ("set_status", "set_priority", "assignment", "add_tags", "remove_tags")},
        ),
        (_("Reminder"), {"fields": ("remind_in", "remind_unit", "remind_only_if_no_reply")}),
    )

    @admin.display(description=_("reminder"))
    def remind(self, obj):
        return f"{obj.remind_in} {obj.get_remind_unit_display()}" if obj.remind_in else "—"


@admin.register(MacroApplication)
class MacroApplicationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("applied_at", "macro_name", "ticket", "actor", "undone_at")
    list_select_related = ("ticket", "actor")
    date_hierarchy = "applied_at"


@admin.register(TicketReminder)
class TicketReminderAdmin(admin.ModelAdmin):
    list_display = ("due_at", "ticket", "agent", "only_if_no_reply", "outcome", "done_at", "dismissed_at")
    list_filter = ("outcome", "only_if_no_reply")
    list_select_related = ("ticket", "agent")
    raw_id_fields = ("ticket", "agent")
    date_hierarchy = "due_at"


# Registered from their own files: the ticket API clients, and triage and routing.
from . import admin_api, admin_triage  # noqa: E402, F401
