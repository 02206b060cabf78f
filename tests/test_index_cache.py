"""What the Whoosh backend (store, view, sidecar) keeps beside Whoosh's own files and in memory: the
per-segment sidecar of stored values, and the master's preload."""
import os

import pytest

from search.backends.whoosh import bitsets
from search.backends.whoosh import internals, sidecar, store as index_mod
from search.backends.whoosh import query as q
from search.backends.base import EssayDoc
from search.backends.whoosh.store import WhooshIndex
from search.syntax import parse_query


def docs(start, n):
    return [EssayDoc(id=i, number=i, created=float(i), title=f"标题{i}", paragraphs=(f"第{i}篇，发展。", "落实"),
                     digest=f"d{i}") for i in range(start, start + n)]


def sidecars(path, ext=".fold"):
    return sorted(name for name in os.listdir(path) if name.endswith(ext))


def values(view):
    return (view.ids, view.numbers, view.created, view.titles, view.texts, view.digests, view.live)


@pytest.fixture
def bulk(tmp_path, monkeypatch):
    monkeypatch.setattr(index_mod, "SIDECAR_AFTER", 10)
    ix = WhooshIndex(tmp_path / "index")
    ix.write(add=docs(1, 30))
    return ix


def test_a_bulk_write_leaves_sidecars_that_load_the_same_values(bulk, tmp_path):
    assert sidecars(bulk.path)
    from_stored = values(bulk.view())
    fresh = WhooshIndex(bulk.path)
    loaded = []
    real_load = sidecar.stored_values
    try:
        sidecar.stored_values = lambda reader: loaded.append(reader) or real_load(reader)
        assert values(fresh.view()) == from_stored
    finally:
        sidecar.stored_values = real_load
    assert loaded == []  # nothing was unpickled: every segment came from its sidecar


def test_a_small_write_adds_no_sidecar_and_the_reader_writes_it(bulk):
    before = set(sidecars(bulk.path))
    bulk.write(add=docs(100, 1))
    view = WhooshIndex(bulk.path).view()
    assert 100 in view.docnum_of
    expected = {sidecar.path_of(leaf, str(bulk.path)) for leaf, _o in view.leaves}
    assert {str(bulk.path / name) for name in sidecars(bulk.path)} == expected != {str(bulk.path / n) for n in before}


def test_damaged_sidecar_is_ignored_and_replaced(bulk, caplog):
    expected = values(bulk.view())
    name = sidecars(bulk.path)[0]
    (bulk.path / name).write_bytes(b"\x00garbage")
    assert values(WhooshIndex(bulk.path).view()) == expected
    assert "unreadable search sidecar" in caplog.text
    assert (bulk.path / name).stat().st_size > 100  # written again


def test_sidecars_go_with_their_segments(bulk, monkeypatch):
    old = set(sidecars(bulk.path)) | set(sidecars(bulk.path, ".chars"))
    bulk.write(add=docs(1, 30), clear=True)  # a rebuild: all new segments
    new = set(sidecars(bulk.path)) | set(sidecars(bulk.path, ".chars"))
    assert new.isdisjoint(old)
    assert [n.replace(".fold", "") for n in sidecars(bulk.path)] == \
        [n.replace(".chars", "") for n in sidecars(bulk.path, ".chars")] != []


def scanned(seg, ch):
    return bitsets.from_flags(ch in t for t in seg.texts)


def test_character_sets_read_from_their_file_equal_a_scan(bulk):
    bulk.write(add=docs(40, 25))  # a second bulk segment: files for both
    bulk.write(remove=[3, 41])  # deletions leave the files as they are
    view = WhooshIndex(bulk.path).view()
    assert len(view.parts) == 2
    chars = set("".join(view.texts)) | {"无"}  # and one in no essay
    for seg, _reader, _offset in view.parts:
        assert seg._chars is not None
        for ch in chars:
            assert seg.has_gram(ch, "all") and not seg.has_gram(ch, "title")
            assert seg.gram_bits(ch, "all") == scanned(seg, ch)
    assert view.has_gram_bits("篇") and q.matching_docnums(view, parse_query("篇")) == sorted(
        d for d in view.live if "篇" in view.texts[d])


@pytest.mark.parametrize("damage", ["remove", "truncate"])
def test_a_missing_or_cut_character_file_means_a_scan(bulk, damage):
    name = bulk.path / sidecars(bulk.path, ".chars")[0]
    if damage == "remove":
        name.unlink()
    view = WhooshIndex(bulk.path).view()
    (seg, _r, _o), = view.parts
    if damage == "truncate":  # after it was opened: no set can be read whole
        name.write_bytes(name.read_bytes()[:seg._chars.start + 1])
    for ch in "第篇展落无":
        assert seg.gram_bits(ch, "all") == scanned(seg, ch)
    assert seg._chars is None and not view.has_gram_bits("篇实")


