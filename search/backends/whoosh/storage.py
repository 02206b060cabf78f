"""Whoosh's file storage, made safe for many threads of one process.

Whoosh reads an index through file objects it keeps open in its segment
readers (terms, postings, columns), which every search thread shares: with
ordinary files, one thread's seek moves another's read, and a threaded
server answered 500s (`not a Whoosh 3 posting list`, UnpicklingError,
truncated zlib streams, a KeyError on a term that exists).

Here every file Whoosh opens for reading is a `PositionlessFile`: one file
descriptor, opened when Whoosh opens the file (so a file a merge deletes
later stays readable for the readers that hold it), read with `os.pread`
(which uses no shared file position). `get(offset, length)`, what the term
tables and ranking use, is one pread. What Whoosh's StructFile and
pickle do with a position (seek, tell, read, readline, readinto) goes to a
buffered reader of each thread's own (io.BufferedReader over preads, made
on the thread's first use), since pickle asks for a few bytes at a time.
Segment files never change once written, so a buffer cannot go stale.

This module is the one place that reaches into Whoosh's storage layer
(FileStorage.open_file, StructFile.get/subset, CompoundStorage's subsets);
writing is Whoosh's own, unchanged.
"""
import io
import os
import pickle
import threading

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile

CHUNK = 8192  # read-ahead per thread and file, as io.BufferedReader's default


class _Descriptor:
    """An open file descriptor, closed when the last file using it goes."""

    __slots__ = ("fd", "__weakref__")

    def __init__(self, fd):
        self.fd = fd

    def close(self, _close=os.close):
        # os.close bound at definition: a descriptor collected while the
        # interpreter shuts down may outlive the os module's globals.
        fd, self.fd = self.fd, -1
        if fd >= 0:
            _close(fd)

    def __del__(self):
        try:
            self.close()
        except OSError:
            pass


class _PreadRaw(io.RawIOBase):
    """One thread's raw, read-only view of a byte range of a descriptor: a
    position of its own, reads by os.preadv straight into the caller's
    buffer."""

    def __init__(self, descriptor, offset, length):
        super().__init__()
        self._descriptor = descriptor  # keeps the fd open while this thread reads
        self._fd, self._base, self._length = descriptor.fd, offset, length
        self._pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, b):
        pos = self._pos
        want = self._length - pos
        if want <= 0:
            return 0
        if len(b) > want:  # a subset ends before its descriptor's file
            b = memoryview(b)[:want]
        n = os.preadv(self._fd, [b], self._base + pos)
        self._pos = pos + n
        return n

    def seek(self, where, whence=0):
        if whence == 0:
            pos = where
        elif whence == 1:
            pos = self._pos + where
        elif whence == 2:
            pos = self._length + where
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def tell(self):
        return self._pos


class _ThreadReaders(threading.local):
    """`.reader`: this thread's buffered reader of one byte range, made when
    the thread first asks (threading.local runs __init__ once per thread
    with these arguments, which are not the file: no reference cycle)."""

    def __init__(self, descriptor, offset, length):
        self.reader = io.BufferedReader(_PreadRaw(descriptor, offset, length), CHUNK)


class PositionlessFile:
    """A read-only file (or a byte range of one) that holds no position:
    os.pread on one shared descriptor. What needs a position (seek, tell,
    read, readline, readinto, pickle) gets a buffered reader of its own in
    each thread (thread_reader)."""

    def __init__(self, descriptor, offset, length, name=None):
        self._descriptor = descriptor  # kept: the fd lives as long as any file using it
        self._fd = descriptor.fd
        self._offset = offset
        self.length = length
        self.name = name
        self.closed = False
        self.local = _ThreadReaders(descriptor, offset, length)  # .reader: this thread's

    @classmethod
    def open(cls, path):
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            length = os.fstat(fd).st_size
        except OSError:
            os.close(fd)
            raise
        return cls(_Descriptor(fd), 0, length, name=path)

    def pread(self, position, length):
        """`length` bytes at `position` (fewer at the end)."""
        end = min(position + length, self.length)
        if end <= position or position < 0:
            return b""
        want = end - position
        data = os.pread(self._fd, want, self._offset + position)
        while len(data) < want:  # a short read: never for a regular file but at its end
            more = os.pread(self._fd, want - len(data), self._offset + position + len(data))
            if not more:
                break
            data += more
        return data

    def thread_reader(self):
        """This thread's buffered reader of the file (made on first use)."""
        return self.local.reader

    def subset(self, offset, length, name=None):
        """A file over `length` bytes from `offset`, on the same descriptor."""
        return PositionlessFile(self._descriptor, self._offset + offset, length, name or self.name)

    # The file protocol, for whoever is handed the file itself.
    def read(self, size=-1):
        return self.thread_reader().read(size)

    def readinto(self, b):
        return self.thread_reader().readinto(b)

    def readline(self, size=-1):
        return self.thread_reader().readline(size)

    def seek(self, where, whence=0):
        return self.thread_reader().seek(where, whence)

    def tell(self):
        return self.thread_reader().tell()

    def __iter__(self):
        return iter(self.thread_reader())

    def close(self):
        """Forget the descriptor; it is closed once no file (a subset, say)
        still uses it."""
        self.closed = True
        self._descriptor = None

    # No fileno(): Whoosh's StructFile then reads arrays through read(), and
    # CompoundStorage does not try to map the file.


class SharedStructFile(StructFile):
    """Whoosh's StructFile over a PositionlessFile: get() is one pread (no
    position at all); seek, tell, read, readline and pickle go to this
    thread's buffered reader, so pickle's small reads are served in C from
    its buffer; subsets share the descriptor, not a position."""

    def __init__(self, fileobj, name=None, onclose=None):
        super().__init__(fileobj, name=name, onclose=onclose)
        self._local = fileobj.local

    def get(self, position, length):
        return self.file.pread(position, length)

    def read(self, *args):
        return self._local.reader.read(*args)

    def readline(self, *args):
        return self._local.reader.readline(*args)

    def seek(self, *args):
        return self._local.reader.seek(*args)

    def tell(self):
        return self._local.reader.tell()

    def __iter__(self):
        return iter(self._local.reader)

    def read_pickle(self):
        return pickle.load(self._local.reader)

    def subset(self, offset, length, name=None):
        return SharedStructFile(self.file.subset(offset, length, name), name=name or self._name)


class ThreadSafeFileStorage(FileStorage):
    """FileStorage whose files opened for reading are safe to share between
    threads (see the module docstring). Never memory-mapped: whoosh-reloaded
    copies a mapped file whole into a private buffer (filedb/structfile.py),
    a worker's whole index in private memory (docs/SEARCH.md, "Figures
    behind the code"); preads keep only what is read."""

    def __init__(self, path, readonly=False):
        super().__init__(path, supports_mmap=False, readonly=readonly)

    def open_file(self, name, **kwargs):
        raw = PositionlessFile.open(self._fpath(name))
        return SharedStructFile(raw, name=name, **kwargs)
