"""The harness's imports run one way: no cycle between its modules, and no
import inside a function (the way a cycle is dodged). The guest side
(guestrun, ipsecguest) imports nothing of kdio: it runs in the guest, from
the runner zip or the share, without the host's modules. Each rule is
proven able to fail on a planted package."""

import ast

from kdio import where

GUEST_SIDE = ("guestrun", "ipsecguest")


def imports(package):
    """({module: set of kdio modules it imports at its top level},
    [(module, line) of each kdio import below the top level])."""
    names = {p.stem for p in package.glob("*.py")}
    graph, nested = {}, []
    for p in sorted(package.glob("*.py")):
        tree = ast.parse(p.read_text())
        top = set(tree.body)
        graph[p.stem] = set()
        for node in ast.walk(tree):
            found = _kdio_names(node, names)
            if found and node in top:
                graph[p.stem] |= found
            elif found:
                nested.append((p.stem, node.lineno))
    return graph, nested


def _kdio_names(node, names):
    if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "kdio":
        if node.module == "kdio":
            return {a.name for a in node.names if a.name in names}
        return {node.module.split(".")[1]}
    if isinstance(node, ast.Import):
        return {a.name.split(".")[1] for a in node.names
                if a.name.startswith("kdio.") and a.name.split(".")[1] in names}
    return set()


def cycles(graph):
    """The strongly connected components of more than one module, and the
    modules that import themselves (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while not comp or comp[-1] != v:
                comp.append(stack.pop())
                on.discard(comp[-1])
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_harness_has_no_import_cycle_and_no_nested_import():
    graph, nested = imports(where.PACKAGE)
    assert len(graph) > 50 and sum(len(v) for v in graph.values()) > 100
    assert cycles(graph) == []
    assert nested == []


def test_the_guest_side_imports_nothing_of_kdio():
    graph, _ = imports(where.PACKAGE)
    for name in GUEST_SIDE:
        assert name in graph
        assert graph[name] == set(), name


def test_a_planted_cycle_and_a_nested_import_are_found(tmp_path):
    (tmp_path / "a.py").write_text("from kdio import b\n")
    (tmp_path / "b.py").write_text("import os\nfrom kdio.c import x\n")
    (tmp_path / "c.py").write_text("from kdio import a, where\n\n"
                                   "def f():\n    from kdio import b\n    return b\n")
    (tmp_path / "d.py").write_text("import kdio.d\n")
    graph, nested = imports(tmp_path)
    assert graph == {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}}
    assert cycles(graph) == [["a", "b", "c"], ["d"]]
    assert nested == [("c", 4)]
    assert cycles({"a": {"b"}, "b": set()}) == []
