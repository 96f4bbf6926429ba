from django.db import migrations


def seed(apps, schema_editor):
    from amparo.vocab.seed import sync

    sync(apps)


class Migration(migrations.Migration):
    dependencies = [("vocab", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
