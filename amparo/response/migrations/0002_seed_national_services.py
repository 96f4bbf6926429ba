"""Seed the national services from data/national_services.json, marked "to verify"."""

from django.db import migrations


def seed(apps, schema_editor):
    from amparo.response.lib.directory import load_national_services

    Service = apps.get_model("response", "Service")
    for s in load_national_services():
        if Service.objects.filter(organisation__isnull=True, code=s.code).exists():
            continue
        Service.objects.create(
            organisation=None, code=s.code, kind=s.kind, name=s.name, description=s.description_es,
            description_en=s.description_en, phone=s.phone, address=s.address, hours=s.hours,
            languages=list(s.languages), needs=list(s.needs), notes=s.notes, sources=list(s.sources),
            verification="to_verify",
        )


def unseed(apps, schema_editor):
    Service = apps.get_model("response", "Service")
    Service.objects.filter(organisation__isnull=True, referrals__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("response", "0001_directory_referrals_cases_security")]

    operations = [migrations.RunPython(seed, unseed)]
