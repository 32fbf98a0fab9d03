"""The public status page, under /status/ (no login)."""

from django.urls import path

from . import feeds, status_views

app_name = "status"

urlpatterns = [
    path("", status_views.status_page, name="page"),
    path("summary.json", status_views.summary, name="summary"),
    path("feed.atom", feeds.IncidentFeed(), name="feed"),
    path("subscribe/", status_views.subscribe, name="subscribe"),
    path("subscriptions/confirm/<str:token>/", status_views.subscription_confirm, name="subscription-confirm"),
    path("subscriptions/unsubscribe/<str:token>/", status_views.unsubscribe, name="unsubscribe"),
]
