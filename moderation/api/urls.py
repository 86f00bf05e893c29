from __future__ import annotations

from django.urls import path

from moderation.api import views

urlpatterns = [
    path("comments", views.CommentListCreateApi.as_view(), name="comments"),
    path("comments/batch", views.CommentBatchCreateApi.as_view(), name="comments-batch"),
    path("comments/<uuid:comment_id>", views.CommentDetailApi.as_view(), name="comment-detail"),
]
