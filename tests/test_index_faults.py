"""An index write that fails part-way (a disk that fills up) leaves no stray
files and no held lock: the index is as it was, and the next write works."""
import errno
import os

import pytest
from whoosh.filedb.filestore import FileStorage

from search.backends.base import EssayDoc
from search.backends.whoosh.store import WhooshIndex


class FullDisk:
    """A file that takes `budget` bytes, shared by every file opened while
    the fault is on, then fails as a full disk does."""

    def __init__(self, raw, budget):
        self._raw, self._budget = raw, budget

    def write(self, data):
        if self._budget[0] < len(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        self._budget[0] -= len(data)
        return self._raw.write(data)

    def __getattr__(self, name):
        return getattr(self._raw, name)


def doc(i, text):
    return EssayDoc(i, i, 0.0, f"标题{i}", (text,), f"digest-{i}")


@pytest.mark.parametrize("budget", [2_000, 20_000, 60_000])
def test_a_write_that_runs_out_of_disk_leaves_the_index_as_it_was(tmp_path, monkeypatch, budget):
    index = WhooshIndex(tmp_path / "index")
    index.write(add=[doc(1, "原有的段落。")])
    before = sorted(os.listdir(index.path))
    real_create = FileStorage.create_file
    left = [budget]

    def create_file(self, name, **kwargs):
        handle = real_create(self, name, **kwargs)
        handle.file = FullDisk(handle.file, left)
        return handle

    monkeypatch.setattr(FileStorage, "create_file", create_file)
    docs = [doc(i, "新的段落，" * 400 + f"第{i}篇。") for i in range(2, 40)]
    with pytest.raises(OSError) as err:
        index.write(add=docs)
    assert err.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert sorted(os.listdir(index.path)) == before  # no segment, pool or table-of-contents files left
    index.reset()
    assert index.view().digest_map() == {1: "digest-1"}
    index.write(add=[doc(2, "之后的写入。")])  # the lock was released
    index.reset()
    assert index.view().digest_map() == {1: "digest-1", 2: "digest-2"}
