"""search.backends.whoosh.internals reaches below Whoosh's public API (the
postings layout, the segment writer's fields): tied to one release. This
fails loudly when the installed whoosh-reloaded is not that release, and
the pin in requirements.txt says the same."""
import importlib.metadata
from pathlib import Path

from search.backends.whoosh import internals

ROOT = Path(__file__).resolve().parent.parent


def test_installed_whoosh_is_the_release_the_internals_were_written_for():
    installed = importlib.metadata.version("whoosh-reloaded")
    assert installed == internals.WHOOSH_VERSION, (
        f"whoosh-reloaded {installed} is installed, but search.backends.whoosh.internals was written for "
        f"{internals.WHOOSH_VERSION}: check the postings layout and writer fields it uses "
        "(tests/test_writer.py, tests/test_ranking.py) before changing WHOOSH_VERSION")


def test_requirements_pin_that_release():
    pins = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert f"whoosh-reloaded=={internals.WHOOSH_VERSION}" in pins


def test_an_index_written_before_the_backend_seam_still_loads_its_schema():
    """Tables of contents pickled the field class as search.index.WordsField."""
    import pickle

    from search.backends.whoosh.schema import WordsField

    old = pickle.dumps(WordsField(), protocol=0).replace(b"csearch.backends.whoosh.schema\n", b"csearch.index\n")
    assert b"csearch.index\nWordsField" in old
    assert type(pickle.loads(old)) is WordsField
