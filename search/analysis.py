"""Text analysis shared by indexing and querying.

`fold` is the matching contract: two texts match when the folded query is a
substring of the folded text. `words` is jieba segmentation with the
project's user dictionary; it decides ranking (BM25 over words) and how an
unquoted query is split into required words. Indexing and querying both call
these functions, so they always agree.
"""
import functools
import logging
import re
import sys
import threading
import unicodedata
from bisect import bisect_right
from pathlib import Path


def _import_jieba():
    """Import jieba without letting it import pkg_resources: its _compat
    module uses it only to open the bundled dictionary, falls back to a
    plain path when it is missing, and importing it slows every start
    (docs/SEARCH.md, "Figures behind the code") and warns."""
    if "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None  # makes `import pkg_resources` fail
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()
from jieba import finalseg as _finalseg  # noqa: E402  (jieba's HMM)

from . import lexicon

USER_DICT = Path(__file__).resolve().parent / "dict" / "policy_terms.txt"
# Where jieba keeps its compiled dictionary cache; set by the search app to a
# folder under the data directory (None: jieba's default, the temp dir).
CACHE_DIR = None

# Characters dropped by folding: punctuation (P*), separators (Z*) and
# "other" (C*: controls, format characters, unassigned, private use).
_DROPPED_CATEGORIES = ("P", "Z", "C")


class _DropTable(dict):
    """str.translate table deleting dropped characters, filled on first
    sight of each code point: translate runs in C, about twice as fast as a
    Python filter over the characters (fold runs on every paragraph that is
    indexed or shown in a snippet)."""

    def __missing__(self, codepoint):
        value = None if unicodedata.category(chr(codepoint))[0] in _DROPPED_CATEGORIES else codepoint
        self[codepoint] = value
        return value


_DROP = _DropTable()


def _slow_fold(text):
    return unicodedata.normalize("NFKC", text).casefold().translate(_DROP)


# Blocks that make up nearly all of the archive's text: ASCII, general and
# CJK punctuation, CJK ideographs, full-width forms.
_PLAIN_RANGES = ((0x09, 0x0D), (0x20, 0x7E), (0xA0, 0xA0), (0x2000, 0x206F), (0x3000, 0x303F),
                 (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E), (0xFFE0, 0xFFE6))


def _plain_table():
    """{code point: its fold (at most one character)} for the characters of
    _PLAIN_RANGES that cannot interact with a neighbour under NFKC: not
    combining, not decomposing to a combining character, folding to at most
    one character. A text made only of them folds character by character,
    so fold is one str.translate and fold_with_map a plain index list,
    without NFKC's cost (docs/SEARCH.md, "Figures behind the code")."""
    chars = [chr(cp) for lo, hi in _PLAIN_RANGES for cp in range(lo, hi + 1)]
    # Whole blocks through C-level maps, since this runs at every start;
    # the full fold only for the few characters NFKC or casefold change.
    norms = list(map(functools.partial(unicodedata.normalize, "NFKC"), chars))
    combining = list(map(unicodedata.combining, chars))
    categories = list(map(unicodedata.category, chars))
    table = {}
    for ch, norm, comb, cat in zip(chars, norms, combining, categories):
        if comb or cat == "Cn":
            continue
        if norm == ch and ch.casefold() == ch:
            table[ord(ch)] = "" if cat[0] in _DROPPED_CATEGORIES else ch
        elif not any(map(unicodedata.combining, norm)):
            folded = _slow_fold(ch)
            if len(folded) <= 1:
                table[ord(ch)] = folded
    return table


def _char_class(codepoints):
    """A regex character class of these code points, as ranges."""
    out, cps = [], sorted(codepoints)
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        out.append(re.escape(chr(cps[i])) + ("-" + re.escape(chr(cps[j])) if j > i else ""))
        i = j + 1
    return "[" + "".join(out) + "]"


_PLAIN = _plain_table()
_NOT_PLAIN = re.compile("[^" + _char_class(_PLAIN)[1:])
_PLAIN_DROPPED = re.compile(_char_class(cp for cp, f in _PLAIN.items() if not f))
# Plain characters whose fold is another character (upper case, full-width).
_PLAIN_CHANGED = re.compile(_char_class(cp for cp, f in _PLAIN.items() if f and f != chr(cp)))
_PLAIN_TABLE = {cp: (f or None) for cp, f in _PLAIN.items() if f != chr(cp)}


def _plain_fold(text):
    """fold() of a text known to be plain (regexes and tables, all in C)."""
    if _PLAIN_CHANGED.search(text):
        return text.translate(_PLAIN_TABLE)
    return _PLAIN_DROPPED.sub("", text)


def fold(text):
    """NFKC, then casefold, then drop punctuation, separators and other
    characters. Defined on the whole string, as the search contract says."""
    if not _NOT_PLAIN.search(text):
        return _plain_fold(text)
    return _slow_fold(text)


