from __future__ import annotations

from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from moderation.services.model_versions import register_shipped_model_after_migrate

        post_migrate.connect(register_shipped_model_after_migrate, sender=self)
