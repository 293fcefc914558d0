"""No CPU-only path imports relucert.gpu or torch (issue 11, DESIGN.md section 9): a
solve on the CPU and a certification run in a fresh interpreter, which then must not
hold either module; and verify's float path does not load the solver's oracle."""
import subprocess
import sys

SOLVE_AND_CERTIFY = """
import sys
import numpy as np
import relucert
X = np.array([[0.0], [1.0], [2.0], [3.0]])
y = np.array([0.0, 1.0, 0.5, 2.0])
sol = relucert.solve(X, y, 0.1, device="cpu", progress=False)
assert sol.status.value == "optimal", sol.status
rep = relucert.certify(sol)
assert rep.support_size >= 1
rep = relucert.certify(X, y, 0.1)
loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith(("torch.", "relucert.gpu")))
assert not loaded, loaded
"""

CERTIFY_ONLY = """
import sys
import numpy as np
import relucert
from relucert.verify.analysis import solution_from_measure
sol = solution_from_measure(np.zeros((1, 1)), [1.0], 0.5, [[0.0, 1.0]], [0.5])
rep = relucert.certify(sol)
assert rep.support_size == 1
loaded = sorted(m for m in sys.modules if m.startswith(("relucert.lp.tv", "relucert.gpu", "torch")))
assert not loaded, loaded
"""


def _run(code: str) -> None:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_cpu_solve_and_certify_import_neither_gpu_nor_torch():
    _run(SOLVE_AND_CERTIFY)


def test_certifying_a_solution_loads_neither_the_solver_nor_gpu():
    _run(CERTIFY_ONLY)
