from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0008_per_label_auto_remove"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="queued_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
