import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0010_data_version"),
        ("meetings", "0002_meeting_decision_and_releve"),
    ]

    operations = [
        migrations.AddField(
            model_name="meetingdecision",
            name="notified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="auteur informé le"),
        ),
        migrations.CreateModel(
            name="MeetingPack",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("digest", models.CharField(max_length=64, verbose_name="empreinte du contenu")),
                (
                    "document",
                    models.BinaryField(default=b"", verbose_name="dossier de séance (PDF)"),
                ),
                (
                    "built_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="produit le"
                    ),
                ),
                (
                    "meeting",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="meeting_pack",
                        to="conventions.meeting",
                        verbose_name="réunion",
                    ),
                ),
            ],
            options={
                "verbose_name": "dossier de séance",
                "verbose_name_plural": "dossiers de séance",
            },
        ),
    ]
