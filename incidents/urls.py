from django.urls import path

from . import maintenance_views, review_views, views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="incident-list"),
    path("new/", views.incident_create, name="incident-create"),
    path("maintenance/", maintenance_views.maintenance_list, name="maintenance-list"),
    path("maintenance/new/", maintenance_views.maintenance_create, name="maintenance-create"),
    path("maintenance/<int:pk>/", maintenance_views.maintenance_detail, name="maintenance-detail"),
    path("maintenance/<int:pk>/actions/", maintenance_views.maintenance_action, name="maintenance-action"),
    path("<str:ref>/", views.incident_detail, name="incident-detail"),
    path("<str:ref>/updates/", views.incident_update, name="incident-update"),
    path("<str:ref>/links/", views.incident_link, name="incident-link"),
    path("<str:ref>/severity/", views.incident_severity, name="incident-severity"),
    path("<str:ref>/notices/release/", views.incident_release_notices, name="incident-release-notices"),
    path("<str:ref>/close/", views.incident_close, name="incident-close"),
    path("<str:ref>/review/", review_views.review_detail, name="review-detail"),
    path("<str:ref>/review/tasks/", review_views.review_task_add, name="review-task-add"),
    path("<str:ref>/review/tasks/<int:pk>/", review_views.review_task_done, name="review-task-done"),
    path("<str:ref>/links/<int:pk>/", views.incident_link_action, name="incident-link-action"),
]
