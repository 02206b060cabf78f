"""Every backend of search.backends.BACKENDS implements the whole interface
of search.backends.base.SearchBackend."""
import inspect

import pytest

from search.backends import BACKENDS, backend_class
from search.backends.base import SearchBackend


def _required():
    return [name for name, fn in inspect.getmembers(SearchBackend, inspect.isfunction)
            if "raise NotImplementedError" in inspect.getsource(fn)]


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_a_backend_implements_every_required_method_with_the_same_arguments(name):
    cls = backend_class(name)
    assert issubclass(cls, SearchBackend)
    assert _required()  # add, delete, rebuild, ... (the interface is not empty)
    for method in _required():
        mine = getattr(cls, method)
        assert mine is not getattr(SearchBackend, method), f"{name} lacks {method}"
        assert list(inspect.signature(mine).parameters) == list(
            inspect.signature(getattr(SearchBackend, method)).parameters), method


def test_an_unknown_backend_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown search backend 'solr'.*whoosh"):
        backend_class("solr")
