"""Admin for the ticket API: clients are configuration; a client's token is shown once, when it is issued."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .api_clients import new_token, rotate_api_token
from .models import ApiClient, ApiTicketRequest, hash_token


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "is_active", "all_organizations", "organizations"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_organizations") and not cleaned.get("organizations"):
            raise ValidationError(
                _("Choose the organizations this client may open tickets for, or every organization."),
                code="no_scope",
            )
        return cleaned


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "token_hint", "all_organizations", "is_active", "created_at"]
    list_filter = ["is_active", "all_organizations"]
    search_fields = ["name"]
    filter_horizontal = ["organizations"]
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
        for client in queryset:
            token = rotate_api_token(request.user, client)
            messages.warning(
                request,
                _("New token of %(name)s, shown only now: %(token)s") % {"name": client.name, "token": token},
            )


@admin.register(ApiTicketRequest)
class ApiTicketRequestAdmin(admin.ModelAdmin):
    """What each client sent under which key: for answering "did our request arrive?"; never edited."""

    list_display = ["key", "client", "ticket", "created_at"]
    list_filter = ["client"]
    search_fields = ["key"]
    list_select_related = ["client", "ticket"]
    readonly_fields = ["client", "key", "fingerprint", "ticket", "answer", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
