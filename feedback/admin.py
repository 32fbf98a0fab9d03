from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin

from . import services
from .models import (
    FeedbackTheme,
    Invitation,
    NpsRun,
    QualityReview,
    Response,
    ReviewCriterion,
    ReviewItem,
    ReviewScore,
    SurveyOptOut,
    SurveySettings,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services only: shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "person", "ticket", "period", "expires_at", "reminded_at", "answered_at")
    list_filter = ("kind", ("answered_at", admin.EmptyFieldListFilter), ("opted_out_at", admin.EmptyFieldListFilter))
    list_select_related = ("person", "ticket")
    search_fields = ("person__username", "person__email", "period")
    date_hierarchy = "created_at"
    raw_id_fields = ("person", "ticket")
    exclude = ("token_hash", "reminder_token_hash")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "score", "person", "ticket", "agent", "theme", "language", "channel")
    list_filter = ("kind", "score", "theme", "language", "channel")
    list_select_related = ("person", "ticket", "agent", "theme")
    search_fields = ("comment", "person__username")
    date_hierarchy = "created_at"
    readonly_fields = [
        f.name for f in Response._meta.fields if f.name not in ("theme",)
    ]  # only the theme may be corrected by hand

    def has_add_permission(self, request):
        return False


@admin.register(FeedbackTheme)
class FeedbackThemeAdmin(TabbedTranslationAdmin):
    list_display = ("name", "slug", "position", "is_active")
    list_editable = ("position", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    actions = ["reclassify"]

    @admin.action(description=_("Sort every comment into themes again with the current keywords"))
    def reclassify(self, request, queryset):
        changed = services.reclassify_comments()
        self.message_user(request, _("%(n)d comments re-sorted.") % {"n": changed}, messages.SUCCESS)


@admin.register(ReviewCriterion)
class ReviewCriterionAdmin(TabbedTranslationAdmin):
    list_display = ("name", "slug", "scale", "position", "is_active")
    list_editable = ("position", "is_active")
    prepopulated_fields = {"slug": ("name",)}


class ReviewScoreInline(admin.TabularInline):
    model = ReviewScore
    extra = 0
    readonly_fields = ("criterion", "value")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(QualityReview)
class QualityReviewAdmin(admin.ModelAdmin):
    list_display = ("created_at", "ticket", "agent", "team", "reviewer", "percent")
    list_filter = ("team",)
    list_select_related = ("ticket", "agent", "team", "reviewer")
    readonly_fields = ("item", "ticket", "reviewer", "agent", "team", "percent", "created_at")
    fields = (*readonly_fields, "notes")
    inlines = [ReviewScoreInline]

    def has_add_permission(self, request):
        return False


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket", "reason", "agent", "reviewed_at")
    list_filter = ("reason", ("reviewed_at", admin.EmptyFieldListFilter))
    list_select_related = ("ticket", "agent")


@admin.register(SurveySettings)
class SurveySettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "csat_enabled", "csat_per_ticket", "link_days", "nps_enabled", "nps_every_months")

    def has_add_permission(self, request):
        return not SurveySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SurveyOptOut)
class SurveyOptOutAdmin(admin.ModelAdmin):
    list_display = ("person", "created_at")
    list_select_related = ("person",)
    search_fields = ("person__username", "person__email")
    raw_id_fields = ("person",)


@admin.register(NpsRun)
class NpsRunAdmin(ReadOnlyAdmin):
    list_display = ("period", "ran_at", "invited")
