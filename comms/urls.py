from django.urls import path

from . import views

app_name = "comms"

urlpatterns = [
    path("email/", views.inbound_email, name="inbound-email"),
]
