"""The manager's SLA dashboard, under /manager/."""

from django.urls import path

from . import manager_views, triage_views

app_name = "manager"

urlpatterns = [
    path("", manager_views.dashboard, name="dashboard"),
    path("export.csv", manager_views.export, name="export"),
    path("triage/", triage_views.triage_report, name="triage"),
    path("triage/panel/", triage_views.triage_panel, name="triage-panel"),
]
