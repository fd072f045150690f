# Per convention: which measurements the Caf validates before they count (issue #17).

from django.db import migrations, models


def field():
    return models.CharField(
        choices=[
            ("territory", "Les valeurs saisies par le territoire"),
            ("everyone", "Toutes les valeurs"),
            ("nobody", "Aucune valeur"),
        ],
        default="territory",
        help_text="Les mesures à valider ne comptent dans la synthèse, les rapports et les "
        "exports qu'une fois validées par la Caf.",
        max_length=20,
        verbose_name="validation des mesures par la Caf",
    )


class Migration(migrations.Migration):
    dependencies = [("conventions", "0010_data_version")]

    operations = [
        migrations.AddField(
            model_name="convention", name="measurements_need_validation", field=field()
        ),
        migrations.AddField(
            model_name="historicalconvention", name="measurements_need_validation", field=field()
        ),
    ]
