"""The harness's imports run one way. Its modules sit in folders by stage,
model -> paths -> plan, kernel, vm, results -> profile -> report -> run ->
remote -> cli, and a module imports only from its own folder, an earlier stage, or
the two that every stage uses (errors, where). No cycle between modules,
and no import inside a function (the way a cycle is dodged). The guest
side (guest/) imports nothing of kdio: it runs in the guest, from the
runner zip or the share. Each rule is proven able to fail on a planted
package."""

import ast

from kdio import where

# Each stage's level: a module may import a lower level, or its own folder.
LEVELS = {"": 0, "model": 1, "paths": 2, "plan": 3, "kernel": 3, "vm": 3, "results": 3,
          "store": 4,
          "profile": 4, "report": 5, "run": 6, "remote": 7, "bisect": 7, "cli": 8,
          "__main__": 9}
SHARED = {"errors", "where", "__init__"}   # kdio/ itself: any stage imports them


def module_names(package):
    """{dotted name relative to the package: file} of every module."""
    out = {}
    for p in sorted(package.rglob("*.py")):
        rel = p.relative_to(package).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" and len(rel.parts) > 1 else rel.parts
        out[".".join(parts)] = p
    return out


def _targets(node, names):
    """The kdio modules an import statement names (dotted, relative)."""
    if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "kdio":
        base = node.module.split(".")[1:]
        found = set()
        for a in node.names:
            full = ".".join([*base, a.name])
            found.add(full if full in names else ".".join(base))
        return {f for f in found if f}
    if isinstance(node, ast.Import):
        return {".".join(a.name.split(".")[1:]) for a in node.names
                if a.name.split(".")[0] == "kdio" and ".".join(a.name.split(".")[1:]) in names}
    return set()


def imports(package):
    """({module: set of kdio modules it imports at its top level},
    [(module, line) of each kdio import below the top level])."""
    names = module_names(package)
    graph, nested = {}, []
    for name, path in names.items():
        tree = ast.parse(path.read_text())
        top = set(tree.body)
        graph[name] = set()
        for node in ast.walk(tree):
            found = _targets(node, names)
            if found and node in top:
                graph[name] |= found - {name}
            elif found:
                nested.append((name, node.lineno))
    return graph, nested


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
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
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def stage(module):
    """A module's folder ('' for kdio/ itself; cli and __main__ their own)."""
    first = module.split(".")[0]
    return first if "." in module or first in LEVELS else ""


def upward(graph):
    """(module, what it imports) where that runs against the stage order."""
    bad = []
    for mod, deps in sorted(graph.items()):
        for dep in sorted(deps):
            if dep in SHARED or stage(dep) == stage(mod):
                continue
            if "guest" in (stage(mod), stage(dep)) \
                    or LEVELS.get(stage(dep), 99) >= LEVELS.get(stage(mod), -1):
                bad.append((mod, dep))
    return bad


def test_the_harness_imports_run_one_way():
    graph, nested = imports(where.PACKAGE)
    assert len(graph) > 60 and sum(len(v) for v in graph.values()) > 100
    assert {stage(m) for m in graph} >= set(LEVELS) - {""} | {"guest"}
    assert cycles(graph) == []
    assert nested == []
    assert upward(graph) == []


def test_the_guest_side_imports_nothing_of_kdio():
    graph, _ = imports(where.PACKAGE)
    guest = [m for m in graph if stage(m) == "guest" and m != "guest"]
    assert sorted(guest) == ["guest.guestrun", "guest.ipsecguest"]
    assert all(graph[m] == set() for m in guest)


def plant(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_planted_cycle_a_nested_import_and_an_upward_one_are_found(tmp_path):
    pkg = plant(tmp_path, {
        "model/__init__.py": "", "model/a.py": "from kdio.model import b\n",
        "model/b.py": "import os\nfrom kdio.model.c import x\n",
        "model/c.py": "from kdio.model import a\nfrom kdio import where\n\n"
                      "def f():\n    from kdio.model import b\n    return b\n",
        "report/__init__.py": "", "report/t.py": "from kdio.model import a\n",
        "paths/__init__.py": "", "paths/p.py": "from kdio.report import t\n",
        "guest/__init__.py": "", "guest/g.py": "from kdio.model import a\n",
        "where.py": ""})
    graph, nested = imports(pkg)
    assert graph["model.a"] == {"model.b"} and graph["model.c"] == {"model.a", "where"}
    assert cycles(graph) == [["model.a", "model.b", "model.c"]]
    assert nested == [("model.c", 5)]
    assert upward(graph) == [("guest.g", "model.a"), ("paths.p", "report.t")]
    assert cycles({"a": {"b"}, "b": set()}) == []
