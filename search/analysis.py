"""Text analysis shared by indexing and querying.

`fold` is the matching contract: two texts match when the folded query is a
substring of the folded text. `words` is jieba segmentation with the
project's user dictionary; it decides ranking (BM25 over words) and how an
unquoted query is split into required words. Indexing and querying both call
these functions, so they always agree.
"""
import logging
import threading
import unicodedata
from pathlib import Path

import jieba

USER_DICT = Path(__file__).resolve().parent / "dict" / "policy_terms.txt"

# Characters dropped by folding: punctuation (P*), separators (Z*) and
# "other" (C*: controls, format characters, unassigned, private use).
_DROPPED_CATEGORIES = ("P", "Z", "C")


def _keep(ch):
    return unicodedata.category(ch)[0] not in _DROPPED_CATEGORIES


def fold(text):
    """NFKC, then casefold, then drop punctuation, separators and other
    characters. Defined on the whole string, as the search contract says."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if _keep(ch))


def _clusters(text):
    """Split text into a base character plus its combining marks, the units
    that NFKC may merge; folding cluster by cluster gives the same result as
    folding the whole string for all but exotic input."""
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not unicodedata.combining(text[i]):
            yield start, i
            start = i


def fold_with_map(text):
    """Fold `text` and return (folded, starts, ends): folded[i] came from
    text[starts[i]:ends[i]]. Used to turn a match in folded text into a
    highlight in the original. If cluster-wise folding disagrees with
    `fold` (exotic combining sequences), the map is None."""
    pieces, starts, ends = [], [], []
    for a, b in _clusters(text):
        chunk = fold(text[a:b])
        pieces.append(chunk)
        starts.extend([a] * len(chunk))
        ends.extend([b] * len(chunk))
    folded = "".join(pieces)
    if folded != fold(text):
        return fold(text), None, None
    return folded, starts, ends


class _Segmenter:
    """jieba with the project's dictionary, loaded once per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokenizer = None

    def tokenizer(self):
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    jieba.setLogLevel(logging.WARNING)
                    tok = jieba.Tokenizer()
                    tok.initialize()
                    tok.load_userdict(str(USER_DICT))
                    self._tokenizer = tok
        return self._tokenizer


_segmenter = _Segmenter()


def load():
    """Load jieba's dictionary now (at start-up, before a server forks)."""
    _segmenter.tokenizer()


def words(text):
    """Segment `text` with jieba and return the folded words, in order,
    leaving out words that fold to nothing (punctuation, spaces)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for token in _segmenter.tokenizer().cut(text, HMM=True):
        token = fold(token)
        if token:
            out.append(token)
    return out


def dictionary():
    """jieba's word -> frequency table (including the user dictionary)."""
    return _segmenter.tokenizer().FREQ
