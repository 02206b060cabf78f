"""search.backends.whoosh.charfile: a segment's character and word sets on
file, read back exactly as a scan of the texts gives them."""
import os

import pytest

from search.backends.whoosh import bitsets, charfile

TEXTS = ["发展\n落实发展观", "担当作为", "", "发展\n高质量发展", "落实"]


@pytest.fixture(autouse=True)
def data_dir(tmp_path):
    """No Django settings needed here (overrides tests/conftest.py's fixture)."""
    return tmp_path


def scan(texts, key):
    return bitsets.from_flags(key in t for t in texts)


def test_sets_on_file_equal_a_scan(tmp_path):
    path = str(tmp_path / "seg.chars")
    charfile.write(path, TEXTS, ["发展", "落实"])
    table = charfile.CharTable.open(path, len(TEXTS))
    for ch in set("".join(TEXTS)) | {"无"}:
        assert table.has(ch) and table.bits(ch) == scan(TEXTS, ch), ch
    for word in ["发展", "落实"]:
        assert table.has(word) and table.bits(word) == scan(TEXTS, word)
    assert not table.has("担当")  # not one of the file's words
    with pytest.raises(KeyError):
        table.bits("担当")


def test_a_file_for_another_document_count_or_missing_is_not_used(tmp_path):
    path = str(tmp_path / "seg.chars")
    charfile.write(path, TEXTS)
    assert charfile.CharTable.open(path, len(TEXTS) + 1) is None
    assert charfile.CharTable.open(str(tmp_path / "none.chars"), len(TEXTS)) is None
    (tmp_path / "junk.chars").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00junk!")
    assert charfile.CharTable.open(str(tmp_path / "junk.chars"), len(TEXTS)) is None


def test_a_cut_file_raises_oserror_when_read(tmp_path):
    path = str(tmp_path / "seg.chars")
    charfile.write(path, TEXTS)
    table = charfile.CharTable.open(path, len(TEXTS))
    os.truncate(path, os.path.getsize(path) - 1)
    last = table.keys[-1]
    with pytest.raises(OSError):
        table.bits(last)


def test_written_atomically_nothing_left_when_writing_fails(tmp_path):
    path = str(tmp_path / "seg.chars")

    def fail(fh):
        fh.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        charfile.write_atomically(path, fail)
    assert os.listdir(tmp_path) == []
