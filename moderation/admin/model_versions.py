"""Admin for model versions and retrain runs: metrics, reports, activation, retraining."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from moderation import enqueue
from moderation.models import ModelVersion, RetrainRun
from moderation.services.model_versions import model_version_activate


def _find_metric(metrics: Any, label: str, name: str) -> float | None:
    """The pooled metric for a label, wherever the artifact's metrics nest it."""
    if isinstance(metrics, dict):
        for key in ("overall", "pooled", "holdout", "all"):
            if key in metrics:
                found = _find_metric(metrics[key], label, name)
                if found is not None:
                    return found
        node = metrics.get(label)
        if isinstance(node, dict) and isinstance(node.get(name), int | float):
            return float(node[name])
    return None


def _pre(value: Any) -> str:
    return format_html(
        "<pre style='max-height:30em;overflow:auto'>{}</pre>",
        json.dumps(value, indent=2, sort_keys=True, default=str),
    )


def _report_summary(path: str) -> str:
    """The report's Markdown summary, shown as text (the PNGs sit beside it on disk)."""
    if not path:
        return "—"
    folder = Path(path)
    summary = folder / "summary.md"
    plots = sorted(p.name for p in folder.glob("*.png")) if folder.is_dir() else []
    text = summary.read_text() if summary.is_file() else "(no summary.md)"
    return format_html(
        "<div>{}</div><div>Plots: {}</div><pre style='white-space:pre-wrap'>{}</pre>",
        path,
        ", ".join(plots) or "none",
        text,
    )


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "version",
        "backend",
        "origin",
        "is_active",
        "promotion",
        "headline_metric",
        "created_at",
        "activated_at",
    ]
    list_filter = ["backend", "is_active", "origin", "promotion"]
    readonly_fields = (
        "version",
        "backend",
        "origin",
        "is_active",
        "activated_at",
        "promotion",
        "promotion_reason",
        "artifact_path",
        "report",
        "label_schema",
        "thresholds",
        "metrics_display",
        "training_summary_display",
        "created_at",
    )
    fields = readonly_fields
    actions = ["activate", "rescore_with_active"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="holdout toxic ROC-AUC")
    def headline_metric(self, model_version: ModelVersion) -> str:
        value = _find_metric(model_version.metrics, "toxic", "roc_auc")
        return "—" if value is None else f"{value:.3f}"

    @admin.display(description="metrics")
    def metrics_display(self, model_version: ModelVersion) -> str:
        return _pre(model_version.metrics)

    @admin.display(description="training data")
    def training_summary_display(self, model_version: ModelVersion) -> str:
        return _pre(model_version.training_summary)

    @admin.display(description="report")
    def report(self, model_version: ModelVersion) -> str:
        return _report_summary(model_version.report_path)

    @admin.action(
        description="Activate the selected version (workers switch on their next batch)",
        permissions=["change"],
    )
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        version = model_version_activate(model_version=queryset.get())
        self.message_user(request, f"{version.version} is now active.", messages.SUCCESS)

    @admin.action(
        description="Rescore flagged, unreviewed comments with the active version",
        permissions=["change"],
    )
    def rescore_with_active(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        enqueue.task_send_on_commit(enqueue.COMMENTS_RESCORE)
        self.message_user(
            request,
            "Rescoring queued: flagged, unreviewed comments are scored again with the active "
            "version; their old scores stay in their history.",
            messages.SUCCESS,
        )


@admin.register(RetrainRun)
class RetrainRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "id",
        "started_at",
        "status",
        "trigger",
        "backend",
        "champion",
        "candidate",
        "corrections_new",
        "short_reason",
    ]
    list_filter = ["status", "trigger", "backend"]
    list_select_related = ["champion", "candidate"]
    readonly_fields = (
        "status",
        "trigger",
        "backend",
        "started_at",
        "finished_at",
        "champion",
        "candidate",
        "corrections_total",
        "corrections_new",
        "corrections_until",
        "reason",
        "comparison_display",
        "report",
    )
    fields = readonly_fields
    change_list_template = "admin/moderation/retrainrun/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="reason")
    def short_reason(self, run: RetrainRun) -> str:
        return run.reason if len(run.reason) <= 120 else run.reason[:120] + "…"

    @admin.display(description="champion and candidate")
    def comparison_display(self, run: RetrainRun) -> str:
        return _pre(run.comparison)

    @admin.display(description="report")
    def report(self, run: RetrainRun) -> str:
        return _report_summary(run.report_path)

    def has_retrain_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def get_urls(self) -> list[Any]:
        urls = [
            path(
                "retrain/",
                self.admin_site.admin_view(self.retrain_now_view),
                name="moderation_retrainrun_retrain",
            )
        ]
        return urls + super().get_urls()

    def retrain_now_view(self, request: HttpRequest) -> HttpResponse:
        """POST: queue a retrain on the training queue (the button on the runs list)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request) or not self.has_retrain_permission(request):
            raise PermissionDenied
        enqueue.task_send_on_commit(enqueue.TRAINING_RETRAIN, kwargs={"trigger": "admin"})
        self.message_user(
            request,
            "Retrain queued on the training queue; it appears here when a worker starts it.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:moderation_retrainrun_changelist"))
