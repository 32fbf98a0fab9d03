from django.urls import path

from . import portal_views as views

app_name = "portal"

urlpatterns = [
    path("", views.ticket_list, name="ticket-list"),
    path("tickets/new/", views.ticket_create, name="ticket-create"),
    path("tickets/new/suggestions/", views.ticket_suggestions, name="ticket-suggestions"),
    path("tickets/new/answered/", views.ticket_deflect, name="ticket-deflect"),
    path("tickets/new/answered/<slug:slug>/", views.ticket_deflected, name="ticket-deflected"),
    path("preferences/", views.preferences, name="preferences"),
    path("notifications/read/", views.notification_read_all, name="notification-read-all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("tickets/<str:ref>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<str:ref>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<str:ref>/close/", views.ticket_close, name="ticket-close"),
    path("tickets/<str:ref>/reopen/", views.ticket_reopen, name="ticket-reopen"),
    path("tickets/<str:ref>/escalate/", views.ticket_escalate, name="ticket-escalate"),
]
