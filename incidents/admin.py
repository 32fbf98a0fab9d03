from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import maintenance, routines
from .models import (
    CadenceDeadline,
    CadenceMiss,
    CadencePolicy,
    Component,
    ComponentGroup,
    CrisisPolicy,
    FollowUpTask,
    Incident,
    IncidentComponent,
    IncidentEvent,
    IncidentTicketLink,
    IncidentUpdate,
    MaintenanceEvent,
    MaintenanceStatus,
    MaintenanceWindow,
    PostIncidentReview,
    RoutineNotice,
    RoutineRun,
    StatusSubscription,
)


@admin.register(ComponentGroup)
class ComponentGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "ordering")


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("name", "group", "status", "ordering", "status_changed_at")
    list_filter = ("status", "group")
    list_select_related = ("group",)
    search_fields = ("name",)


@admin.register(CadencePolicy)
class CadencePolicyAdmin(admin.ModelAdmin):
    list_display = (
        "severity",
        "first_notice_minutes",
        "update_minutes",
        "resolve_minutes",
        "follow_up_minutes",
        "warn_percent",
    )


@admin.register(CrisisPolicy)
class CrisisPolicyAdmin(admin.ModelAdmin):
    list_display = ("level", "cadence_percent", "notify_executives")


class IncidentComponentInline(admin.TabularInline):
    model = IncidentComponent
    extra = 0


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    # Declaring and updating go through the incident pages (services); admin reads and corrects metadata.
    list_display = ("ref", "title", "severity", "crisis_level", "status", "is_public", "declared_at", "cadence_misses")
    list_filter = ("status", "severity", "is_public")
    list_select_related = ("commander",)
    search_fields = ("title",)
    readonly_fields = (
        "declared_at",
        "first_notice_at",
        "last_update_at",
        "resolved_at",
        "follow_up_at",
        "next_update_due",
        "follow_up_due",
        "cadence_misses",
        "terms",
    )
    filter_horizontal = ("organizations",)
    inlines = [IncidentComponentInline]


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(admin.ModelAdmin):
    list_display = ("incident", "status", "is_public", "author", "created_at", "notices_sent_at", "notices_count")
    list_filter = ("is_public", "status")
    list_select_related = ("incident", "author")
    readonly_fields = ("notices_sent_at", "notices_count")


@admin.register(IncidentTicketLink)
class IncidentTicketLinkAdmin(admin.ModelAdmin):
    list_display = ("incident", "ticket", "state", "auto_offered", "created_at")
    list_filter = ("state", "auto_offered")
    list_select_related = ("incident", "ticket")
    raw_id_fields = ("ticket",)


@admin.register(IncidentEvent)
class IncidentEventAdmin(admin.ModelAdmin):
    list_display = ("incident", "kind", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("incident", "actor")


@admin.register(CadenceDeadline)
class CadenceDeadlineAdmin(admin.ModelAdmin):
    list_display = ("incident", "kind", "due_at", "warned_at", "met_at", "missed_at", "cancelled_at")
    list_filter = ("kind",)
    list_select_related = ("incident",)


@admin.register(CadenceMiss)
class CadenceMissAdmin(admin.ModelAdmin):
    list_display = ("incident", "kind", "due_at", "detected_at")
    list_filter = ("kind",)
    list_select_related = ("incident",)


@admin.register(StatusSubscription)
class StatusSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "all_components", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = ["all_components", ("confirmed_at", admin.EmptyFieldListFilter), "unsubscribed_at"]
    search_fields = ["email"]
    filter_horizontal = ["components"]
    # Confirmation and unsubscribe happen only through the subscriber's own links.
    readonly_fields = ["email", "language", "created_at", "confirm_expires_at", "confirmed_at", "unsubscribed_at"]

    def has_add_permission(self, request):
        return False


class MaintenanceEventInline(admin.TabularInline):
    model = MaintenanceEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "actor", "data", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    # Scheduling and rescheduling go through the agent pages (services send the notices); here windows are
    # read, their words corrected, and cancelled by an action calling the same service.
    list_display = ("title", "status", "starts_at", "ends_at", "revision", "all_organizations")
    list_filter = ("status",)
    search_fields = ("title",)
    readonly_fields = (
        "starts_at",
        "ends_at",
        "status",
        "revision",
        "week_notice_at",
        "soon_notice_at",
        "started_at",
        "completed_at",
        "cancelled_at",
        "created_by",
        "created_at",
    )
    filter_horizontal = ("components", "organizations")
    inlines = [MaintenanceEventInline]
    actions = ["cancel_windows"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Cancel the chosen windows (and notify those already told)"))
    def cancel_windows(self, request, queryset):
        done = 0
        for window in queryset.filter(status=MaintenanceStatus.SCHEDULED):
            maintenance.cancel_maintenance(request.user, window)
            done += 1
        self.message_user(request, _("%(n)d windows cancelled.") % {"n": done}, messages.SUCCESS)


class RoutineRunInline(admin.TabularInline):
    model = RoutineRun
    extra = 0
    can_delete = False
    readonly_fields = ("period", "due_at", "ran_at", "recipients", "messages", "key_prefix")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RoutineNotice)
class RoutineNoticeAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "frequency", "send_time", "time_zone", "next_run_at", "template")
    list_filter = ("is_active", "frequency")
    list_select_related = ("template",)
    search_fields = ("name",)
    filter_horizontal = ("tiers", "organizations")
    readonly_fields = ("next_run_at",)
    inlines = [RoutineRunInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The schedule may have changed: the next run follows from it, counted from now.
        routines.schedule_routine(form.instance)


@admin.register(RoutineRun)
class RoutineRunAdmin(admin.ModelAdmin):
    list_display = ("routine", "period", "due_at", "ran_at", "recipients", "messages", "key_prefix")
    list_filter = ("routine",)
    list_select_related = ("routine",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FollowUpTaskInline(admin.TabularInline):
    model = FollowUpTask
    extra = 0
    raw_id_fields = ("owner",)


@admin.register(PostIncidentReview)
class PostIncidentReviewAdmin(admin.ModelAdmin):
    list_display = ("incident", "completed_at", "completed_by", "updated_at")
    list_select_related = ("incident", "completed_by")
    readonly_fields = ("incident", "completed_at", "completed_by")
    inlines = [FollowUpTaskInline]

    def has_add_permission(self, request):
        return False


# Proactive journey signals register their own admin (issue 7).
from .journey import admin as _journey_admin  # noqa: E402, F401
