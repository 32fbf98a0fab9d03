from django.urls import path

from . import manage_views, views

app_name = "knowledge"

urlpatterns = [
    path("", views.category_list, name="category-list"),
    path("search/", views.search, name="search"),
    path("categories/<slug:slug>/", views.category_detail, name="category-detail"),
    path("articles/<slug:slug>/", views.article_detail, name="article-detail"),
    path("articles/<slug:slug>/feedback/", views.article_feedback, name="article-feedback"),
    path("manage/", manage_views.article_list, name="manage-article-list"),
    path("manage/review/", manage_views.needs_review, name="manage-needs-review"),
    path("manage/gaps/", manage_views.content_gaps, name="manage-content-gaps"),
    path("manage/articles/new/", manage_views.article_create, name="manage-article-create"),
    path("manage/articles/<int:pk>/", manage_views.article_edit, name="manage-article-edit"),
    path("manage/articles/<int:pk>/transition/", manage_views.article_transition, name="manage-article-transition"),
    path("manage/articles/<int:pk>/history/", manage_views.article_history, name="manage-article-history"),
]
