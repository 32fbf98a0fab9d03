from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin

from . import services
from .access import can_publish
from .models import Article, ArticleFeedback, ArticleVersion, Category, Deflection, SearchLog, Status


@admin.register(Category)
class CategoryAdmin(TabbedTranslationAdmin):
    list_display = ("name", "slug", "audience", "review_every_days", "position")
    list_filter = ("audience",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


class ArticleVersionInline(admin.TabularInline):
    model = ArticleVersion
    fields = ("number", "created_at", "created_by", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(TabbedTranslationAdmin):
    list_display = ("title", "category", "status", "author", "approver", "updated_at", "review_due", "view_count")
    list_filter = ("status", "category__audience", "category")
    list_select_related = ("category", "author", "approver")
    search_fields = ("title_en", "slug", "tags")
    readonly_fields = (
        "status",
        "author",
        "reviewer",
        "approver",
        "created_at",
        "updated_at",
        "published_at",
        "review_due",
        "view_count",
        "helpful_count",
        "unhelpful_count",
    )
    autocomplete_fields = ("related",)
    inlines = [ArticleVersionInline]
    actions = ["submit_for_review", "publish", "archive"]

    def has_change_permission(self, request, obj=None):
        # The workspace's rules: archived articles are restored before they change, and a
        # published one changes only through someone who may publish (it goes live at once).
        if obj is not None and obj.status == Status.ARCHIVED:
            return False
        if obj is not None and obj.status == Status.PUBLISHED and not can_publish(request.user):
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None or obj.status != Status.PUBLISHED:
            return form

        class PublishedArticleForm(form):
            def clean(self):
                cleaned = super().clean()
                for name in ("summary_en", "body_en"):
                    if name in self.fields and not cleaned.get(name):
                        self.add_error(name, _("A published article needs its English summary and body."))
                return cleaned

        return PublishedArticleForm

    def save_model(self, request, obj, form, change):
        services.save_article(request.user, obj)

    def _run(self, request, queryset, service, done):
        moved = 0
        for article in queryset:
            try:
                service(request.user, article)
                moved += 1
            except services.NotAllowed as refusal:
                self.message_user(request, f"{article}: {refusal}", messages.WARNING)
        if moved:
            self.message_user(request, done % {"count": moved}, messages.SUCCESS)

    @admin.action(description=_("Submit for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._run(request, queryset, services.submit_for_review, _("%(count)d articles submitted for review."))

    @admin.action(description=_("Approve and publish"), permissions=["publish"])
    def publish(self, request, queryset):
        self._run(request, queryset, services.publish_article, _("%(count)d articles published."))

    @admin.action(description=_("Archive"), permissions=["publish"])
    def archive(self, request, queryset):
        self._run(request, queryset, services.archive_article, _("%(count)d articles archived."))

    def has_publish_permission(self, request):
        return request.user.has_perm("knowledge.publish_article")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ArticleVersion)
class ArticleVersionAdmin(ReadOnlyAdmin):
    list_display = ("article", "number", "created_by", "created_at", "note")
    list_select_related = ("article", "created_by")
    search_fields = ("article__title_en",)


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(ReadOnlyAdmin):
    list_display = ("article", "helpful", "comment", "user", "language", "created_at")
    list_filter = ("helpful", "language")
    list_select_related = ("article", "user")
    date_hierarchy = "created_at"


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyAdmin):
    list_display = ("query", "language", "result_count", "user_id", "created_at")
    list_filter = ("language",)
    search_fields = ("normalized",)
    date_hierarchy = "created_at"


@admin.register(Deflection)
class DeflectionAdmin(ReadOnlyAdmin):
    list_display = ("article", "query", "user_id", "created_at")
    list_select_related = ("article",)
    date_hierarchy = "created_at"
