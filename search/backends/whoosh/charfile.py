"""Per-segment files of document sets: for every character of a segment's
folded texts, and for the segment's most frequent words, the set of the
documents holding it, as a fixed-size bitset.

Without them, the first query to use a character scans every document of
the segment for it, and a common word's first query tests every candidate
for it, each server worker on its own (docs/SEARCH.md, "Matching", has
the figures). With them, a set is one read of (documents / 8)
bytes. Only the sets a process asks for are read, and none is kept
(view._Segment.gram_bits), so memory does not grow; the file is
written once, beside the segment's sidecar, and named like the segment's
files so that Whoosh deletes it with the segment.

Layout: 8 bytes (little-endian length of the header), the header (marshal:
version, document count, every character in one string, and from version 2
the list of words), then one bitset of ceil(documents / 8) bytes per
character, in header order, then one per word.
"""
import marshal
import os
import threading

from . import bitsets

VERSION = 2
READABLE = (1, 2)  # version 1: characters only


def write(path, texts, words=()):
    """Write the character sets of `texts` (a segment's folded texts, by
    document number) and the exact sets of `words` (each of two characters
    or more: the documents whose text contains it) to `path` atomically;
    OSError on failure."""
    n = len(texts)
    docs = {}
    for d, text in enumerate(texts):
        for ch in set(text):
            got = docs.get(ch)
            if got is None:
                docs[ch] = [d]
            else:
                got.append(d)
    keys = "".join(sorted(docs))
    char_bits = {ch: bitsets.from_iter(docs[ch], n) for ch in keys}
    words = [w for w in dict.fromkeys(words) if len(w) > 1]
    word_bits = [_word_bits(word, texts, char_bits) for word in words]
    width = (n + 7) // 8
    header = marshal.dumps((VERSION, n, keys, words))

    def contents(fh):
        fh.write(len(header).to_bytes(8, "little"))
        fh.write(header)
        for bits in [char_bits[ch] for ch in keys] + word_bits:
            fh.write(bits.to_bytes(width, "little"))

    write_atomically(path, contents)


def _word_bits(word, texts, char_bits):
    """The documents whose text contains `word`: its characters' sets give
    the candidates, a substring test decides (as query does)."""
    candidates = -1  # every document: an integer with all bits set
    for ch in set(word):
        candidates &= char_bits.get(ch, 0)
    if not candidates:
        return 0
    return bitsets.containing(candidates, texts, word)


def write_atomically(path, contents):
    """Call contents(file) on a dot-file beside `path` (Whoosh's cleanup
    skips dot-files), then rename it into place: readers see the whole file
    or none. On OSError the dot-file is removed and the error raised."""
    # Named by process and thread: two of either may write the same file at once.
    tmp = os.path.join(os.path.dirname(path),
                       f".{os.path.basename(path)}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            contents(fh)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class CharTable:
    """The characters and words of one file and where their sets are.

    The file stays open from open() on, and sets are read with os.pread,
    which moves no file position: any number of threads can read one
    table at once, and a file that Whoosh deletes with its merged segment
    stays readable for the views that still hold the segment. (Closed
    when the table is garbage.)"""

    __slots__ = ("path", "keys", "words", "width", "start", "_file")

    def __init__(self, path, keys, words, width, start, file=None):
        self.path, self.keys, self.width, self.start = path, keys, width, start
        self.words = {w: len(keys) + i for i, w in enumerate(words)}  # word -> slot
        self._file = file if file is not None else open(path, "rb", buffering=0)

    @classmethod
    def open(cls, path, n):
        """The table of the file at `path`, or None when it is missing or
        was written for another format or document count."""
        try:
            fh = open(path, "rb", buffering=0)
        except OSError:
            return None
        try:
            size = int.from_bytes(os.pread(fh.fileno(), 8, 0), "little")
            header = marshal.loads(os.pread(fh.fileno(), size, 8))
            version, count, keys = header[:3]
            words = header[3] if version >= 2 else []
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            fh.close()
            return None
        if version not in READABLE or count != n or not isinstance(keys, str) or not isinstance(words, list):
            fh.close()
            return None
        return cls(path, keys, words, (n + 7) // 8, 8 + size, fh)

    def has(self, key):
        """Whether bits(key) answers for `key`: any single character (the
        file holds every character of the segment: one it lacks is in no
        document), or one of the file's words."""
        return len(key) == 1 or key in self.words

    def bits(self, key):
        """The documents containing `key`, a character or one of the
        file's words (a bitset)."""
        if len(key) == 1:
            i = self.keys.find(key)
            if i < 0:
                return 0
        else:
            i = self.words.get(key)
            if i is None:
                raise KeyError(key)
        data = os.pread(self._file.fileno(), self.width, self.start + i * self.width)
        if len(data) != self.width:
            raise OSError(f"{self.path} is truncated")
        return int.from_bytes(data, "little")
