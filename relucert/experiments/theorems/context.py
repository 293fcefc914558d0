"""The lazily computed objects a statement of the theorem suite may need."""
from __future__ import annotations

from relucert.arrangement import Arrangement, enumerate_chambers
from relucert.errors import CertificateError, RelucertError
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve
from relucert.experiments.lownoise import LowNoiseResult, MinimalNormCertificate, lownoise_sweep, minimal_norm_certificate
from relucert.experiments.parameters import SUITE_LAMS
from relucert.experiments.rescaled import Solver
from relucert.experiments.theorems.instances import Instance
from relucert.experiments.theorems.outcomes import fails

__all__ = ["Context", "need"]


class Context:
    """One instance with everything computed on demand and cached: the arrangement, the
    (P_lam) solution on ``y`` and its certificate report, the low-noise sweep on ``y0``.
    A failed computation is cached as its exception and re-raised on each access."""

    def __init__(self, instance: Instance, solver: Solver, *, alt_solver: Solver | None = None,
                 tol: Tolerances | None = None, lams=SUITE_LAMS):
        self.instance = instance
        self.solver = solver
        self.alt_solver = alt_solver
        self.tol = resolve(tol)
        self.lams = tuple(lams)
        self._cache: dict = {}

    def _get(self, key, make):
        if key not in self._cache:
            try:
                self._cache[key] = (True, make())
            except (RelucertError, ValueError, ArithmeticError) as exc:
                self._cache[key] = (False, exc)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    @property
    def arrangement(self) -> Arrangement:
        return self._get("arrangement", lambda: enumerate_chambers(self.instance.X, tol=self.tol))

    @property
    def solution(self) -> Solution:
        inst = self.instance
        return self._get("solution", lambda: self.solver(inst.X, inst.y, inst.lam))

    @property
    def alt_solution(self) -> Solution:
        inst = self.instance
        return self._get("alt_solution", lambda: self.alt_solver(inst.X, inst.y, inst.lam))

    @property
    def report(self):
        from relucert.verify.analysis import analyse

        return self._get("report", lambda: analyse(self.solution, arrangement=self.arrangement, tol=self.tol))

    @property
    def p0_solution(self) -> Solution:
        """The (P_0) solution on the noiseless labels ``y0``."""
        inst = self.instance
        return self._get("p0_solution", lambda: self.solver(inst.X, inst.y0, 0.0))

    @property
    def p0(self) -> MinimalNormCertificate:
        """The minimal-norm certificate of (P_0) with its margins."""
        ref = self.p0_solution
        return self._get("p0", lambda: minimal_norm_certificate(self.arrangement, self.instance.y0, ref.theta,
                                                                 ref.amplitude, tol=self.tol))

    @property
    def lownoise(self) -> LowNoiseResult:
        """The sweep on ``y0 + C lam xi`` (C = min(1, c_crit / 2)) over ``self.lams``."""
        inst = self.instance
        ref = self.p0_solution
        return self._get("lownoise", lambda: lownoise_sweep(
            inst.X, inst.y0, solver=self.solver, lams=self.lams, xi=inst.xi, reference=ref,
            arrangement=self.arrangement, tol=self.tol, progress=False))

    def computed(self) -> dict:
        """The objects computed so far (for a counterexample's files)."""
        return {k: v for k, (ok, v) in self._cache.items() if ok}


def need(ctx: Context, what: str):
    """``(value, None)`` or ``(None, Outcome 'hypothesis fails')`` when it cannot be computed.

    Parameters
    ----------
    ctx : Context
    what : str
        The name of a :class:`Context` property.

    Returns
    -------
    value, outcome
        ``(value, None)``, or ``(None, Outcome)`` with verdict HYPOTHESIS_FAILS.
    """
    try:
        return getattr(ctx, what), None
    except CertificateError as exc:
        return None, fails(f"no certified optimum to analyse: {exc}")
    except (RelucertError, ValueError, ArithmeticError) as exc:
        return None, fails(f"numerically unresolved: {what} failed: {type(exc).__name__}: {exc}")