def _clusters(text):
    """(start, end) of each base character plus its combining marks, the
    units that NFKC may merge."""
    combining = unicodedata.combining
    out, i, n = [], 0, len(text)
    while i < n:
        j = i + 1
        while j < n and combining(text[j]):
            j += 1
        out.append((i, j))
        i = j
    return out


@functools.lru_cache(maxsize=1 << 16)
def _nfkc(text):
    return unicodedata.normalize("NFKC", text)


@functools.lru_cache(maxsize=1 << 16)
def _fold_unit(unit):
    """fold() of a character or cluster; cached, as the same ones recur."""
    return _nfkc(unit).casefold().translate(_DROP)


def _stable_units(text, clusters):
    """Merge clusters that NFKC combines with their neighbours (Hangul
    jamo, half-width kana with a sound mark, Indic vowel signs...): a cut is
    kept only where normalizing both sides apart equals normalizing them
    together."""
    norm = unicodedata.normalize
    units = []
    for a, b in clusters:
        if units:
            s = units[-1][0]
            if norm("NFKC", text[s:b]) != norm("NFKC", text[s:a]) + norm("NFKC", text[a:b]):
                units[-1] = (s, b)
                continue
        units.append((a, b))
    return units


def fold_with_map(text):
    """Fold `text` and return (folded, starts, ends): folded[i] came from
    text[starts[i]:ends[i]], and folded == fold(text). Used to turn a match
    in folded text into a highlight in the original.

    Casefolding and dropping work character by character, so folding unit by
    unit equals folding the whole exactly when the units' NFKC forms
    concatenate to the whole's NFKC form, which is checked. Units are single
    characters when nothing combines (the common case, done with C-level
    map() calls: snippets fold every paragraph of every hit shown), else
    combining clusters, merged where NFKC joins across them, and as a last
    resort the whole text as one unit (still exact, only coarse)."""
    if not _NOT_PLAIN.search(text):
        # Every plain character folds to itself or one other, or is dropped:
        # the kept positions are the gaps between dropped ones.
        starts, pos = [], 0
        for m in _PLAIN_DROPPED.finditer(text):
            starts.extend(range(pos, m.start()))
            pos = m.start() + 1
        starts.extend(range(pos, len(text)))
        return _plain_fold(text), starts, list(map((1).__add__, starts))
    whole = unicodedata.normalize("NFKC", text)
    if not any(map(unicodedata.combining, text)) and "".join(map(_nfkc, text)) == whole:
        folds = list(map(_fold_unit, text))
        if max(map(len, folds), default=0) <= 1:
            starts = [i for i, f in enumerate(folds) if f]
            return "".join(folds), starts, [i + 1 for i in starts]
        units = [(i, i + 1) for i in range(len(text))]
    else:
        units = _clusters(text)
        if "".join([_nfkc(text[a:b]) for a, b in units]) != whole:
            units = _stable_units(text, units)
            if "".join([_nfkc(text[a:b]) for a, b in units]) != whole:
                units = [(0, len(text))]
        folds = [_fold_unit(text[a:b]) for a, b in units]
    pieces, starts, ends = [], [], []
    for (a, b), folded in zip(units, folds):
        if folded:
            pieces.append(folded)
            starts.extend([a] * len(folded))
            ends.extend([b] * len(folded))
    return "".join(pieces), starts, ends


def fold_offsets(text, folded=None):
    """(folded, start, end): like fold_with_map, but `start(i)` and `end(i)`
    are functions giving the span of text that folded[i] came from.
    `folded`, if given, is fold(text).

    For plain text no per-character lists are built: the only characters
    that do not map one to one are dropped ones, so folded position i lies
    as many places further on as dropped characters come before it, found
    by bisection in the (few) dropped positions. A snippet needs two
    positions of a 300-character paragraph, not 600 list entries."""
    if not _NOT_PLAIN.search(text):
        # Kept characters before the j-th dropped one: nondecreasing.
        before = [m.start() - j for j, m in enumerate(_PLAIN_DROPPED.finditer(text))]

        def start(i):
            return i + bisect_right(before, i)

        def end(i):
            return i + bisect_right(before, i) + 1

        return (_plain_fold(text) if folded is None else folded), start, end
    folded, starts, ends = fold_with_map(text)
    return folded, starts.__getitem__, ends.__getitem__


# The longest run of characters jieba's HMM (finalseg) is given at once.
# Its Viterbi copies the best path so far at every character, so a run of n
# characters that form no dictionary word costs n²: 20,000 such characters
# took 1.8 s, 200,000 took 203 s. Longer runs are handed to it in pieces of
# this many characters, which makes segmentation linear in the text. Real
# prose never comes near it: over the seed essay and 2,000 generated essays
# (3 M characters) the longest run was 12 characters; a run of 100 with no
# word of the dictionary in it is mojibake or junk, not a sentence.
HMM_RUN_MAX = 100
# The longest block (a run of ideographs, letters and digits between
# punctuation or spaces) jieba is given at once: it builds a dict entry per
# character for the block's word graph and route, so a 2.6 M-character
# block took 1.1 GB. Longer blocks are segmented in pieces of this many
# characters; the longest block of the seed and the generated corpus is 58.
BLOCK_MAX = 2000


