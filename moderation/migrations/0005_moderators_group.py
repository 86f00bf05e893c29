"""The `moderators` group: review, export, dashboard and "try a text"; nothing about keys,
webhooks or models. `python manage.py moderators_setup` re-applies the same list and adds users."""

from django.db import migrations

MODERATORS_GROUP = "moderators"
MODERATOR_PERMISSIONS = [
    "view_reviewqueueitem",
    "review_comment",
    "export_corrections",
    "view_review",
    "view_comment",
    "view_moderationdashboard",
    "view_texttrial",
]


def create_moderators_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after the last migration; this one needs them now.
    app_config = apps.get_app_config("moderation")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="moderation", codename__in=MODERATOR_PERMISSIONS
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ("moderation", "0004_reviews"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators_group, migrations.RunPython.noop)]
