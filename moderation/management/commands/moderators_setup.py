from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation.services.reviews import MODERATOR_PERMISSIONS, moderators_group_ensure


class Command(BaseCommand):
    help = (
        "Create or repair the `moderators` group (review, export, dashboard, try a text; no "
        "API keys, webhooks or models) and add existing users to it as staff."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="*", help="Users to add to the group.")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        users = []
        for username in options["usernames"]:
            user = user_model.objects.filter(username=username).first()
            if user is None:
                raise CommandError(
                    f"No user {username!r}; create it first (`python manage.py createsuperuser` "
                    "or the admin's Users page)."
                )
            users.append(user)
        group = moderators_group_ensure(users=users)
        self.stdout.write(
            f"Group {group.name!r}: {', '.join(MODERATOR_PERMISSIONS)}; "
            f"{group.user_set.count()} member(s)."
        )
