"""Search backends: the interface (base) and its implementations, one
package each, chosen by the SEARCH setting's BACKEND (BACKENDS below)."""
from django.utils.module_loading import import_string

BACKENDS = {
    "whoosh": "search.backends.whoosh.backend.WhooshBackend",
}


def backend_class(name):
    """The backend class of a configured name; ValueError for an unknown one."""
    try:
        return import_string(BACKENDS[name])
    except KeyError:
        raise ValueError(f"unknown search backend {name!r} (known: {', '.join(sorted(BACKENDS))})") from None
