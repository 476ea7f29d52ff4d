"""The package tree is the pipeline: no import circle, and no stage imports a later one.

Every module's imports are read with ``ast`` -- imports inside functions and under ``TYPE_CHECKING``
included, relative ones resolved -- and the module graph is checked twice: it has no cycle, and an import
never goes from a stage to a later one in :data:`STAGES` (the order the README's "How it works" states).
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import subprocess
import sys
import warnings

import pytest

import genmusic
from genmusic import _lazy

ROOT = pathlib.Path(genmusic.__file__).parent

#: The stages, first to last: a module may import its own stage and the stages before it. A name is a
#: module or a package (which stands for every module under it).
STAGES = [
    ("plumbing", ["genmusic._version", "genmusic._lazy", "genmusic.errors", "genmusic._checks", "genmusic._io",
                  "genmusic._plot", "genmusic.config",
                  "genmusic.pretrained"]),  # installed models by name: files and JSON only
    ("audio", ["genmusic.audio"]),
    ("features", ["genmusic.features"]),
    ("metrics", ["genmusic.metrics"]),
    ("data", ["genmusic.data"]),
    ("models", ["genmusic.models"]),
    ("encoding", ["genmusic.encoding"]),
    ("generation", ["genmusic.generation"]),
    ("analysis", ["genmusic.analysis"]),
    ("commands", ["genmusic.commands", "genmusic.cli"]),
    ("tutorial", ["genmusic.tutorial"]),  # the tutorial's API over the public one (README: coming from the tutorial)
]


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(name: str, path: pathlib.Path, modules) -> set:
    """Every genmusic module ``name`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from pkg import sub`` imports the submodule ``pkg.sub``
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # import genmusic.x.y: the deepest module that exists
                target = target.rpartition(".")[0]
            if target.startswith("genmusic") and target != name:
                found.add(target)
    return found


def _graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _stage(name: str):
    for rank, (_, prefixes) in enumerate(STAGES):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rank
    return None


def test_every_module_belongs_to_a_stage():
    assert [name for name in _modules() if name != "genmusic" and _stage(name) is None] == []


def test_no_import_circle():
    graph = _graph()
    # a package's __init__ imports its own submodules: the package and its modules may not import it back
    state, stack, cycles = {}, [], []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_no_stage_imports_a_later_stage():
    upward = [f"{name} ({STAGES[_stage(name)][0]}) imports {target} ({STAGES[_stage(target)][0]})"
              for name, targets in _graph().items() if name != "genmusic"
              for target in sorted(targets) if _stage(target) is not None and _stage(target) > _stage(name)]
    assert upward == []


def test_the_checker_sees_function_level_and_type_checking_imports(tmp_path):
    pkg = tmp_path / "genmusic"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from .b import g\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    modules = {"genmusic": pkg / "__init__.py", "genmusic.a": pkg / "a.py", "genmusic.b": pkg / "b.py"}
    assert _imports("genmusic.a", pkg / "a.py", modules) == {"genmusic.b"}
    assert _imports("genmusic.b", pkg / "b.py", modules) == {"genmusic.a"}


@pytest.mark.parametrize("old", sorted(_lazy.MOVED))
def test_old_module_paths_import_the_new_module_with_a_warning(old):
    new = importlib.import_module(_lazy.MOVED[old])
    sys.modules.pop(old, None)
    with pytest.warns(FutureWarning, match=f"{old} is now {_lazy.MOVED[old]}"):
        module = importlib.import_module(old)
    assert module is new
    assert module.__spec__.name == new.__name__  # the new module keeps its own spec


def test_names_moved_out_of_a_package_still_work_with_a_warning():
    import genmusic.data
    from genmusic.models.dataset import SpectrogramDataset

    genmusic.data.__dict__.pop("SpectrogramDataset", None)
    with pytest.warns(FutureWarning, match="genmusic.models.dataset"):
        assert genmusic.data.SpectrogramDataset is SpectrogramDataset


def test_every_public_name_of_every_package_resolves():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of them is a deprecated alias
        for package in ("genmusic", "genmusic.audio", "genmusic.features", "genmusic.data", "genmusic.models",
                        "genmusic.encoding", "genmusic.generation", "genmusic.analysis"):
            module = importlib.import_module(package)
            for name in module.__all__:
                assert getattr(module, name) is not None, f"{package}.{name}"


def test_import_genmusic_is_lazy():
    code = ("import sys, genmusic, genmusic.models, genmusic.models.modelio, genmusic.generation, genmusic.data; "
            "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch', 'sklearn', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT.parent)
    assert out.stdout.strip() == "[]"