class CappedTokenizer(jieba.Tokenizer):
    """jieba's Tokenizer with the HMM step bounded (HMM_RUN_MAX).

    Everything else is jieba's own: the dictionary, the DAG, the route, and
    for every run of at most HMM_RUN_MAX characters exactly jieba's output,
    so normal text segments as before (tests/test_analysis.py compares with
    plain jieba on the seed essay and a generated corpus). Indexing and
    queries both segment through it (`words`), so they agree on long runs
    too."""

    def _Tokenizer__cut_DAG(self, sentence):
        # Overrides the private method Tokenizer.cut calls for each block
        # with HMM=True (jieba 0.42.1).
        for start in range(0, len(sentence), BLOCK_MAX):
            yield from self._cut_block(sentence[start:start + BLOCK_MAX])

    def _cut_block(self, sentence):
        # jieba's Tokenizer.__cut_DAG, with the run of single characters
        # handed to the HMM in pieces (_run_words).
        DAG = self.get_DAG(sentence)
        route = {}
        self.calc(sentence, DAG, route)
        x, n, buf = 0, len(sentence), ""
        while x < n:
            y = route[x][1] + 1
            if y - x == 1:
                buf += sentence[x]
            else:
                if buf:
                    yield from self._run_words(buf)
                    buf = ""
                yield sentence[x:y]
            x = y
        if buf:
            yield from self._run_words(buf)

    def _run_words(self, buf):
        """The words of a run of characters the route left single."""
        if len(buf) == 1:
            yield buf
        elif self.FREQ.get(buf):
            yield from buf
        else:
            for start in range(0, len(buf), HMM_RUN_MAX):
                yield from _finalseg.cut(buf[start:start + HMM_RUN_MAX])


class _Segmenter:
    """jieba with the project's dictionary, loaded once per process: the
    full dict (fast lookups, for indexing), or for a server, which only
    segments queries, the compact table of search.lexicon built from it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokenizer = None

    def tokenizer(self, compact=False):
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = (compact and _compact_tokenizer()) or _full_tokenizer()
        return self._tokenizer


def _full_tokenizer():
    jieba.setLogLevel(logging.WARNING)
    tok = CappedTokenizer()
    if CACHE_DIR is not None:
        try:
            Path(CACHE_DIR).mkdir(parents=True, exist_ok=True)
            tok.tmp_dir = str(CACHE_DIR)
        except OSError:
            pass  # fall back to the temp dir
    tok.initialize()
    tok.load_userdict(str(USER_DICT))
    if CACHE_DIR is not None and lexicon.load(_compact_path(), _dictionary_tag()) is None:
        try:  # for the next server process (building it takes about a second)
            lexicon.save(_compact_path(), tok.FREQ, tok.total, _dictionary_tag())
        except OSError:
            pass  # a read-only data directory: servers load the full dict
    return tok


def _compact_path():
    return str(Path(CACHE_DIR) / "jieba-compact.marshal")


def _dictionary_tag():
    """Identifies the dictionaries a compact table was built from."""
    main = Path(jieba.__file__).parent / "dict.txt"
    return f"{jieba.__version__}|{main.stat().st_size}|{USER_DICT.read_text(encoding='utf-8')}"


def _compact_tokenizer():
    """A jieba Tokenizer over the compact table, or None (no table yet)."""
    if CACHE_DIR is None:
        return None
    loaded = lexicon.load(_compact_path(), _dictionary_tag())
    if loaded is None:
        return None
    jieba.setLogLevel(logging.WARNING)
    tok = CappedTokenizer()
    tok.FREQ, tok.total = loaded
    tok.initialized = True  # nothing left for jieba to load
    return tok


_segmenter = _Segmenter()


def load(compact=False):
    """Load jieba's dictionary now (at start-up, before a server forks).
    compact=True, for processes that mostly segment queries, loads the
    compact table when one was saved (by any earlier full load)."""
    _segmenter.tokenizer(compact)


def words(text):
    """Segment `text` with jieba and return the folded words, in order,
    leaving out words that fold to nothing (punctuation, spaces)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return [w for w in map(_fold_word, _segmenter.tokenizer().cut(text, HMM=True)) if w]


# Words recur (a few thousand make most of any text): folding each one once
# saves about 3% of an import.
_fold_word = functools.lru_cache(maxsize=1 << 16)(fold)


def dictionary():
    """jieba's word -> frequency table (including the user dictionary)."""
    return _segmenter.tokenizer().FREQ
