"""Per-address deliveries of a meeting decision's notice (to the fiche's author and pilot),
and the error of the last attempt on every delivery row (convocation, relevé, decision)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0003_meeting_pack"),
    ]

    operations = [
        migrations.AddField(
            model_name="convocationdelivery",
            name="error",
            field=models.TextField(blank=True, verbose_name="erreur"),
        ),
        migrations.AddField(
            model_name="relevedelivery",
            name="error",
            field=models.TextField(blank=True, verbose_name="erreur"),
        ),
        migrations.CreateModel(
            name="DecisionDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254, verbose_name="adresse")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="envoyé le")),
                ("error", models.TextField(blank=True, verbose_name="erreur")),
                (
                    "decision",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="meetings.meetingdecision",
                        verbose_name="décision",
                    ),
                ),
            ],
            options={
                "verbose_name": "avis de décision envoyé",
                "verbose_name_plural": "avis de décision envoyés",
                "ordering": ["decision", "email"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("decision", "email"), name="decision_delivery_once_per_address"
                    )
                ],
            },
        ),
    ]