def test_preload_hands_its_segments_to_the_first_view_and_keeps_no_file_open(bulk):
    fresh = WhooshIndex(bulk.path)
    fresh.preload()
    assert fresh._ix is None  # nothing open crosses a fork
    preloaded = dict(fresh._preloaded)
    assert preloaded
    view = fresh.view()
    assert all(view.segments[key] is seg for key, seg in preloaded.items())
    assert [view.ids[d] for d in q.matching_docnums(view, parse_query('"第7篇"'))] == [7]


def test_field_lengths_read_in_one_block_equal_whooshs(bulk):
    bulk.write(add=docs(200, 3))  # a second, small segment
    view = bulk.view()
    assert len(view.leaves) >= 2
    for seg, reader, _offset in view.parts:
        for field in ("title", "body"):
            n = reader.doc_count_all()
            slow = [reader.doc_field_length(d, field, 0) or 0 for d in range(n)]
            fast = internals.field_lengths(reader, field)
            assert fast == slow and any(slow)
            # and it really is the one-block read, not the per-document fallback
            reader.doc_field_length = None
            assert internals.field_lengths(reader, field) == slow
            del reader.doc_field_length


def varied(start, n):
    """Essays in which 发展 is frequent, 落实 less so, and 高质量 rare; 发展 also
    occurs inside 发展观, which jieba keeps as one word, and some essays hold
    发 and 展 but not 发展."""
    out = []
    for i in range(start, start + n):
        second = "展开发言" if i % 7 == 0 else "科学发展观" if i % 4 == 0 else "发展" * (1 + i % 3)
        paragraphs = [f"第{i}篇。", second, "抓落实" if i % 5 == 0 else "实干"]
        if i % 17 == 0:
            paragraphs.append("高质量")
        out.append(EssayDoc(id=i, number=i, created=float(i), title=f"标题{i}", paragraphs=tuple(paragraphs),
                            digest=f"d{i}"))
    return out


def test_frequent_words_sets_are_on_file_and_answer_without_a_test(tmp_path, monkeypatch):
    """A bulk write stores each new segment's most frequent words with the
    character sets; a query for one is answered from the file, exactly as
    a scan (发展 inside 发展观 included, deleted essays excluded), without
    testing a single text."""
    from search.backends.whoosh import pool as writer_mod

    monkeypatch.setattr(index_mod, "SIDECAR_AFTER", 10)
    monkeypatch.setattr(writer_mod, "FREQUENT_WORDS", 2)
    ix = WhooshIndex(tmp_path / "index")
    ix.write(add=varied(1, 60))
    ix.write(add=varied(61, 40))
    ix.write(remove=[4, 8, 70])
    view = WhooshIndex(ix.path).view()
    assert len(view.parts) == 2
    for seg, _reader, _offset in view.parts:
        assert sorted(seg._chars.words) == sorted(["实干", "发展"])  # the two words in most essays
    for word in ["发展", "实干"]:
        assert view.has_gram_bits(word)
    assert not view.has_gram_bits("落实") and not view.has_gram_bits("高质量")

    tested = []

    class Texts(list):
        def __getitem__(self, d):
            tested.append(d)
            return super().__getitem__(d)

    expected = {w: sorted(d for d in view.live if w in view.texts[d]) for w in ["发展", "实干", "落实", "高质量"]}
    view.texts = Texts(view.texts)
    assert q.matching_docnums(view, parse_query('"发展"')) == expected["发展"]
    assert q.matching_docnums(view, parse_query("实干")) == expected["实干"]
    assert tested == []  # answered from the file
    assert q.matching_docnums(view, parse_query("落实")) == expected["落实"]
    assert tested  # not on file: tested
    assert 4 not in [view.ids[d] for d in expected["发展"]] and len(expected["发展"]) > 50
    assert not any(view.ids[d] % 7 == 0 for d in expected["发展"])  # 发 and 展 apart do not count


def test_a_character_file_of_the_first_version_still_serves_characters(bulk):
    """Files written before words were added hold characters only."""
    import marshal

    from search.backends.whoosh import charfile

    path = bulk.path / sidecars(bulk.path, ".chars")[0]
    n = 30
    texts = WhooshIndex(bulk.path).view().texts
    header = marshal.dumps((1, n, "".join(sorted(set("".join(texts))))))
    width = (n + 7) // 8
    body = b"".join(bitsets.from_iter([d for d in range(n) if ch in texts[d]], n).to_bytes(width, "little")
                    for ch in sorted(set("".join(texts))))
    path.write_bytes(len(header).to_bytes(8, "little") + header + body)
    table = charfile.CharTable.open(str(path), n)
    assert table is not None and table.has("篇") and not table.has("发展")
    assert table.bits("篇") == bitsets.from_iter([d for d in range(n) if "篇" in texts[d]], n)
