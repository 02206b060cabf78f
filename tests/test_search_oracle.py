"""Search answers against a brute-force oracle on a generated corpus.

A few hundred essays mixing the seed essay's sentences, jieba dictionary
words, punctuation of both widths, Latin letters in several cases and
widths, and invisible characters are indexed through the real path. Then
hundreds of quotes cut at random places, and unquoted words, are searched
through search.service.search, page by page, and the set of essay ids must
EQUAL what a fold-and-scan over the same stored text gives. The fold here is
written from the contract, not imported from search.analysis.
"""
import functools
import random
import unicodedata
from pathlib import Path

import jieba
import pytest

from essays.importing import import_essay_bytes
from essays.models import Essay
from essays.parsing import parse_essay_file
from search import service
from search.sync import batched_indexing

from .conftest import SEED, essay_file
from .support.oracle import fold

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("backend")]

N_ESSAYS = 320
N_QUOTES = 320
N_KEYWORDS = 240
USER_DICT = Path(__file__).resolve().parent.parent / "search" / "dict" / "policy_terms.txt"


# -- the oracle ---------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def tokenizer():
    """The oracle's own jieba, with the same dictionaries as indexing."""
    tok = jieba.Tokenizer()
    tok.initialize()
    tok.load_userdict(str(USER_DICT))
    return tok


class Oracle:
    """The stored essays, folded field by field, and brute-force answers."""

    def __init__(self):
        self.essays = {}  # id -> (folded title, [folded paragraphs])
        for pk, title, paragraphs in Essay.objects.values_list("pk", "title", "paragraphs"):
            self.essays[pk] = (fold(title), [fold(p) for p in paragraphs])
        self._tok = tokenizer()

    def quote(self, folded, title_only=False):
        return {pk for pk, (t, ps) in self.essays.items()
                if folded in t or (not title_only and any(folded in p for p in ps))}

    def words(self, chunk):
        """The contract's words of one whitespace-separated chunk."""
        text = unicodedata.normalize("NFKC", chunk).casefold()
        return [w for w in (fold(t) for t in self._tok.cut(text, HMM=True)) if w]

    def keywords(self, query):
        words = [w for chunk in query.split() for w in self.words(chunk)]
        return {pk for pk, (t, ps) in self.essays.items()
                if all(w in t or any(w in p for p in ps) for w in words)}


def search_ids(query, sort="relevance"):
    """Every essay id the service returns for `query`, over all pages, and
    the last page's result."""
    found, page = [], 1
    while True:
        result = service.search(query, sort=sort, page=page, per_page=100)
        found += [h.id for h in result.hits]
        if page >= result.num_pages:
            break
        page += 1
    assert len(found) == len(set(found)) == result.count, query
    return set(found), result


# -- the corpus ------------------------------------------------------------------

PUNCT = list("，,。.；;：:！!？?、（）()“”‘’'「」『』《》—…-·【】[]/") + ["……", "——"]
SPACES = [" ", "\u3000", "\u00a0", "\u200b", "\u00ad", "  "]
LATIN = ["ABC", "abc", "ＡＢＣ１２３", "abc123", "Café", "CAFÉ", "cafe\u0301", "COVID-19", "GDP",
         "ｇｄｐ", "5G", "５Ｇ", "ﬁnance", "10㎞", "iPhone", "IPHONE", "Ｄｅｅｐ Ｌｅａｒｎｉｎｇ", "x^2", "a*b"]
SHARED = ["大鹏之动，非一羽之轻也", "大鹏之动,非一羽之轻也", "天下大事必作于细", "天下大事，必作于细",
          "狠抓落实", "抓落实", "不忘初心、牢记使命", "不忘初心,牢记使命", "ＡＢＣ"]
QUOTE_CHARS = {'"': '"', "“": "”", "「": "」", "『": "』"}
CN_TO_ASCII = dict(zip("，。；：！？（）", ",.;:!?()"))


@functools.lru_cache(maxsize=None)
def dictionary_words():
    path = Path(jieba.__file__).resolve().parent / "dict.txt"
    words = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            word = line.split(" ", 1)[0]
            if 2 <= len(word) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
                words.append(word)
    return tuple(words)


def seed_sentences():
    parsed = parse_essay_file(SEED)
    out = []
    for p in parsed.paragraphs:
        start = 0
        for i, ch in enumerate(p):
            if ch in "。；！？":
                out.append(p[start:i + 1])
                start = i + 1
        if start < len(p):
            out.append(p[start:])
    return out, parsed.title


