"""The architecture is enforced, not described (issue 11, DESIGN.md section 9).

Three guards over the package sources (relucert/, arrangement/, lp/, verify/, gpu/):
- imports point one way, downward through the layers of :data:`LAYERS` (every import,
  including the ones inside functions: a lazy import is still a dependency);
- no module is longer than :data:`MAX_LINES`;
- no float literal in (0, 1) other than 1/2 outside relucert/tolerances/ (a small float
  is a tolerance, a ladder step or a safety factor in disguise; 0.5 is the 1/2 of the
  formulas and of bisection). Exempt by job, not by convenience: the experiments' own
  parameter module (noise levels, fitted rates), figure styling (plot modules) and the
  built-in data generators (relucert.examples), none of which decides a numerical claim;
- verify's float path never imports the solver (relucert.lp.tv): its region scan is its
  own algorithm, so a bug in the oracle cannot hide itself.
"""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOLDERS = {"relucert": "relucert", "arrangement": "relucert.arrangement", "lp": "relucert.lp",
           "verify": "relucert.verify", "gpu": "relucert.gpu"}
MAX_LINES = 400

# Lowest first; a module may import from its own layer and the layers before it. The
# longest matching prefix decides a module's layer.
LAYERS = [
    ("core", ("relucert.tolerances", "relucert.errors", "relucert.results", "relucert._model",
              "relucert._validation", "relucert.data", "relucert._atomic", "relucert.solution")),
    ("arrangement", ("relucert.arrangement",)),
    ("programs", ("relucert.lp",)),
    ("tv solver", ("relucert.lp.tv",)),
    ("verify", ("relucert.verify",)),
    ("gpu", ("relucert.gpu",)),
    ("api", ("relucert", "relucert.solver", "relucert.certifier", "relucert.estimator", "relucert.examples",
             "relucert.plots", "relucert.plot_certificate", "relucert.plot_solution", "relucert._devices",
             "relucert.path", "relucert.plot_path", "relucert.estimator_cv")),
    ("experiments", ("relucert.experiments",)),
    ("cli", ("relucert.cli", "relucert.commands")),
]
# The checker is a layer of its own inside verify: core only (tests/test_checker_independence.py).
CHECKER = ("relucert.verify.checker", "relucert.verify.certfile")
# Names the package root resolves lazily (relucert/__init__.py): `from relucert import solve`
# depends on relucert.solver.
ROOT_LAZY = {"solve": "relucert.solver", "certify": "relucert.certifier", "TVReLURegressor": "relucert.estimator"}

# Known violations being removed by the restructure; each entry names one module. The
# list must end empty.
LITERAL_EXEMPT = ("relucert.tolerances", "relucert.tolerances.constants", "relucert.tolerances.branch_and_bound", "relucert.experiments.parameters", "relucert.experiments.plots",
                  "relucert.plots", "relucert.plot_certificate", "relucert.plot_solution", "relucert.examples")

KNOWN_LAYER_VIOLATIONS: set[tuple[str, str]] = set()
KNOWN_LONG_MODULES: set[str] = set()
KNOWN_LITERALS: set[str] = set()  # modules


def _sources():
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            yield path, ".".join([package, *parts])


def _layer(module: str) -> int:
    best, best_len = None, -1
    for k, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = k, len(prefix)
    assert best is not None, module
    return best


def _imports(path: pathlib.Path, module: str):
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                if base == "relucert" and alias.name in ROOT_LAZY:
                    yield ROOT_LAZY[alias.name]
                else:
                    yield base
                    if base.startswith("relucert"):
                        yield f"{base}.{alias.name}"  # `from relucert.lp import tv`


def _is_module(name: str) -> bool:
    return any(name == m for _, m in _sources())


def layer_violations() -> set[tuple[str, str]]:
    bad = set()
    for path, module in _sources():
        mine = _layer(module)
        in_checker = module.startswith(CHECKER)
        for target in _imports(path, module):
            if not target.startswith("relucert") or not _is_module(target):
                continue
            if in_checker and not (target.startswith(CHECKER) or _layer(target) == 0):
                bad.add((module, target))
            elif _layer(target) > mine:
                bad.add((module, target))
            elif module.startswith("relucert.verify.") and target.startswith("relucert.lp.tv"):
                bad.add((module, target))
    return bad


def long_modules() -> set[str]:
    return {module for path, module in _sources() if len(path.read_text().splitlines()) > MAX_LINES}


def small_literals() -> set[str]:
    found = set()
    for path, module in _sources():
        if module in LITERAL_EXEMPT:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, float) and 0.0 < abs(node.value) < 1.0 \
                    and node.value != 0.5:
                found.add(f"{module}:{node.lineno}:{node.value!r}")
    return found


def test_imports_point_downward():
    new = layer_violations() - KNOWN_LAYER_VIOLATIONS
    assert not new, "imports against the layer order (DESIGN.md section 9):\n" + "\n".join(sorted(map(str, new)))


def test_no_module_over_the_size_limit():
    new = long_modules() - KNOWN_LONG_MODULES
    assert not new, f"modules over {MAX_LINES} lines (split them by job): {sorted(new)}"


def test_no_small_float_literals_outside_tolerances():
    new_modules = {e.split(":")[0] for e in small_literals()} - KNOWN_LITERALS
    assert not new_modules, "float literals in (0, 1) outside relucert/tolerances/:\n" + "\n".join(
        sorted(e for e in small_literals() if e.split(":")[0] in new_modules))


def test_known_lists_are_current():
    """An entry in a KNOWN_* list that no longer applies must be deleted."""
    assert KNOWN_LAYER_VIOLATIONS <= layer_violations()
    assert KNOWN_LONG_MODULES <= long_modules()
    assert KNOWN_LITERALS <= {e.split(":")[0] for e in small_literals()}


def test_every_package_is_in_setup_cfg():
    """A wheel holds only the packages setup.cfg lists (package_dir maps the root
    folders): every folder with an __init__.py must be there, and nothing else."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    listed = {line.strip() for line in cfg["options"]["packages"].splitlines() if line.strip()}
    found = {module for path, module in _sources() if path.name == "__init__.py"}
    assert listed == found, f"missing from setup.cfg: {sorted(found - listed)}; stale: {sorted(listed - found)}"
