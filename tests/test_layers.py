"""The packages of mmboxcaseg import one way, from the base up.

utils / registry < structures < models / datasets / evaluation / engine
< proxy / apis / visualization (< tools, outside the package). Every
import statement counts, the ones inside functions too: a lazy import
hides a cycle from Python, not from a reader. Two packages that import
each other, or two modules of one package that do, are a cycle.
"""
import ast
import os.path as osp
from pathlib import Path

import mmboxcaseg

PACKAGE = 'mmboxcaseg'
ROOT = Path(osp.dirname(mmboxcaseg.__file__))
LAYERS = {
    '': 0, 'utils': 0, 'registry': 0, 'version': 0,
    'structures': 1,
    'models': 2, 'datasets': 2, 'evaluation': 2, 'engine': 2,
    'proxy': 3, 'apis': 3, 'visualization': 3,
}


def _modules():
    """Dotted module name -> (path, whether it is a package)."""
    modules = {}
    for path in sorted(ROOT.rglob('*.py')):
        parts = (PACKAGE, ) + path.relative_to(ROOT).with_suffix('').parts
        is_package = parts[-1] == '__init__'
        if is_package:
            parts = parts[:-1]
        modules['.'.join(parts)] = (path, is_package)
    return modules


def _imports(name, path, is_package, modules):
    """The modules of the package that ``name`` imports, with line numbers."""
    package = name if is_package else name.rpartition('.')[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')
                anchor = anchor[:len(anchor) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            # `from a import b`: module a.b if it is one, else module a
            targets = [
                f'{base}.{alias.name}'
                if f'{base}.{alias.name}' in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition('.')[0]
            if target and (target, node.lineno) not in found:
                found.append((target, node.lineno))
    return found


def _layer(name):
    parts = name.split('.')
    return LAYERS.get(parts[1] if len(parts) > 1 else '')


def _cycles(edges):
    """Cycles of a graph: pairs that import each other, then every larger
    group of nodes that reach each other (a strongly connected component)."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reached = {node: reach(node) for node in graph}
    pairs = sorted({
        ' <-> '.join(sorted((a, b)))
        for a, b in edges if a != b and a in graph.get(b, ())
    })
    groups = sorted({
        ', '.join(sorted(n for n in reached[a] if a in reached.get(n, ())))
        for a in graph if a in reached[a]
    })
    return pairs + [group for group in groups if group.count(',') > 1]


def layer_violations():
    """One line per import against the layers, and one per cycle."""
    modules = _modules()
    problems, graphs = [], {}
    for name, (path, is_package) in modules.items():
        rel = path.relative_to(ROOT.parent)
        if _layer(name) is None:
            problems.append(f'{rel}: {name} belongs to no layer')
            continue
        for target, line in _imports(name, path, is_package, modules):
            if _layer(target) is not None and _layer(target) > _layer(name):
                problems.append(f'{rel}:{line}: imports {target} '
                                f'(a higher layer)')
            # the two children of their closest common package, unless one
            # contains the other (a package importing its own modules)
            a, b = name.split('.'), target.split('.')
            common = 0
            while common < min(len(a), len(b)) and a[common] == b[common]:
                common += 1
            if common == len(a) or common == len(b):
                continue
            parent = '.'.join(a[:common])
            graphs.setdefault(parent, set()).add(
                ('.'.join(a[:common + 1]), '.'.join(b[:common + 1])))
    for parent in sorted(graphs):
        for cycle in _cycles(graphs[parent]):
            problems.append(f'cycle in {parent}: {cycle}')
    return problems


def test_imports_follow_the_layers():
    problems = layer_violations()
    assert not problems, '\n'.join(problems)


def test_checker_sees_lazy_imports_and_cycles(tmp_path):
    """The checker itself: a relative import inside a function is found,
    and a cycle of three is reported beside the pairs."""
    assert _cycles({('a', 'b'), ('b', 'a'), ('b', 'c'), ('c', 'd'),
                    ('d', 'b')}) == ['a <-> b', 'a, b, c, d']
    assert _cycles({('a', 'b'), ('b', 'c')}) == []
    lazy = tmp_path / 'lazy.py'
    lazy.write_text('def f():\n    from ..proxy import writer\n')
    modules = dict.fromkeys(
        ['mmboxcaseg.proxy', 'mmboxcaseg.proxy.writer'], None)
    assert _imports('mmboxcaseg.datasets.lazy', lazy, False, modules) == [
        ('mmboxcaseg.proxy.writer', 2)]
    assert _layer('mmboxcaseg.datasets.lazy') < _layer('mmboxcaseg.proxy')
