"""The Whoosh backend: search.backends.base.SearchBackend over a WhooshIndex
(store), its reading view (view) and the matching and ranking that run on
it (query, ranking)."""
from pathlib import Path

from ..base import IndexUnavailable, SearchBackend
from . import bitsets, query
from .store import WhooshIndex
from .view import RESULT_CACHE


class WhooshBackend(SearchBackend):
    """config: PATH (the index directory), RESULT_CACHE (ranked answers
    each view keeps, 0: none)."""

    def __init__(self, config):
        super().__init__(config)
        self.index = WhooshIndex(Path(config["PATH"]), result_cache=config.get("RESULT_CACHE", RESULT_CACHE))

    # -- writing ---------------------------------------------------------
    def add(self, docs, progress=None):
        self.index.write(add=docs, progress=progress)

    def delete(self, ids):
        self.index.write(remove=list(ids))

    def rebuild(self, docs, progress=None, on_damage=None):
        # Open afresh: a handle cached in this process would hide damage done
        # on disk since, and writing through it would fail.
        self.index.reset()
        try:
            self.index.open(create=True)
        except IndexUnavailable as err:
            if on_damage is not None:
                on_damage(str(err))
            self.index.destroy()
        self.index.write(add=docs, clear=True, progress=progress)

    def writable(self):
        return self.index.writable()

    def exists(self):
        return self.index.exists()

    def create(self):
        self.index.open(create=True)

    def reset(self):
        self.index.reset()

    # -- reading ---------------------------------------------------------
    def indexed_digests(self):
        return self.index.view().digest_map()

    def search(self, parsed, sort="relevance", page=1, per_page=20, within=None):
        view = self.index.view()
        return query.run_query(view, parsed, sort=sort, page=page, per_page=per_page, within=within), view

    def matched_ids(self, parsed, within=None):
        view = self.index.view()
        ids = view.ids
        return [ids[d] for d in bitsets.to_list(query.answer_bits(view, parsed, within))], view

    def generation(self):
        return self.index.view()

    def ranked_ids(self, parsed, sort="relevance", within=None):
        view = self.index.view()
        return query.ranked_ids(view, parsed, sort, within), view

    def stats(self):
        view = self.index.view()
        return {"live_docs": len(view.live), "segments": len(view.segments),
                "folded_chars": sum(len(view.texts[d]) for d in view.live)}

    # -- a server process ---------------------------------------------------
    def preload(self):
        if self.index.exists():
            self.index.preload()

    def warm_up(self):
        view = self.index.view()
        view.warm()
        query.warm(view)
