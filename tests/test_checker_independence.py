"""The checker is independent: it never imports the solver, the enumerator or lp/ (issue 5)."""
from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

from problems import by_construction
from relucert.data import save_data
from relucert.verify import make_exact_certificate
from test_exact import solution_from_known

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHECKER_MODULES = ["checker", "checker.schema", "checker.rational", "checker.count", "checker.claims",
                   "checker.unique", "checker.bind", "checker.tree", "checker.tree_schema", "checker.tree_claims",
                   "checker.tree_regions",
                   "certfile"]
# The core layer only: errors, result types, the tolerance defaults (max_rel_gap), the data
# loader (check --data) and the atomic writer (certificate files); plus the checker's own modules.
ALLOWED = {"relucert.errors", "relucert.results", "relucert.tolerances", "relucert.data", "relucert._atomic",
           *(f"relucert.verify.{m}" for m in CHECKER_MODULES),
           "relucert.commands._common", "relucert.commands._output"}  # the CLI helpers check uses (scanned too)
# relucert's own solver / enumerator / LP code and the LP backends. (scipy itself may be loaded
# by scikit-learn through relucert.errors; the checker's sources never use it: see the AST test.)
FORBIDDEN = ("relucert.arrangement", "relucert.lp", "relucert.solver", "relucert.verify.certificate_builder",
             "relucert.verify.certificate_hints", "relucert.gpu",
             "relucert.solver", "highspy", "cdd", "torch", "clarabel")


def test_checker_sources_import_only_allowed_modules():
    for name in [("verify/checker/__init__.py" if m == "checker" else f"verify/{m.replace('.', '/')}.py")
                 for m in CHECKER_MODULES] + ["relucert/commands/check.py", "relucert/commands/_common.py",
                                              "relucert/commands/_output.py"]:
        tree = ast.parse((ROOT / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("relucert"):
                assert node.module in ALLOWED, (name, node.module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("relucert", "scipy", "highspy")), (name, alias.name)


def test_check_command_loads_no_solver_code(tmp_path):
    kp = by_construction(7, 2, 0.3, seed=1)
    path = tmp_path / "c.json"
    make_exact_certificate(solution_from_known(kp)).write(path)
    data = tmp_path / "data.npz"
    save_data(data, kp.X, kp.y)  # --data reads it with relucert.data (core layer)
    code = (
        "import sys, json\n"
        "from relucert.cli import main\n"
        f"rc = main(['check', {str(path)!r}, '--data', {str(data)!r}, '--lam', {repr(kp.lam)!r}])\n"
        f"bad = sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))\n"
        "print(json.dumps({'rc': rc, 'bad': bad}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"rc": 0, "bad": []}
