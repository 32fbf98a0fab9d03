from django.urls import path

from . import ticket_api

app_name = "tickets-api"

urlpatterns = [
    path("", ticket_api.ticket_create, name="ticket-create"),
    path("<str:ref>/", ticket_api.ticket_detail, name="ticket-detail"),
]
