"""The Whoosh backend (the default): search.backends.whoosh.backend."""
