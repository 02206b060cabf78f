"""search.analysis: the fold of the contract, the folded-to-original map
used by highlights, and jieba words. Pure functions, no database."""
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search import analysis

from .support.oracle import fold as contract_fold


@pytest.fixture(autouse=True)
def data_dir(tmp_path):
    """No Django settings needed here (overrides tests/conftest.py's fixture)."""
    return tmp_path


def test_fold_examples():
    assert analysis.fold("大鹏之动，非一羽之轻也") == analysis.fold("大鹏之动,非一羽之轻也") == "大鹏之动非一羽之轻也"
    assert analysis.fold("ＡＢＣ１２３") == "abc123"
    assert analysis.fold("Café CAFE\u0301") == "cafécafé"
    assert analysis.fold("Straße") == "strasse"
    assert analysis.fold("a\u00a0b\u3000c\u200bd\u00ade\x00f\n") == "abcdef"
    assert analysis.fold("“「『』」”《》（）…—") == ""
    assert analysis.fold("x^2 ~ a*b") == "x^2~ab"  # symbols (S*) stay, punctuation goes


def test_fold_of_every_character_follows_the_contract():
    # Every code point in the BMP, plus the planes essays might use: the
    # cached translate table must drop exactly the P*, Z* and C* characters.
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    chars += [chr(c) for c in range(0x20000, 0x20400)] + [chr(0xE0001), chr(0xF0000), chr(0x10FFFF)]
    text = "".join(chars)
    assert analysis.fold(text) == contract_fold(text)
    assert [analysis.fold(ch) for ch in chars[::7]] == [contract_fold(ch) for ch in chars[::7]]


EXOTIC = st.sampled_from(
    list("大鹏之动，,。.ＡａAa１1 \u3000\u00a0\u200b\u00adß") +
    ["\u0301", "\u0302", "\u0323", "e", "ﬁ", "㎞", "①", "ｶ", "ﾞ", "\u1100", "\u1161", "\u11a8",
     "\u0b47", "\u0b3e", "\u0344", "İ", "ǰ", "\u0f73", "\U0001d400", "\x00", "\x7f"]
)
TEXTS = st.one_of(st.text(max_size=40), st.lists(EXOTIC, max_size=30).map("".join))

# Texts made of the blocks fold() and fold_with_map() take a fast path for
# (ASCII, general and CJK punctuation, ideographs, full-width forms), with the
# odd neighbour that must send them back to the general path.
PLAIN_BLOCKS = [chr(c) for lo, hi in ((0x09, 0x0D), (0x20, 0x7E), (0x2000, 0x206F), (0x3000, 0x303F),
                                       (0x4E00, 0x4E40), (0xFF01, 0xFF5E), (0xFFE0, 0xFFE6)) for c in range(lo, hi + 1)]
PLAIN_TEXTS = st.lists(st.one_of(st.sampled_from(PLAIN_BLOCKS), st.sampled_from(["\u0301", "ﾞ", "\u302a", "가"])),
                       max_size=40).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.one_of(TEXTS, PLAIN_TEXTS))
def test_fold_with_map_is_fold_and_points_back_into_the_text(text):
    folded, starts, ends = analysis.fold_with_map(text)
    assert folded == analysis.fold(text) == contract_fold(text)
    assert len(starts) == len(ends) == len(folded)
    for i in range(len(folded)):
        assert 0 <= starts[i] < ends[i] <= len(text)
        assert folded[i] in contract_fold(text[starts[i]:ends[i]])
        if i:
            assert starts[i] >= starts[i - 1] and ends[i] >= ends[i - 1]


@settings(max_examples=600, deadline=None)
@given(st.one_of(TEXTS, PLAIN_TEXTS))
def test_fold_offsets_give_the_same_spans_as_fold_with_map(text):
    folded, starts, ends = analysis.fold_with_map(text)
    for given_fold in (None, folded):
        got, start, end = analysis.fold_offsets(text, given_fold)
        assert got == folded
        assert [start(i) for i in range(len(folded))] == starts
        assert [end(i) for i in range(len(folded))] == ends


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.data())
def test_any_match_maps_to_a_span_that_folds_to_at_least_the_match(text, data):
    """What a highlight relies on: the original text under a match's span
    folds to something containing the match."""
    folded, starts, ends = analysis.fold_with_map(text)
    if not folded:
        return
    i = data.draw(st.integers(0, len(folded) - 1))
    j = data.draw(st.integers(i + 1, len(folded)))
    assert folded[i:j] in contract_fold(text[starts[i]:ends[j - 1]])


