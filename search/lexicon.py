"""jieba's word-frequency table in a compact, quickly loaded form, for
processes that only segment queries (the web server).

jieba keeps its dictionary as a Python dict of about 500,000 words and word
prefixes, slow to load and large in every process (docs/SEARCH.md, "Memory
and start-up", has the figures). A server segments a few dozen characters
per search, so it can afford a slower lookup: here the sorted keys live in
one string with an offsets array and a frequencies array, and a lookup is a
binary search. The table holds
exactly the keys and values of the dict it was built from, so segmentation
is identical (tests/test_lexicon.py checks both).
"""
import marshal
import os
from array import array

FORMAT = 1


class CompactFreq:
    """The read-only part of the dict interface jieba's segmentation uses
    (`in`, `[]`, `get`, `len`)."""

    __slots__ = ("_blob", "_offsets", "_freqs", "_n")

    def __init__(self, blob, offsets, freqs):
        self._blob = blob  # sorted keys, each followed by "\n"
        self._offsets = offsets  # start of key i; offsets[n] = len(blob)
        self._freqs = freqs
        self._n = len(freqs)

    @classmethod
    def from_dict(cls, freq):
        keys = sorted(freq)
        offsets, pos = array("I"), 0
        for key in keys:
            offsets.append(pos)
            pos += len(key) + 1
        offsets.append(pos)
        return cls("".join(k + "\n" for k in keys), offsets, array("I", (freq[k] for k in keys)))

    def _index(self, key):
        blob, offsets = self._blob, self._offsets
        lo, hi = 0, self._n
        while lo < hi:
            mid = (lo + hi) // 2
            probe = blob[offsets[mid]:offsets[mid + 1] - 1]
            if probe < key:
                lo = mid + 1
            elif probe > key:
                hi = mid
            else:
                return mid
        return -1

    def __contains__(self, key):
        return self._index(key) >= 0

    def __getitem__(self, key):
        i = self._index(key)
        if i < 0:
            raise KeyError(key)
        return self._freqs[i]

    def get(self, key, default=None):
        i = self._index(key)
        return default if i < 0 else self._freqs[i]

    def __len__(self):
        return self._n

    def items(self):
        blob, offsets = self._blob, self._offsets
        for i in range(self._n):
            yield blob[offsets[i]:offsets[i + 1] - 1], self._freqs[i]


def save(path, freq, total, tag):
    """Write the table (built from jieba's `freq` dict) atomically."""
    table = CompactFreq.from_dict(freq)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            marshal.dump((FORMAT, tag, total, table._blob, table._offsets.tobytes(), table._freqs.tobytes()), fh)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return table


def load(path, tag):
    """(CompactFreq, total) from `path`, or None when it is missing or was
    made from another dictionary (`tag` differs)."""
    try:
        with open(path, "rb") as fh:
            fmt, got_tag, total, blob, offsets, freqs = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if fmt != FORMAT or got_tag != tag:
        return None
    off, fr = array("I"), array("I")
    off.frombytes(offsets)
    fr.frombytes(freqs)
    if len(off) != len(fr) + 1 or (fr and off[-1] != len(blob)):
        return None
    return CompactFreq(blob, off, fr), total
