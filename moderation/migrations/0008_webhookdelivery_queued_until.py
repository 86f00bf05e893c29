from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0007_comment_failed_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="queued_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
