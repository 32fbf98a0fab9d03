from django.db import migrations


def fill(apps, schema_editor):
    from feedback.defaults import fill_criterion_names

    fill_criterion_names(apps.get_model("feedback", "ReviewCriterion"))


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_alter_reviewitem_reason")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
