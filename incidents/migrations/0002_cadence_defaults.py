from django.db import migrations

CADENCE = {1: (5, 15, 1440, 2880), 2: (15, 30, 2880, 4320), 3: (60, 120, 4320, 10080), 4: (240, 1440, 10080, 20160)}
CRISIS = {1: 100, 2: 75, 3: 50, 4: 34}


def install(apps, schema_editor):
    # The same figures as incidents.defaults, copied so this migration never changes with that module.
    CadencePolicy = apps.get_model("incidents", "CadencePolicy")
    CrisisPolicy = apps.get_model("incidents", "CrisisPolicy")
    for severity, (first, update, resolve, follow_up) in CADENCE.items():
        CadencePolicy.objects.get_or_create(
            severity=severity,
            defaults={
                "first_notice_minutes": first,
                "update_minutes": update,
                "resolve_minutes": resolve,
                "follow_up_minutes": follow_up,
            },
        )
    for level, percent in CRISIS.items():
        CrisisPolicy.objects.get_or_create(level=level, defaults={"cadence_percent": percent})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
