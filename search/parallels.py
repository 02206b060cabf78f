"""Parallel passages: for each paragraph of an essay, the other essays that
share a run of at least `min_chars` consecutive folded characters with it
(ctext.org's parallels, for policy writing: a classical quotation, a
formulation copied from one editorial to the next).

Computed on demand from any backend's answer, so every backend has it:
a shared run of at least m characters contains a whole chunk of
c = ceil(m / 2) characters that starts at a multiple of c in this
paragraph (2c - 1 <= m), so the paragraph's aligned chunks, asked as exact
quotes (backend.matched_ids), find every essay that can share a run; each
candidate's folded text is then compared where the chunk occurs and the
run extended both ways to its full length. Each other essay is listed
under the longest run it shares (never under the sub-runs inside it), and
runs are mapped back to the paragraph's original text. The result is kept per index state
(Generation) and essay, so it follows imports, edits and deletes.
"""
import threading
from dataclasses import dataclass

from . import analysis
from .syntax import parse_query

DEFAULT_MIN_CHARS = 15
COMMON_SHARE = 0.2  # a passage in more than this share of the archive is boilerplate: collapsed to a count


@dataclass(frozen=True)
class Passage:
    paragraph: int  # 1.. in this essay
    start: int  # folded span in this paragraph
    end: int
    essays: tuple  # ((essay id, their paragraph), ...) sorted by id
    common: bool = False  # boilerplate: `essays` holds the count only as len()


def chunk_size(min_chars):
    return max(2, (min_chars + 1) // 2)


def _extend(a, i, b, j, length):
    """(start, end) in `a` of the maximal common run through a[i:i+length] == b[j:j+length]."""
    s, t = i, j
    while s > 0 and t > 0 and a[s - 1] == b[t - 1]:
        s, t = s - 1, t - 1
    e, f = i + length, j + length
    while e < len(a) and f < len(b) and a[e] == b[f]:
        e, f = e + 1, f + 1
    return s, e


def find(essay_id, matched_ids, folded_parts, min_chars=DEFAULT_MIN_CHARS, archive_size=None):
    """[Passage] of one essay: `matched_ids(parsed)` gives the ids matching
    a parsed query, `folded_parts(ids)` their folded parts (title first)."""
    own = folded_parts([essay_id]).get(essay_id)
    if not own:
        return []
    c = chunk_size(min_chars)
    # chunk -> positions in (paragraph, offset) of this essay
    chunks = {}
    for p, text in enumerate(own[1:], start=1):
        for i in range(0, len(text) - c + 1, c):
            chunks.setdefault(text[i:i + c], []).append((p, i))
    runs = {}  # (paragraph, start, end) -> set of (essay, their paragraph)
    for chunk, places in chunks.items():
        ids = [i for i in matched_ids(parse_query(f'"{chunk}"')) if i != essay_id]
        if not ids:
            continue
        theirs = folded_parts(ids)
        for other, parts in theirs.items():
            for q, ptext in enumerate(parts[1:], start=1):
                j = ptext.find(chunk)
                while j >= 0:
                    for p, i in places:
                        s, e = _extend(own[p], i, ptext, j, c)
                        if e - s >= min_chars:
                            runs.setdefault((p, s, e), set()).add((other, q))
                    j = ptext.find(chunk, j + 1)
    return _merge(runs, archive_size)


def _merge(runs, archive_size):
    """One Passage per maximal run (each other essay is listed under the
    longest run it shares, never under the sub-runs inside it), in
    paragraph and position order; boilerplate marked."""
    passages = []
    for (p, s, e), essays in sorted(runs.items()):
        distinct = {i for i, _q in essays}
        common = bool(archive_size) and len(distinct) > COMMON_SHARE * archive_size
        passages.append(Passage(p, s, e, tuple(sorted(essays)), common))
    return passages


def original_span(text, start, end):
    """The original characters of `text` whose fold is folded[start:end]."""
    _folded, first, last = analysis.fold_offsets(text)
    return text[first(start):last(end - 1)]


_cache = {}
_lock = threading.Lock()


def cached(generation, essay_id, min_chars, compute):
    """compute(), kept per (index state, essay, threshold): the latest state
    only. With compute None, what is kept, or None."""
    key = (id(generation), essay_id, min_chars)
    with _lock:
        if _cache.get("generation") is not generation:
            _cache.clear()
            _cache["generation"] = generation
        got = _cache.get(key)
    if got is None and compute is not None:
        got = compute()
        with _lock:
            if _cache.get("generation") is generation and len(_cache) < 2000:
                _cache[key] = got
    return got
