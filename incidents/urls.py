from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="incident-list"),
    path("new/", views.incident_create, name="incident-create"),
    path("<str:ref>/", views.incident_detail, name="incident-detail"),
    path("<str:ref>/updates/", views.incident_update, name="incident-update"),
    path("<str:ref>/links/", views.incident_link, name="incident-link"),
    path("<str:ref>/links/<int:pk>/", views.incident_link_action, name="incident-link-action"),
]
