# Locked periods: the measurements a report presented, and their unlocks by Caf staff.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0010_data_version"),
        ("evaluation", "0010_measurement_validation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PeriodLock",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start", models.DateField(verbose_name="début de la période verrouillée")),
                ("end", models.DateField(verbose_name="fin de la période verrouillée")),
                ("label", models.CharField(max_length=255, verbose_name="verrouillée par")),
                ("reference", models.CharField(max_length=100, verbose_name="référence")),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="verrouillée le"),
                ),
                (
                    "convention",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="period_locks",
                        to="conventions.convention",
                        verbose_name="convention",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="verrouillée par (personne)",
                    ),
                ),
            ],
            options={
                "verbose_name": "période verrouillée",
                "verbose_name_plural": "périodes verrouillées",
                "ordering": ["convention", "-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="MeasurementUnlock",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField(verbose_name="date de la mesure")),
                (
                    "value_before",
                    models.DecimalField(
                        decimal_places=2, max_digits=14, verbose_name="valeur au déverrouillage"
                    ),
                ),
                ("reason", models.TextField(verbose_name="motif")),
                ("at", models.DateTimeField(auto_now_add=True, verbose_name="déverrouillée le")),
                (
                    "by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="déverrouillée par",
                    ),
                ),
                (
                    "indicator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="evaluation.indicator",
                        verbose_name="indicateur",
                    ),
                ),
                (
                    "measurement",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="unlocks",
                        to="evaluation.measurement",
                        verbose_name="mesure",
                    ),
                ),
                (
                    "lock",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="unlocks",
                        to="evaluation.periodlock",
                        verbose_name="verrou",
                    ),
                ),
            ],
            options={
                "verbose_name": "déverrouillage de mesure",
                "verbose_name_plural": "déverrouillages de mesures",
                "ordering": ["-at", "-id"],
            },
        ),
        migrations.AddIndex(
            model_name="periodlock",
            index=models.Index(
                fields=["convention", "start", "end"], name="evaluation__convent_1e606e_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="periodlock",
            constraint=models.UniqueConstraint(
                fields=("convention", "reference"), name="period_lock_once_per_reference"
            ),
        ),
        migrations.AddConstraint(
            model_name="periodlock",
            constraint=models.CheckConstraint(
                condition=models.Q(("end__gte", models.F("start"))),
                name="period_lock_order",
                violation_error_message="La fin de période ne peut pas précéder son début.",
            ),
        ),
        migrations.AddIndex(
            model_name="measurementunlock",
            index=models.Index(fields=["indicator", "date"], name="evaluation__indicat_881f9d_idx"),
        ),
    ]
