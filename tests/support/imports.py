"""The project's import graph, read from the source with `ast` (nothing is
imported): which module imports which, for docs/ARCHITECTURE.md and for
tests/test_architecture.py, which asserts the one-way rules.

    .venv/bin/python -m tests.support.imports            # the edges between layers
    .venv/bin/python -m tests.support.imports --modules  # every module-to-module edge
"""
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "core", "essays", "search", "bench")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules():
    """module name -> path of every project module (migrations left out)."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                out[module_name(path)] = path
    return out


def _resolve(name, modules):
    """The project module an imported name refers to (a module, or the
    package whose attribute it is), or None for outside code."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports(path, name, modules, top_level_only=False):
    """[(imported module, line, at top level)] of one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = {id(n) for n in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` / try blocks at top level count as top level
        for child in ast.walk(node):
            top.add(id(child))
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{a.name}" for a in node.names] or [stem]
        for target in targets:
            got = _resolve(target, modules)
            if got is not None and got != name:
                at_top = id(node) in top and not _inside_function(tree, node)
                if top_level_only and not at_top:
                    continue
                yield got, node.lineno, at_top


def _inside_function(tree, target):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(child is target for child in ast.walk(node)):
                return True
    return False


def graph():
    """{module: {imported module: [(line, at top level)]}} of the project."""
    modules = project_modules()
    out = {}
    for name, path in modules.items():
        edges = out.setdefault(name, {})
        for target, line, at_top in imports(path, name, modules):
            edges.setdefault(target, []).append((line, at_top))
    return out


def layer(module):
    """The layer a module belongs to: search.backends is its own."""
    if module.startswith("search.backends"):
        return "search.backends"
    return module.split(".")[0]


def cycles(g):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def main(argv):
    g = graph()
    if "--modules" in argv:
        for source in sorted(g):
            for target in sorted(g[source]):
                print(f"{source} -> {target}")
        return
    layers = {}
    for source, targets in g.items():
        for target in targets:
            a, b = layer(source), layer(target)
            if a != b:
                layers.setdefault((a, b), set()).add(f"{source} -> {target}")
    for (a, b), edges in sorted(layers.items()):
        print(f"{a} -> {b}: {', '.join(sorted(edges))}")


if __name__ == "__main__":
    main(sys.argv[1:])
