"""Root URLconf."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("attachments/<int:pk>/<path:name>", views.attachment_download, name="attachment-download"),
    path("agent/incidents/", include("incidents.urls")),
    path("agent/", include("helpdesk.urls_agent")),
    path("status/", include("incidents.urls_status")),
    path("portal/", include("helpdesk.urls_portal")),
    path("manager/", include("helpdesk.urls_manager")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
