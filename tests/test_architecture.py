"""The layout's rules, checked on the source: one-way data flow, the nlc-loops contract as the only
door into the dataset, no import circles, one error family, constants without torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBSYSTEMS = {"dataset_builder": "nlc.dataset_builder", "baselines": "nlc.baselines", "benchmark": "nlc.benchmark",
              "leaderboard": "nlc.leaderboard", "listening_test": "nlc.listening_test"}
UPSTREAM_OF = {  # what each may import besides itself and nlc's shared modules (docs/ARCHITECTURE.md)
    "nlc": set(),
    "dataset_builder": set(),
    "baselines": set(),
    "benchmark": {"baselines"},
    "listening_test": {"benchmark"},
    "leaderboard": {"benchmark"},
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    head = SUBSYSTEMS.get(parts[0], parts[0])
    return ".".join([head, *parts[1:]])


def _package_files() -> list[Path]:
    files = [p for top in ("nlc", *SUBSYSTEMS) for p in (ROOT / top).rglob("*.py")]
    return sorted(p for p in files if "submissions" not in p.parts)  # submissions are user-side model files


def _imports(path: Path) -> set[str]:
    """Every module imported anywhere in the file (top level or inside functions), absolute."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return {m for m in out if m == "nlc" or m.startswith("nlc.")}


GRAPH = {_module_name(p): _imports(p) for p in _package_files()}


def _subsystem(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in SUBSYSTEMS else "nlc"


def test_data_flows_one_way_and_downstream_reads_the_dataset_through_nlc_loops():
    wrong = []
    for module, imports in GRAPH.items():
        own = _subsystem(module)
        for target in imports:
            other = _subsystem(target)
            if other not in ("nlc", own) and other not in UPSTREAM_OF[own]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, wrong
    assert not [m for m, imports in GRAPH.items() if _subsystem(m) != "dataset_builder"
                and any(t.startswith("nlc.dataset_builder") for t in imports)]


def test_no_import_circles():
    known = set(GRAPH)
    edges = {m: {t for t in imports if t in known and t != m} for m, imports in GRAPH.items()}
    # a package's __init__ importing its own modules is how packages work, not a circle
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in edges.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, cycles


def test_user_errors_are_one_family():
    offenders = []
    for path in _package_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
                if node.exc.func.id in ("ValueError", "RuntimeError", "Exception", "TypeError", "KeyError"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} raises {node.exc.func.id}")
            if isinstance(node, ast.ClassDef) and path.name != "errors.py":
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                if bases & {"Exception", "ValueError", "RuntimeError"}:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} defines {node.name} outside nlc.errors")
    assert not offenders, offenders


@pytest.mark.parametrize("module", ["nlc.spec", "nlc.audio", "nlc.errors", "nlc.loops.layout", "nlc.loops.negatives",
                                    "nlc.loops.protocol_tables"])
def test_shared_constants_and_the_contract_import_without_torch(module):
    code = f"import sys, {module}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
