"""Per-segment files of character document sets: for every character of a
segment's folded texts, the set of its documents as a fixed-size bitset.

Without them, the first query to use a character scans every document of
the segment for it (at 20,000 essays about 22 ms a character), and each
server worker does so on its own. With them, a character's set is one read
of (documents / 8) bytes. Only the sets a process asks for are read and
kept (search.index._Segment.gram_bits), so memory does not grow; the file
itself is written once, beside the segment's sidecar, and named like the
segment's files so that Whoosh deletes it with the segment.

Layout: 8 bytes (little-endian length of the header), the header
(marshal: version, document count, every character in one string), then
one bitset of ceil(documents / 8) bytes per character, in header order.
"""
import marshal
import os

from . import bitsets

VERSION = 1


def write(path, texts):
    """Write the character sets of `texts` (a segment's folded texts, by
    document number) to `path` atomically; OSError on failure."""
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
    width = (n + 7) // 8
    header = marshal.dumps((VERSION, n, keys))

    def contents(fh):
        fh.write(len(header).to_bytes(8, "little"))
        fh.write(header)
        for ch in keys:
            fh.write(bitsets.from_iter(docs[ch], n).to_bytes(width, "little"))

    write_atomically(path, contents)


def write_atomically(path, contents):
    """Call contents(file) on a dot-file beside `path` (Whoosh's cleanup
    skips dot-files), then rename it into place: readers see the whole file
    or none. On OSError the dot-file is removed and the error raised."""
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
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
    """The characters of one file and where their sets are."""

    __slots__ = ("path", "keys", "width", "start")

    def __init__(self, path, keys, width, start):
        self.path, self.keys, self.width, self.start = path, keys, width, start

    @classmethod
    def open(cls, path, n):
        """The table of the file at `path`, or None when it is missing or
        was written for another format or document count."""
        try:
            with open(path, "rb") as fh:
                size = int.from_bytes(fh.read(8), "little")
                version, count, keys = marshal.loads(fh.read(size))
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if version != VERSION or count != n or not isinstance(keys, str):
            return None
        return cls(path, keys, (n + 7) // 8, 8 + size)

    def bits(self, ch):
        """The documents containing the character `ch` (a bitset)."""
        i = self.keys.find(ch)
        if i < 0 or len(ch) != 1:
            return 0
        with open(self.path, "rb") as fh:
            fh.seek(self.start + i * self.width)
            data = fh.read(self.width)
        if len(data) != self.width:
            raise OSError(f"{self.path} is truncated")
        return int.from_bytes(data, "little")