def test_fast_path_characters_fold_as_the_contract_says():
    text = "".join(PLAIN_BLOCKS)
    assert analysis.fold(text) == contract_fold(text)
    assert [analysis.fold(ch) for ch in PLAIN_BLOCKS] == [contract_fold(ch) for ch in PLAIN_BLOCKS]


def test_map_of_plain_chinese_is_exact():
    text = "“大鹏之动，非一羽之轻也。”"
    folded, starts, ends = analysis.fold_with_map(text)
    i = folded.find("之动非一")
    assert text[starts[i]:ends[i + 3]] == "之动，非一"


def test_map_of_composing_sequences():
    # Half-width katakana plus sound mark compose under NFKC, across what
    # would otherwise be two units; the map keeps them together.
    folded, starts, ends = analysis.fold_with_map("ｶﾞｷﾞ")
    assert folded == "ガギ" and list(zip(starts, ends)) == [(0, 2), (2, 4)]
    folded, starts, ends = analysis.fold_with_map("cafe\u0301!")
    assert folded == "café" and (starts[3], ends[3]) == (3, 5)


def test_words_are_folded_jieba_words_with_the_user_dictionary():
    assert analysis.words("抓落实") == ["抓落实"]  # from search/dict/policy_terms.txt
    assert analysis.words("狠抓落实，不忘初心！") == [w for w in analysis.words("狠抓落实不忘初心") if w]
    assert analysis.words("，。 ") == []
    assert analysis.words("ＡＢＣ") == analysis.words("abc")
    assert all(w == analysis.fold(w) and w for w in analysis.words("党员、干部要（坚持）ＸＹＺ。"))


# ------------------------------------------------ bounded segmentation cost

def _plain_jieba_words(text):
    """words() as plain jieba 0.42.1 gives them: the project's dictionary,
    no bound on the HMM step."""
    tok = _plain_tokenizer()
    text = unicodedata.normalize("NFKC", text).casefold()
    return [w for w in map(analysis.fold, tok.cut(text, HMM=True)) if w]


_PLAIN = []


def _plain_tokenizer():
    if not _PLAIN:
        tok = analysis.jieba.Tokenizer()
        tok.initialize()
        tok.load_userdict(str(analysis.USER_DICT))
        _PLAIN.append(tok)
    return _PLAIN[0]


def test_ordinary_text_segments_exactly_as_plain_jieba():
    from bench.generate import corpus_texts

    from essays.parsing import parse_essay_file

    from .conftest import SEED

    seed = parse_essay_file(SEED)
    texts = [seed.title, *seed.paragraphs]
    for _seq, title, paragraphs in corpus_texts(300, seed=7):
        texts += [title, *paragraphs]
    assert sum(map(len, texts)) > 300_000
    for text in texts:
        assert analysis.words(text) == _plain_jieba_words(text), text[:80]
    for query in ["抓落实 担当", "党员干部担当作为初心使命", "ABC abc ＡＢＣ 123", "天下大事必作于细"]:
        assert analysis.words(query) == _plain_jieba_words(query)


def _unknown_run(n, seed=1):
    """n ideographs of which no two (nor one) form a dictionary word
    (mojibake looks like this): one run for jieba's HMM."""
    import random

    freq = analysis.dictionary()
    rare = [chr(c) for c in range(0x4E00, 0x9FD6) if chr(c) not in freq]
    rng = random.Random(seed)
    return "".join(rng.choice(rare) for _ in range(n))


def test_hmm_is_given_bounded_runs(monkeypatch):
    """The cost of jieba's HMM grows with the square of the run it is
    given; every run it gets is at most HMM_RUN_MAX long, and every block
    at most BLOCK_MAX, and no character is lost."""
    seen = []
    real_cut = analysis._finalseg.cut

    def spy(buf):
        seen.append(len(buf))
        return real_cut(buf)

    monkeypatch.setattr(analysis._finalseg, "cut", spy)
    blocks = []
    tok = analysis._segmenter.tokenizer()
    real_dag = type(tok).get_DAG  # jieba builds one word graph a block
    monkeypatch.setattr(type(tok), "get_DAG", lambda self, s: blocks.append(len(s)) or real_dag(self, s))
    text = _unknown_run(5 * analysis.BLOCK_MAX + 7)
    got = analysis.words(text)
    assert "".join(got) == text
    assert seen and max(seen) <= analysis.HMM_RUN_MAX
    assert max(blocks) <= analysis.BLOCK_MAX and sum(blocks) == len(text)
    # A short unknown run is still one HMM call, as plain jieba makes it.
    seen.clear()
    short = _unknown_run(40, seed=2)
    got = analysis.words(short)
    assert seen == [40] and got == _plain_jieba_words(short)
