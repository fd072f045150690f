from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0013_opendata_feed")]

    operations = []
