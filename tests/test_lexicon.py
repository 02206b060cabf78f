"""search.lexicon: the compact dictionary a server segments queries with
must hold exactly jieba's table and segment exactly like it."""
import pytest

from search import analysis, lexicon

from .conftest import SEED


@pytest.fixture
def tokenizers(tmp_path, monkeypatch):
    """(full, compact) tokenizers with the project's dictionaries; the full
    load saves the compact table into a fresh cache directory."""
    monkeypatch.setattr(analysis, "CACHE_DIR", tmp_path / "cache")
    full = analysis._full_tokenizer()
    compact = analysis._compact_tokenizer()
    assert compact is not None and compact is not full
    return full, compact


def test_compact_table_holds_exactly_the_full_dict(tokenizers):
    full, compact = tokenizers
    assert isinstance(compact.FREQ, lexicon.CompactFreq)
    assert len(compact.FREQ) == len(full.FREQ) and compact.total == full.total
    assert dict(compact.FREQ.items()) == full.FREQ
    for word in ["抓落实", "发展", "的", "乡村振兴", "天下大事必作于细", "zzz", "", "\n", "发展\n的"]:
        assert (word in compact.FREQ) == (word in full.FREQ)
        assert compact.FREQ.get(word) == full.FREQ.get(word)


def test_compact_segmentation_equals_full(tokenizers):
    full, compact = tokenizers
    text = SEED.read_text(encoding="utf-8")
    assert len(text) > 1000
    for line in text.split("。"):
        assert compact.lcut(line, HMM=True) == full.lcut(line, HMM=True)
    for query in ["抓落实 担当", "党员干部担当作为初心使命", "ABC abc ＡＢＣ 123", "天下大事必作于细"]:
        assert compact.lcut(query, HMM=True) == full.lcut(query, HMM=True)


def test_a_table_from_other_dictionaries_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(analysis, "CACHE_DIR", tmp_path / "cache")
    analysis._full_tokenizer()
    path = analysis._compact_path()
    assert lexicon.load(path, analysis._dictionary_tag()) is not None
    assert lexicon.load(path, analysis._dictionary_tag() + "changed") is None
    with open(path, "r+b") as fh:  # damaged
        fh.truncate(100)
    assert lexicon.load(path, analysis._dictionary_tag()) is None
    assert analysis._compact_tokenizer() is None
