import json

import essays.models
from django.db import migrations, models

BATCH = 500


def rewrite_escaped_paragraphs(apps, schema_editor):
    """Rewrite paragraphs stored with \\uXXXX escapes (before this
    migration) as plain text, so that existing essays read as fast as new
    ones. Content is unchanged: the same JSON value, written shorter; the
    rows' updated time and the search index are untouched. SQLite only:
    other databases keep JSON in a form of their own."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    table = connection.ops.quote_name(apps.get_model("essays", "Essay")._meta.db_table)
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT id, paragraphs FROM {table} WHERE id > %s ORDER BY id LIMIT %s", [last, BATCH])
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            updates = [(json.dumps(json.loads(text), ensure_ascii=False), pk)
                       for pk, text in rows if isinstance(text, str) and "\\u" in text]
            if updates:
                cursor.executemany(f"UPDATE {table} SET paragraphs = %s WHERE id = %s", updates)


class Migration(migrations.Migration):

    dependencies = [
        ('essays', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='essay',
            name='paragraphs',
            field=models.JSONField(default=list, encoder=essays.models.TextJSONEncoder, verbose_name='段落'),
        ),
        migrations.RunPython(rewrite_escaped_paragraphs, migrations.RunPython.noop),
    ]
