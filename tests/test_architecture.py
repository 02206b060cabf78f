"""The one-way import rules of docs/ARCHITECTURE.md, read from the source
(tests.support.imports): essays reaches search only through search.service,
search reaches essays only through search.documents, no backend sees
essays or the site, and no module imports another that imports it back."""
from tests.support.imports import cycles, graph, layer

G = graph()


def edges(source_test, target_test):
    return sorted(f"{s} -> {t} (line {lines[0][0]})" for s, targets in G.items() for t, lines in targets.items()
                  if source_test(s) and target_test(t))


def test_essays_imports_only_the_search_service():
    assert edges(lambda s: layer(s) == "essays", lambda t: t.startswith("search") and t != "search.service") == []


def test_no_essays_to_backends_edge_and_no_backends_to_essays_edge():
    assert edges(lambda s: layer(s) == "essays", lambda t: layer(t) == "search.backends") == []
    assert edges(lambda s: layer(s) == "search.backends", lambda t: layer(t) in ("essays", "config", "core")) == []


def test_search_knows_essays_only_through_its_documents_adapter():
    assert edges(lambda s: layer(s) == "search" and s != "search.documents", lambda t: layer(t) == "essays") == []


def test_the_site_reaches_search_only_through_its_service_and_views():
    # bench.* may time search.analysis (jieba alone, the contract's fold);
    # bench.roaring measures the Whoosh backend's bitsets themselves.
    allowed = {"search.service", "search.views", "search.concordance_views", "search.feeds", "search.quotes",
               "search.analysis"}
    assert edges(lambda s: layer(s) in ("config", "bench", "core") and s != "bench.roaring",
                 lambda t: layer(t) in ("search", "search.backends") and t not in allowed) == []
    assert set(G["bench.roaring"]) - {"bench.common", "bench.generate", "bench.queries"} == {
        "search.backends.whoosh.bitsets"}
    assert edges(lambda s: layer(s) == "config", lambda t: t == "search.analysis") == []


def test_the_backend_interface_knows_no_implementation():
    assert edges(lambda s: s == "search.backends.base", lambda t: t.startswith("search.backends.")) == []


def test_no_import_cycles_among_modules():
    assert cycles({s: set(t) for s, t in G.items()}) == []


def test_no_imports_inside_functions_in_essays_and_search():
    """A lazy import is how a cycle hides; the ones left have a reason that
    is not a cycle (the command and app hooks of Django's own life cycle)."""
    allowed = {("search.apps", "search.analysis"), ("search.apps", "search.sync")}
    late = sorted(f"{s} -> {t} (line {line})" for s, targets in G.items() for t, lines in targets.items()
                  for line, at_top in lines
                  if layer(s) in ("essays", "search", "search.backends", "core") and not at_top
                  and (s, t) not in allowed)
    assert late == []


def test_cycles_finds_a_cycle_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_source_module_over_about_400_lines():
    """Modules with one job stay short (docs/ARCHITECTURE.md); tests are
    counted apart."""
    from tests.support.imports import project_modules

    long = {name: n for name, path in project_modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 430}
    assert long == {}
