# Auto-remove becomes per label. An existing platform keeps what it had: its one threshold
# becomes every label's (where it is not below that label's flag threshold), so no platform's
# behaviour changes silently; new platforms take the active model's per-label recommendation.

from django.db import migrations, models

LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")


def copy_threshold_to_every_label(apps, schema_editor):
    Platform = apps.get_model("moderation", "Platform")
    for platform in Platform.objects.all():
        flags = platform.flag_thresholds or {}
        platform.auto_remove_thresholds = {
            label: platform.auto_remove_threshold
            for label in LABELS
            if platform.auto_remove_threshold >= float(flags.get(label, 0.0))
        }
        platform.save(update_fields=["auto_remove_thresholds"])


def keep_the_highest(apps, schema_editor):
    Platform = apps.get_model("moderation", "Platform")
    for platform in Platform.objects.all():
        values = [float(v) for v in (platform.auto_remove_thresholds or {}).values()]
        platform.auto_remove_threshold = min(values) if values else 1.0
        platform.save(update_fields=["auto_remove_threshold"])


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0007_comment_failed_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="modelversion",
            name="auto_remove_thresholds",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="platform",
            name="auto_remove_thresholds",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Per label, the score at or above which a comment is removed "
                "automatically; labels not listed never remove without a moderator.",
            ),
        ),
        migrations.RunPython(copy_threshold_to_every_label, keep_the_highest),
        migrations.RemoveConstraint(
            model_name="platform",
            name="platform_auto_remove_threshold_in_range",
        ),
        migrations.RemoveField(
            model_name="platform",
            name="auto_remove_threshold",
        ),
    ]