def make_corpus(rng):
    sentences, seed_title = seed_sentences()
    words = rng.sample(dictionary_words(), 2500)

    def piece():
        r = rng.random()
        if r < 0.25:
            return rng.choice(sentences)
        if r < 0.55:
            return "".join(rng.choice(words) for _ in range(rng.randint(1, 6))) + rng.choice(PUNCT)
        if r < 0.65:
            return rng.choice(LATIN)
        if r < 0.80:
            return rng.choice(PUNCT)
        if r < 0.88:
            return rng.choice(SPACES)
        return rng.choice(SHARED)

    def paragraph():
        return "".join(piece() for _ in range(rng.randint(2, 10))).strip() or "段落"

    def title():
        r = rng.random()
        if r < 0.1:
            return seed_title
        base = "".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
        if r < 0.35:
            open_, close = rng.choice([("“", "”"), ("「", "」"), ('"', '"'), ("《", "》"), ("『", "』")])
            return base + open_ + rng.choice(SHARED + words) + close
        if r < 0.45:
            return base + rng.choice(LATIN)
        return base

    essays = []
    for n in range(N_ESSAYS):
        number = None if rng.random() < 0.1 else rng.randint(1, N_ESSAYS // 2)
        essays.append((number, title(), [paragraph() for _ in range(rng.randint(1, 6))]))
    return essays, words


@functools.lru_cache(maxsize=None)
def corpus_data():
    """(essays, words, rng state after generating them): built once."""
    rng = random.Random(7)
    essays, words = make_corpus(rng)
    return essays, words, rng.getstate()


@pytest.fixture
def corpus():
    essays, words, state = corpus_data()
    rng = random.Random()
    rng.setstate(state)
    with batched_indexing():
        for i, (number, title, paragraphs) in enumerate(essays):
            if i % 10 == 0 and all(ch not in "<&>" for ch in title + "".join(paragraphs)):
                # Some through the file importer (which also cleans the text;
                # the oracle reads what was stored).
                data = essay_file(number, f"导入{title}", paragraphs)
                assert import_essay_bytes(data, f"gen{i}.txt").status == "created"
            else:
                Essay.objects.create(number=number, title=title, paragraphs=paragraphs,
                                     source_name=f"gen{i}.txt", content_hash=f"gen{i}")
    assert Essay.objects.count() == N_ESSAYS
    return rng, Oracle(), words


# -- quote generation --------------------------------------------------------------

def width_swap(text):
    out = []
    for ch in text:
        if "!" <= ch <= "~":
            out.append(chr(ord(ch) + 0xFEE0))
        elif "\uff01" <= ch <= "\uff5e":
            out.append(chr(ord(ch) - 0xFEE0))
        else:
            out.append(CN_TO_ASCII.get(ch, ch))
    return "".join(out)


def variant(rng, text):
    r = rng.random()
    if r < 0.35:
        return text
    if r < 0.5:
        return width_swap(text)
    if r < 0.6:
        return text.upper()
    if r < 0.7:
        return text.swapcase()
    if r < 0.85:  # extra spaces and punctuation between characters
        return "".join(ch + (rng.choice(SPACES + PUNCT) if rng.random() < 0.3 else "") for ch in text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZ")


def as_quote(rng, text):
    """Wrap in a quotation pair that does not occur inside; failing that,
    drop the quotation characters (punctuation, so the fold is the same)."""
    pairs = list(QUOTE_CHARS.items())
    rng.shuffle(pairs)
    for open_, close in pairs:
        if close not in text:
            return open_ + text + close
    text = "".join(ch for ch in text if ch not in '"“”「」『』')
    return '"' + text + '"'


def cut(rng, text, length):
    start = rng.randrange(len(text))
    piece = text[start:start + length]
    r = rng.random()
    if r < 0.15:  # make the quote end with punctuation
        piece += rng.choice(PUNCT)
    elif r < 0.25:  # or start with it
        piece = rng.choice(PUNCT) + piece
    return piece


def quotes(rng, oracle):
    ids = sorted(oracle.essays)
    rows = {pk: (t, ps) for pk, t, ps in Essay.objects.values_list("pk", "title", "paragraphs")}
    out = []
    for _ in range(N_QUOTES):
        title, paragraphs = rows[rng.choice(ids)]
        text = title if rng.random() < 0.15 else rng.choice(paragraphs)
        out.append(("cut", as_quote(rng, variant(rng, cut(rng, text, rng.randint(1, 20))))))
    for _ in range(40):  # across two paragraphs (or title + first paragraph)
        title, paragraphs = rows[rng.choice(ids)]
        fields = [title] + paragraphs
        i = rng.randrange(len(fields) - 1) if len(fields) > 1 else 0
        a, b = fields[i], fields[min(i + 1, len(fields) - 1)]
        out.append(("across", as_quote(rng, a[-rng.randint(1, 6):] + b[:rng.randint(1, 6)])))
    for _ in range(30):  # almost certainly nowhere
        out.append(("none", as_quote(rng, "".join(rng.choice("甲乙丙丁戊己庚辛壬癸") for _ in range(6)))))
    out += [("fixed", q) for q in ['"大鹏之动,非一羽之轻也"', "“ａｂｃ１２３”", "「CAFÉ」", '"ｆｉ"', '"km"',
                                   '"x^2"', '"a*b"', "『ＧＤＰ』", '"，"', '"…"', '" "']]
    return out


def check_hits(query, want, hits, oracle):
    """Each hit of a quote search counts the quote's occurrences exactly (as
    str.count on the folded fields) and highlights it in every snippet."""
    for hit in hits:
        title, paragraphs = oracle.essays[hit.id]
        assert hit.occurrences == title.count(want) + sum(p.count(want) for p in paragraphs), (query, hit)
        assert hit.snippets and hit.more == hit.occurrences - len(hit.snippets), (query, hit)
        for snippet in hit.snippets:
            assert want in [fold(snippet.text[s:e]) for s, e in snippet.highlights], (query, snippet)


def test_quotes_equal_a_brute_force_scan(corpus):
    """One test for all quote checks: the corpus takes seconds to index."""
    rng, oracle, _ = corpus
    failures, empty, matched, across = [], 0, 0, 0
    for kind, query in quotes(rng, oracle):
        want = fold(query)
        if not want:
            with pytest.raises(service.QueryError):
                service.search(query)
            empty += 1
            continue
        expected = oracle.quote(want)
        got, result = search_ids(query, sort=rng.choice(["relevance", "number", "newest"]))
        assert result.mode == "quote", query
        if got != expected:
            failures.append((kind, query, sorted(expected - got)[:5], sorted(got - expected)[:5]))
        matched += bool(expected)
        across += kind == "across" and not expected
        check_hits(query, want, result.hits, oracle)  # the hits of the last page
    assert not failures, f"{len(failures)} quotes differ from the scan, e.g. {failures[:5]}"
    assert matched > N_QUOTES * 0.8  # the generator mostly cuts quotes that exist
    assert empty >= 3 and across >= 20  # both cases were exercised

    # title:"…" restricts the same scan to titles.
    titles = list(Essay.objects.values_list("title", flat=True))
    for _ in range(60):
        query = "title:" + as_quote(rng, variant(rng, cut(rng, rng.choice(titles), rng.randint(1, 8))))
        want = fold(query[len("title:"):])
        if want:
            got, _ = search_ids(query)
            if got != oracle.quote(want, title_only=True):
                failures.append(("title", query))
    assert not failures, failures[:5]


def keyword_chunk(rng, oracle, text, words):
    """An unquoted chunk: a dictionary word, a word of the text, or a run of
    the text's Chinese characters cut anywhere."""
    r = rng.random()
    if r < 0.3:
        return rng.choice(words)
    if r < 0.6:
        tokens = [w for w in oracle.words(text) if len(w) > 1] or [fold(text)[:2] or "的"]
        return rng.choice(tokens)
    han = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff") or "的"
    start = rng.randrange(len(han))
    return han[start:start + rng.randint(2, 6)]


def test_unquoted_words_equal_a_brute_force_scan(corpus):
    rng, oracle, words = corpus
    rows = list(Essay.objects.values_list("title", "paragraphs"))
    failures, single, multi = [], 0, 0
    for i in range(N_KEYWORDS):
        title, paragraphs = rng.choice(rows)
        n = 1 if i < N_KEYWORDS // 2 else rng.randint(2, 3)
        chunks = [keyword_chunk(rng, oracle, rng.choice([title] + paragraphs), words) for _ in range(n)]
        query = " ".join(chunks)
        if query.strip().upper() == "OR" or not fold(query):
            continue
        expected = oracle.keywords(query)
        got, result = search_ids(query)
        assert result.mode == "keywords"
        if got != expected:
            failures.append((query, sorted(expected - got)[:5], sorted(got - expected)[:5]))
        if n == 1 and not oracle.quote(fold(query)) <= got:  # literal recall of a single word
            failures.append(("recall", query, sorted(oracle.quote(fold(query)) - got)[:5]))
        single += n == 1 and bool(expected)
        multi += n > 1 and bool(expected)
    assert not failures, f"{len(failures)} keyword queries differ from the scan, e.g. {failures[:5]}"
    assert single > N_KEYWORDS * 0.3 and multi > N_KEYWORDS * 0.15

    # Essays containing the whole query as one phrase come first.
    mixed = 0
    pairs = []
    for title, paragraphs in rows[:80]:
        tokens = [w for w in oracle.words(rng.choice(paragraphs)) if len(w) > 1]
        pairs += [f"{a} {b}" for a, b in zip(tokens, tokens[1:])][:1]
    for query in ["大鹏 之动", "天下 大事", "狠抓 落实", "不忘 初心"] + pairs[:20]:
        ordered, page = [], 1
        while True:
            result = service.search(query, page=page, per_page=100)
            ordered += [h.id for h in result.hits]
            if page >= result.num_pages:
                break
            page += 1
        phrase = fold(query)
        flags = [any(phrase in f for f in [oracle.essays[pk][0]] + oracle.essays[pk][1]) for pk in ordered]
        assert flags.count(True) == len(oracle.quote(phrase)), query
        assert flags == sorted(flags, reverse=True), query
        mixed += 0 < flags.count(True) < len(flags)
    assert mixed >= 2  # queries whose hits are partly with, partly without the phrase
