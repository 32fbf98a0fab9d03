from django.db import migrations


def install(apps, schema_editor):
    from feedback.defaults import install_defaults

    install_defaults(apps.get_model("feedback", "FeedbackTheme"), apps.get_model("feedback", "ReviewCriterion"))
    # The settings row, so that reading it is always one query.
    apps.get_model("feedback", "SurveySettings").objects.get_or_create(pk=1, defaults={"pulse_channels": ["chat"]})


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
