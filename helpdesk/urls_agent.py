from django.urls import path

from . import agent_views as views
from . import knowledge_views, triage_views

app_name = "helpdesk"

urlpatterns = [
    path("", views.ticket_list, name="ticket-list"),
    path("tickets/bulk/", views.ticket_bulk, name="ticket-bulk"),
    path("agents/", views.agent_search, name="agent-search"),
    path("availability/", triage_views.availability, name="availability"),
    path("tickets/<str:ref>/suggestion/", triage_views.ticket_suggestion, name="ticket-suggestion"),
    path("reminders/", views.reminder_list, name="reminder-list"),
    path("reminders/<int:pk>/dismiss/", views.reminder_dismiss, name="reminder-dismiss"),
    path("tickets/<str:ref>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<str:ref>/claim/", views.ticket_claim, name="ticket-claim"),
    path("tickets/<str:ref>/fields/", views.ticket_update, name="ticket-update"),
    path("tickets/<str:ref>/messages/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<str:ref>/escalate/", views.ticket_escalate, name="ticket-escalate"),
    path("tickets/<str:ref>/deescalate/", views.ticket_deescalate, name="ticket-deescalate"),
    path("tickets/<str:ref>/acknowledge/", views.ticket_acknowledge, name="ticket-acknowledge"),
    path("tickets/<str:ref>/escalation-request/", views.ticket_answer_escalation, name="ticket-answer-escalation"),
    path("tickets/<str:ref>/sla/", views.ticket_sla, name="ticket-sla"),
    path("tickets/<str:ref>/templates/", views.ticket_templates, name="ticket-templates"),
    path("tickets/<str:ref>/macros/", views.ticket_macros, name="ticket-macros"),
    path("tickets/<str:ref>/macros/<int:pk>/", views.ticket_macro_preview, name="ticket-macro-preview"),
    path("tickets/<str:ref>/macros/<int:pk>/apply/", views.ticket_macro_apply, name="ticket-macro-apply"),
    path("tickets/<str:ref>/macros/undo/<int:pk>/", views.ticket_macro_undo, name="ticket-macro-undo"),
    path("tickets/<str:ref>/articles/", knowledge_views.ticket_articles, name="ticket-articles"),
    path("tickets/<str:ref>/articles/new/", knowledge_views.ticket_capture, name="ticket-capture"),
    path("tickets/<str:ref>/deliveries/", views.ticket_deliveries, name="ticket-deliveries"),
    path("tickets/<str:ref>/deliveries/<int:pk>/retry/", views.ticket_delivery_retry, name="ticket-delivery-retry"),
    path("tickets/<str:ref>/templates/<slug:slug>/", views.ticket_template_use, name="ticket-template-use"),
]
