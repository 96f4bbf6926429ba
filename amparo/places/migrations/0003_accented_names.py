from django.db import migrations


def load(apps, schema_editor):
    # Reload the shipped ubigeo: department, province and district names gain their accents.
    from amparo.places.ubigeo import load as load_ubigeo

    load_ubigeo(apps)


class Migration(migrations.Migration):
    dependencies = [("places", "0002_load_ubigeo")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
