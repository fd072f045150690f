# The progress read model (evaluation.readmodel): per indicator and per convention, the
# figures of the progress rule as computed on a day, for a data version.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0002_initial"),
        ("evaluation", "0008_indicator_code"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConventionProgress",
            fields=[
                (
                    "convention",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="progress_row",
                        serialize=False,
                        to="conventions.convention",
                        verbose_name="convention",
                    ),
                ),
                ("computed_on", models.DateField(verbose_name="calculé pour le")),
                (
                    "data_version",
                    models.PositiveBigIntegerField(verbose_name="version des données"),
                ),
                ("start_date", models.DateField(verbose_name="début de la convention")),
                ("end_date", models.DateField(verbose_name="fin de la convention")),
                (
                    "indicator_count",
                    models.PositiveIntegerField(default=0, verbose_name="indicateurs"),
                ),
                (
                    "late_count",
                    models.PositiveIntegerField(default=0, verbose_name="indicateurs en retard"),
                ),
                (
                    "thematic_rows",
                    models.JSONField(default=list, verbose_name="lignes par thématique et état"),
                ),
            ],
            options={
                "verbose_name": "progression d'une convention",
                "verbose_name_plural": "progressions des conventions",
            },
        ),
        migrations.CreateModel(
            name="IndicatorProgress",
            fields=[
                (
                    "indicator",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="progress_row",
                        serialize=False,
                        to="evaluation.indicator",
                        verbose_name="indicateur",
                    ),
                ),
                (
                    "last_value",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=14,
                        null=True,
                        verbose_name="dernière valeur",
                    ),
                ),
                (
                    "last_date",
                    models.DateField(
                        blank=True, null=True, verbose_name="date de la dernière mesure"
                    ),
                ),
                (
                    "progress_pct",
                    models.FloatField(blank=True, null=True, verbose_name="progression"),
                ),
                (
                    "progress_bar_pct",
                    models.FloatField(blank=True, null=True, verbose_name="progression bornée"),
                ),
                (
                    "expected_pct",
                    models.FloatField(blank=True, null=True, verbose_name="progression attendue"),
                ),
                (
                    "schedule_gap",
                    models.FloatField(blank=True, null=True, verbose_name="écart au calendrier"),
                ),
                ("status", models.CharField(max_length=20, verbose_name="état")),
                ("late", models.BooleanField(default=False, verbose_name="en retard")),
                ("computed_on", models.DateField(verbose_name="calculé pour le")),
                (
                    "convention",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="conventions.convention",
                        verbose_name="convention",
                    ),
                ),
            ],
            options={
                "verbose_name": "progression d'un indicateur",
                "verbose_name_plural": "progressions des indicateurs",
                "indexes": [
                    models.Index(
                        fields=["convention", "status", "schedule_gap"],
                        name="evaluation__convent_c5f6f1_idx",
                    )
                ],
            },
        ),
    ]
