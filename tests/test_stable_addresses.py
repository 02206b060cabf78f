"""An essay's address /essays/<id>/ survives editing, rebuild_index, and
deleting the essay and importing the same file again; no other essay ever
takes a deleted essay's id."""
import io

import pytest
from django.core.management import call_command

from essays.importing import import_essay_bytes
from essays.models import Essay, RetiredEssay
from search import service

from .conftest import essay_file

pytestmark = pytest.mark.django_db(transaction=True)


def import_file(name, title, text):
    outcome = import_essay_bytes(essay_file(1, title, [text]), name)
    assert outcome.status in ("created", "updated", "unchanged"), outcome
    return outcome


def test_delete_and_re_import_gives_the_same_address(client):
    first = import_file("a.txt", "地址稳定", "地址稳定的句子。")
    url = f"/essays/{first.essay_id}/"
    Essay.objects.get(pk=first.essay_id).delete()
    assert client.get(url).status_code == 404
    assert RetiredEssay.objects.get(source_name="a.txt").essay_id == first.essay_id
    other = import_file("b.txt", "别的文章", "别的句子。")  # created meanwhile: a new id, not the retired one
    assert other.essay_id != first.essay_id
    again = import_file("a.txt", "地址稳定", "地址稳定的句子。")
    assert again.status == "created" and again.essay_id == first.essay_id
    assert client.get(url).status_code == 200 and "地址稳定的句子" in client.get(url).content.decode()
    assert not RetiredEssay.objects.exists()
    hit = service.search('"地址稳定的句子"').hits[0]
    assert hit.id == first.essay_id and hit.url == url
    assert client.get("/api/essays/%d" % first.essay_id).json()["url"].endswith(url)


def test_bulk_deletes_retire_every_id(client, admin_client):
    ids = [import_file(f"{n}.txt", f"批量{n}", f"批量第{n}篇。").essay_id for n in range(3)]
    Essay.objects.filter(pk__in=ids).delete()
    assert sorted(RetiredEssay.objects.values_list("essay_id", flat=True)) == sorted(ids)
    assert [import_file(f"{n}.txt", f"批量{n}", f"批量第{n}篇。").essay_id for n in range(3)] == ids


def test_edits_re_imports_and_rebuilds_keep_the_address(client):
    first = import_file("c.txt", "原标题", "原来的句子。")
    changed = import_file("c.txt", "新标题", "改过的句子。")
    assert changed.status == "updated" and changed.essay_id == first.essay_id
    call_command("rebuild_index", stdout=io.StringIO(), stderr=io.StringIO())
    assert service.search('"改过的句子"').hits[0].url == f"/essays/{first.essay_id}/"
    assert client.get(f"/essays/{first.essay_id}/").status_code == 200


def test_ids_are_never_handed_out_twice():
    """Even the newest essay's id, deleted, is not given to the next new essay."""
    last = import_file("d.txt", "最新", "最新的句子。").essay_id
    Essay.objects.filter(pk=last).delete()
    assert import_file("e.txt", "另一篇", "另一篇的句子。").essay_id > last
