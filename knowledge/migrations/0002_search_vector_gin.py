"""The GIN index over the search vectors, on PostgreSQL only.

The vector column exists on every database (always empty outside
PostgreSQL); the index type does not, so it is created here by hand and
skipped elsewhere. The model does not declare it, so the autodetector never
sees a difference.
"""

from django.db import migrations

INDEX = "kb_index_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON knowledge_articlesearchindex USING gin (vector)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
