from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0015_sources")]

    operations = []
