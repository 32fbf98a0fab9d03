"""Feedback's pages, included at the root: survey links, the review queue, the feedback report."""

from django.urls import path

from . import manager_views, views

app_name = "feedback"

urlpatterns = [
    # Customers (an emailed link, or the portal)
    path("feedback/s/<str:token>/", views.survey_answer, name="survey-answer"),
    path("feedback/s/<str:token>/opt-out/", views.survey_opt_out, name="survey-opt-out"),
    path("feedback/thanks/", views.survey_thanks, name="survey-thanks"),
    path("feedback/surveys/<int:pk>/", views.survey_portal, name="survey-portal"),
    path("feedback/preferences/", views.survey_preference, name="survey-preference"),
    # Managers and reviewers
    path("manager/feedback/", manager_views.feedback_page, name="report"),
    path("manager/feedback/export.csv", manager_views.feedback_export, name="export"),
    path("manager/feedback/panel/", manager_views.feedback_panel, name="panel"),
    path("manager/reviews/", manager_views.review_list, name="review-list"),
    path("manager/reviews/<int:pk>/", manager_views.review_detail, name="review-detail"),
    # Agents
    path("agent/reviews/", manager_views.agent_reviews, name="agent-reviews"),
]
