from django.db import migrations


def load(apps, schema_editor):
    from amparo.places.ubigeo import load as load_ubigeo

    load_ubigeo(apps)


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
