from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from moderation.api.compat.openai_moderations import OpenAIModerationsApi
from moderation.api.compat.perspective import PerspectiveAnalyzeApi, PerspectiveSuggestScoreApi
from moderation.api.probes import health, metrics, ready

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(("moderation.api.urls", "api"), namespace="v1")),
    path("v1/moderations", OpenAIModerationsApi.as_view(), name="openai-moderations"),
    path("v1alpha1/comments:analyze", PerspectiveAnalyzeApi.as_view(), name="perspective-analyze"),
    path(
        "v1alpha1/comments:suggestscore",
        PerspectiveSuggestScoreApi.as_view(),
        name="perspective-suggestscore",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", health, name="health"),
    path("readyz", ready, name="ready"),
    path("metrics", metrics, name="metrics"),
]

handler400 = "moderation.api.errors.json_bad_request"
handler404 = "moderation.api.errors.json_not_found"
handler500 = "moderation.api.errors.json_server_error"
