"""The files a segment leaves beside Whoosh's own: its stored values as one
marshal sidecar (`essays_<segment>.fold`) and its character sets
(`essays_<segment>.chars`, search.backends.whoosh.charfile).

Unpickling every document's stored fields is slow; the sidecar holds the
same values, the texts as one UTF-16 string, and loads in one marshal call
(docs/SEARCH.md, "Memory and start-up", has the figures). Both are named
like the segment's files, so Whoosh's cleanup deletes them with it.
"""
import gc
import marshal
import os

from . import charfile

SIDECAR_VERSION = 2


def stored_values(reader):
    """(ids, numbers, created, titles, texts, digests) of a segment, one
    entry per document number, read from Whoosh's stored fields."""
    n = reader.doc_count_all()
    ids, numbers, created = [0] * n, [None] * n, [0.0] * n
    titles, texts, digests = [""] * n, [""] * n, [""] * n
    for docnum in range(n):
        if reader.is_deleted(docnum):
            continue
        f = reader.stored_fields(docnum)
        ids[docnum] = int(f["id"])
        numbers[docnum] = f.get("number")
        created[docnum] = f.get("created") or 0.0
        titles[docnum] = f.get("ftitle", "")
        # Title and body in one string: one scan per essay for the common
        # unrestricted term.
        texts[docnum] = f.get("ftitle", "") + "\n" + f.get("fbody", "")
        digests[docnum] = f.get("digest", "")
    return ids, numbers, created, titles, texts, digests


def write(path, values, words=()):
    """Write atomically (a dot-file, which Whoosh's cleanup skips, renamed
    into place); a read-only index directory just means no sidecar. The
    texts go as one UTF-16 string joined by NUL, which folding removes from
    any text: decoding that is several times faster than 20,000 strings."""
    ids, numbers, created, _titles, texts, digests = values
    try:
        charfile.write(path[:-len(".fold")] + ".chars", texts, words)
    except OSError:
        pass  # searches scan for characters instead
    blob = "\0".join(texts).encode("utf-16-le")
    try:
        charfile.write_atomically(
            path, lambda fh: marshal.dump((SIDECAR_VERSION, len(ids), (ids, numbers, created, digests), blob), fh))
    except OSError:
        pass


def read(path, n):
    """The values stored_values would give, or None if the file is for
    another format or segment size. Raises OSError/ValueError/... if unreadable."""
    enabled = gc.isenabled()
    gc.disable()  # a million new objects: collections would double the load time
    try:
        with open(path, "rb") as fh:
            data = marshal.load(fh)
        if not (isinstance(data, tuple) and len(data) == 4 and data[:2] == (SIDECAR_VERSION, n)):
            return None  # an older format, or not this segment's: rebuilt quietly
        _version, _count, (ids, numbers, created, digests), blob = data
        texts = blob.decode("utf-16-le").split("\0") if n else []
    finally:
        if enabled:
            gc.enable()
    if not all(len(v) == n for v in (ids, numbers, created, digests, texts)):
        return None
    titles = [t.partition("\n")[0] for t in texts]
    return ids, numbers, created, titles, texts, digests



def path_of(reader, directory, ext=".fold"):
    """The path of a segment's file with this extension (named like the
    segment's own, so Whoosh's cleanup removes it), or None for a reader
    without a segment or a view without a directory."""
    segment = getattr(reader, "segment", None)
    seg = segment() if callable(segment) else segment
    if seg is None or directory is None:
        return None
    return os.path.join(directory, seg.make_filename(ext))
