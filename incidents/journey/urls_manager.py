from django.urls import path

from . import views

app_name = "journey-manager"

urlpatterns = [
    path("", views.signal_report, name="signal-report"),
]
