from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0016_reference_sheet")]

    operations = []
