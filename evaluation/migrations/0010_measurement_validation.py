# Validation of measurements by the Caf (issue #17): a state, who examined the value and when,
# and the comment of a value sent back. Existing measurements were counted as soon as they
# were typed: they become « validée », validated when they were entered.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

STATE_CHOICES = [("a_valider", "À valider"), ("validee", "Validée"), ("renvoyee", "Renvoyée")]


def fields(*, historical: bool) -> dict:
    """The new columns, on the measurement and on its history (whose foreign key is loose)."""
    reviewer = {"on_delete": django.db.models.deletion.SET_NULL}
    if historical:
        reviewer = {"db_constraint": False, "on_delete": django.db.models.deletion.DO_NOTHING}
    return {
        "return_comment": models.TextField(blank=True, verbose_name="motif du renvoi"),
        "validated_at": models.DateTimeField(blank=True, null=True, verbose_name="examinée le"),
        "validated_by": models.ForeignKey(
            blank=True,
            null=True,
            related_name="+",
            to=settings.AUTH_USER_MODEL,
            verbose_name="examinée par",
            **reviewer,
        ),
        "validation_state": models.CharField(
            choices=STATE_CHOICES, default="validee", max_length=20, verbose_name="validation"
        ),
    }


def existing_validated(apps, schema_editor):
    Measurement = apps.get_model("evaluation", "Measurement")
    Measurement.objects.update(validation_state="validee", validated_at=models.F("entered_at"))


def existing_unvalidated(apps, schema_editor):
    Measurement = apps.get_model("evaluation", "Measurement")
    Measurement.objects.update(validated_at=None, validated_by=None)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0009_progress_read_model"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *(
            migrations.AddField(model_name=model, name=name, field=field)
            for model, historical in (("historicalmeasurement", True), ("measurement", False))
            for name, field in fields(historical=historical).items()
        ),
        migrations.AddIndex(
            model_name="measurement",
            index=models.Index(
                condition=models.Q(("validation_state", "validee"), _negated=True),
                fields=["validation_state", "indicator"],
                name="measurement_awaiting_idx",
            ),
        ),
        migrations.RunPython(existing_validated, existing_unvalidated),
    ]
