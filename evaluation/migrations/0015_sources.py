from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0014_breakdown")]

    operations = []
