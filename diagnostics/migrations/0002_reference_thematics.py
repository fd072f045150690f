"""Reference list of thematics (DOMAIN.md), and the usual territory statistics."""

from django.db import migrations

from diagnostics.reference import load_reference_data


def load(apps, schema_editor):
    load_reference_data(
        apps.get_model("diagnostics", "Thematic"), apps.get_model("diagnostics", "StatisticDefinition")
    )


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
