from django.urls import path

from . import agent_views as views

app_name = "helpdesk"

urlpatterns = [
    path("", views.ticket_list, name="ticket-list"),
    path("tickets/bulk/", views.ticket_bulk, name="ticket-bulk"),
    path("agents/", views.agent_search, name="agent-search"),
    path("tickets/<str:ref>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<str:ref>/claim/", views.ticket_claim, name="ticket-claim"),
    path("tickets/<str:ref>/fields/", views.ticket_update, name="ticket-update"),
    path("tickets/<str:ref>/messages/", views.ticket_reply, name="ticket-reply"),
]
