"""Root URLconf."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import account_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/signup/done/", account_views.signup_done, name="signup-done"),
    path("accounts/activate/<str:token>/", account_views.activate, name="account-activate"),
    # Django's names, which its password reset views reverse.
    path("accounts/password-reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("attachments/<int:pk>/<path:name>", views.attachment_download, name="attachment-download"),
    # Named by string, not imported: the helpdesk does not depend on the feedback app.
    path("", include("feedback.urls")),
    path("agent/incidents/", include("incidents.urls")),
    path("agent/signals/", include("incidents.journey.urls")),
    path("manager/signals/", include("incidents.journey.urls_manager")),
    path("api/signals/", include("incidents.journey.urls_api")),
    path("api/tickets/", include("helpdesk.urls_api")),
    path("agent/", include("helpdesk.urls_agent")),
    path("status/", include("incidents.urls_status")),
    path("portal/", include("helpdesk.urls_portal")),
    path("manager/", include("helpdesk.urls_manager")),
    path("inbound/", include("comms.urls")),
    path("kb/", include("knowledge.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
