"""How essays are stored: paragraphs as readable JSON text, and the
migration that rewrites rows stored before that."""
import importlib
import json
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from essays.models import Essay
from search import documents

pytestmark = pytest.mark.django_db

PARAGRAPHS = ["天下大事，必作于细。", "引号“”、反斜杠\\u4e00与 emoji 😀", ""]


def stored_text(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT paragraphs FROM essays_essay WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_paragraphs_are_stored_as_text_not_escapes():
    essay = Essay.objects.create(title="存储", paragraphs=PARAGRAPHS, source_name="s.txt", content_hash="h")
    text = stored_text(essay.pk)
    assert "天下大事" in text and "\\u5929" not in text
    assert json.loads(text) == PARAGRAPHS
    assert Essay.objects.get(pk=essay.pk).paragraphs == PARAGRAPHS


def test_migration_rewrites_escaped_rows_and_keeps_their_content():
    if connection.vendor != "sqlite":
        pytest.skip("migration 0002 rewrites SQLite's text column only (PostgreSQL's jsonb keeps no escapes)")
    keep = Essay.objects.create(title="旧", paragraphs=PARAGRAPHS, source_name="old.txt", content_hash="h1")
    other = Essay.objects.create(title="新", paragraphs=["新段落"], source_name="new.txt", content_hash="h2")
    digests = {keep.pk: documents.digest(keep), other.pk: documents.digest(other)}
    updated = {e.pk: e.updated for e in Essay.objects.all()}
    with connection.cursor() as cursor:  # as rows were written before the migration
        cursor.execute("UPDATE essays_essay SET paragraphs = %s WHERE id = %s", [json.dumps(PARAGRAPHS), keep.pk])
    assert "\\u5929" in stored_text(keep.pk)
    migration = importlib.import_module("essays.migrations.0002_paragraphs_as_text")
    # It uses only the editor's connection (a real schema editor cannot be
    # opened inside the test's transaction on SQLite).
    migration.rewrite_escaped_paragraphs(apps, SimpleNamespace(connection=connection))
    assert "天下大事" in stored_text(keep.pk) and "\\u5929" not in stored_text(keep.pk)
    assert {e.pk: documents.digest(e) for e in Essay.objects.all()} == digests
    assert {e.pk: e.updated for e in Essay.objects.all()} == updated
