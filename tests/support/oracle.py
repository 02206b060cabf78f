"""The search contract's fold, written here from its definition (NFKC, then
casefold, then drop every P*, Z* and C* character) rather than imported
from search.analysis, so that the oracles (tests, bench's brute-force
counts) do not share the code they check. Defined once: the tests and
bench.common import it."""
import unicodedata


def fold(text):
    """NFKC, then casefold, then drop P*, Z* and C* characters."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZC")


def occurrences(folded, terms):
    """[(folded start, term)] of every occurrence in one folded part of the
    (term, scope) pairs whose scope admits it (`title` is the title part
    only: callers pass scope-filtered terms), overlapping ones included,
    by a scan of every position; in position, then term order."""
    found = [(i, k, term) for k, term in enumerate(terms) for i in range(len(folded))
             if folded[i:i + len(term)] == term]
    return [(i, term) for i, _k, term in sorted(found)]
