"""The package layout's rules (docs/architecture.md), checked on the source's imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "accelsim"


def _imports(path: Path) -> list[str]:
    """Absolute module names a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            out += [mod] + [f"{mod}.{a.name}" for a in node.names]
    return out


def _area(path: Path, top: Path) -> str:
    parts = path.relative_to(top).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _rules(area: str) -> list[tuple[tuple[str, ...], str]]:
    """(forbidden module prefixes, reason) that apply to one area of accelsim."""
    rules = [(("torch", "quant"), "accelsim never imports quant or torch")]
    if area not in ("cli", "plots", "__main__", "api", "__init__"):
        rules.append((("accelsim.cli", "accelsim.plots"), "only cli/plots import cli or plots"))
    if area == "sweep":
        rules.append((("accelsim.api", "accelsim.cli"), "sweep never imports api or cli"))
    if area in ("memory", "plan", "report", "spec"):
        rules.append((("accelsim.engine",), "memory, plan, report, spec never import engine"))
    if area in ("memory", "plan", "spec", "engine"):
        rules.append((("accelsim.report",), "report comes after the engine"))
    if area == "reference":
        rules.append((("accelsim.engine", "accelsim.flow", "accelsim.api", "accelsim.sweep"),
                      "the reference model shares no timing code with the engine"))
    if area not in ("cli", "reference", "__init__", "__main__"):
        rules.append((("accelsim.reference",), "only the CLI runs the reference model"))
    if area in ("memory", "plan", "report", "spec", "engine"):
        rules.append((("accelsim.search",), "search runs the engine: only flow (and above) use it"))
    if area == "search":
        rules.append((("accelsim.report", "accelsim.api", "accelsim.flow"),
                      "search simulates single layers; it never reports"))
    return rules


def _hits(mods: list[str], prefixes: tuple[str, ...]) -> str | None:
    return next((m for m in mods if any(m == p or m.startswith(p + ".") for p in prefixes)), None)


def _violations() -> list[str]:
    bad = []
    for f in sorted(PKG.rglob("*.py")):
        mods = _imports(f)
        for prefixes, reason in _rules(_area(f, PKG)):
            if (mod := _hits(mods, prefixes)) is not None:
                bad.append(f"{f}: imports {mod} ({reason})")
    for f in sorted((ROOT / "workloads").rglob("*.py")):
        if (mod := _hits(_imports(f), ("accelsim",))) is not None:
            bad.append(f"{f}: imports {mod} (workloads never imports accelsim)")
    return bad


def test_imports_point_one_way():
    assert _violations() == []


def test_the_rule_checker_catches_a_wrong_arrow(tmp_path, monkeypatch):
    fake = tmp_path / "accelsim" / "plan"
    fake.mkdir(parents=True)
    (fake / "x.py").write_text("from accelsim.engine import Engine\nimport torch\n")
    monkeypatch.setattr(__import__(__name__), "PKG", tmp_path / "accelsim")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    (tmp_path / "workloads").mkdir()
    (tmp_path / "workloads" / "y.py").write_text("import accelsim.api\n")
    found = _violations()
    assert len(found) == 3, found


def test_units_never_hold_the_engine():
    for name in ("codebook", "decoder", "dma", "pe_array", "write_back"):
        src = (PKG / "engine" / f"{name}.py").read_text()
        assert "engine" not in {m.split(".")[-1] for m in _imports(PKG / "engine" / f"{name}.py")
                                if m.startswith("accelsim.engine.engine")}
        assert "Engine" not in src.replace("accelsim.engine", "")


def test_modules_and_functions_stay_small():
    long_modules, long_functions = [], []
    for f in sorted(PKG.rglob("*.py")):
        text = f.read_text()
        if text.count("\n") > 400:
            long_modules.append(f"{f.relative_to(ROOT)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > 60:
                    long_functions.append(f"{f.relative_to(ROOT)}:{node.lineno} {node.name}: {n}")
    assert long_modules == []
    assert long_functions == []
