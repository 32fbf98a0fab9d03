from django.urls import path

from . import views

app_name = "journey"

urlpatterns = [
    path("tickets/<str:ref>/panel/", views.ticket_panel, name="ticket-panel"),
    path("tickets/<str:ref>/draft/", views.ticket_draft, name="ticket-draft"),
    path("systemic/", views.systemic_list, name="systemic-list"),
    path("systemic/<int:pk>/", views.systemic_detail, name="systemic-detail"),
    path("systemic/<int:pk>/incident/", views.systemic_open_incident, name="systemic-incident"),
]
