from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0012_open_data_shared_breakdown")]

    operations = []
