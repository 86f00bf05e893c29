from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from moderation.models import ModelVersion, Platform
from moderation.services.model_versions import model_version_ensure_shipped
from moderation.services.platforms import api_key_issue, platform_create


class Command(BaseCommand):
    help = (
        "First-start setup for a local system: the shipped model active, a demo platform with "
        "an API key and an admin user with a generated password (both printed once). Safe "
        "to run again: existing ones are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--platform", default="demo")
        parser.add_argument("--admin-user", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        if not ModelVersion.objects.filter(is_active=True).exists():
            model_version_ensure_shipped()
        active = ModelVersion.objects.filter(is_active=True).first()
        self.stdout.write(f"Active model: {active.version if active else 'none'}")

        name = options["platform"]
        if Platform.objects.filter(name=name).exists():
            self.stdout.write(
                f"Platform {name!r} exists; its key was printed when it was created "
                f"(`python manage.py platform_key_rotate {name}` issues a new one)."
            )
        else:
            platform = platform_create(name=name, display_name="Demo platform")
            issued = api_key_issue(platform=platform, name="demo")
            self.stdout.write(self.style.WARNING(f"Platform {name!r} API key: {issued.secret}"))

        user_model = get_user_model()
        username = options["admin_user"]
        if user_model.objects.filter(username=username).exists():
            self.stdout.write(
                f"Admin user {username!r} exists (`python manage.py changepassword {username}` "
                "resets its password)."
            )
        else:
            password = secrets.token_urlsafe(12)
            user_model.objects.create_superuser(username=username, email="", password=password)
            self.stdout.write(self.style.WARNING(f"Admin user {username!r} password: {password}"))
