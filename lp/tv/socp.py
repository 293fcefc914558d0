"""The cross-check: the full finite reformulation over ALL chambers as a second-order
cone program, solved by clarabel (DESIGN.md section 4, proofs/finite_reformulation.md).

For every chamber ``C`` (closure ``{G_C u >= 0}``, ``G_C`` its inward facet normals) and
sign ``s``, a vector ``u_{C,s}`` in the closed cone and an epigraph ``t_{C,s} >= ||u||``:

    lam > 0:  min 0.5 ||r||^2 + lam sum t   s.t.  sum_{C,s} s D_C X~ u_{C,s} - r = y
    lam = 0:  min sum t                      s.t.  sum_{C,s} s D_C X~ u_{C,s} = y

Written for clarabel's form ``min 0.5 x'Px + q'x`` s.t. ``A x + s = b``, ``s in K``
(zero cone for the equalities, non-negative cone for ``G_C u >= 0``, one second-order
cone ``(t, u)`` per pair). ``build_socp``/``recover_socp`` are the CVXPY-style pair.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import clarabel
import numpy as np
import scipy.sparse as sp

from relucert.arrangement.chambers import Arrangement
from relucert.errors import SolverError
from relucert.lp.conic import status_from_clarabel
from relucert.results import Status
from relucert.tolerances import Tolerances, resolve

__all__ = ["SocpSolution", "build_socp", "recover_socp", "solve_socp"]

@dataclass(frozen=True)
class SocpSolution:
    """Per (chamber, sign) vectors ``U`` (2m, d + 1) (row ``2C`` sign +, ``2C + 1`` sign -),
    the equality duals ``z`` (n,), clarabel's objective and status.

    Attributes
    ----------
    U : np.ndarray, shape (2m, D)
        ``u_{C,s}`` for every chamber ``C`` (m of them) and sign: row ``2C`` for
        ``s = +1``, row ``2C + 1`` for ``s = -1``; ``D = d + 1`` the lifted dimension.
    z : np.ndarray, shape (n,)
        Clarabel's duals of the ``n`` equality rows.
    objective : float
        Clarabel's objective value.
    status : Status
        Always ``Status.OPTIMAL`` (other statuses raise in :func:`recover_socp`).
    backend_status : str
        Clarabel's own status name.
    n_iter : int
        Interior-point iterations.
    wall_time_s : float
        Seconds spent building and solving.
    """

    U: np.ndarray
    z: np.ndarray
    objective: float
    status: Status
    backend_status: str
    n_iter: int
    wall_time_s: float


def build_socp(arr: Arrangement, y: np.ndarray, lam: float):
    """Clarabel data ``(P, q, A, b, cones)`` and the inverse data (column layout).

    Parameters
    ----------
    arr : Arrangement
        The data's hyperplane arrangement with its m chambers and their facets.
    y : np.ndarray, shape (n,)
        Targets.
    lam : float
        Regularisation weight; ``lam <= 0`` gives the ``lam = 0`` program (no residual).

    Returns
    -------
    data : tuple
        ``(P, q, A, b, cones)`` for ``clarabel.DefaultSolver``: ``(u, t)`` blocks of
        ``D + 1`` columns per (chamber, sign) pair, then ``n`` residual columns when
        ``lam > 0``.
    inverse_data : dict
        Column layout for :func:`recover_socp`: ``m``, ``D``, ``n``, ``nu`` (columns in
        the pair blocks) and ``base`` (first column of each pair, shape (2m,)).
    """
    Xl = arr.X_lift
    n, D = Xl.shape
    m = arr.n_chambers
    npair = 2 * m
    nu = npair * (D + 1)           # (u, t) per pair
    nr = n if lam > 0 else 0
    nvar = nu + nr
    base = np.arange(npair) * (D + 1)
    pair_sign = np.tile([1.0, -1.0], m)
    # equality rows: sum s D_C X~ u - r = y
    act = arr.active()
    ch, rows = np.nonzero(act)
    eq_r, eq_c, eq_v = [], [], []
    for si, s in enumerate((1.0, -1.0)):
        pair = 2 * ch + si
        for j in range(D):
            eq_r.append(rows)
            eq_c.append(base[pair] + j)
            eq_v.append(s * Xl[rows, j])
    if lam > 0:
        eq_r.append(np.arange(n))
        eq_c.append(nu + np.arange(n))
        eq_v.append(-np.ones(n))
    A_eq = sp.csc_matrix((np.concatenate(eq_v), (np.concatenate(eq_r), np.concatenate(eq_c))),
                         shape=(n, nvar))
    # cone rows -G_C u + s = 0, s >= 0 (facets only)
    nn_r, nn_c, nn_v = [], [], []
    row = 0
    counts = np.diff(arr.facet_indptr)
    signs = np.where(act, 1.0, -1.0)
    for C in range(m):
        idx = arr.facets(C)
        G = signs[C, idx][:, None] * Xl[idx]
        f = G.shape[0]
        for si in range(2):
            b0 = base[2 * C + si]
            rr = np.repeat(np.arange(row, row + f), D)
            cc = np.tile(b0 + np.arange(D), f)
            nn_r.append(rr)
            nn_c.append(cc)
            nn_v.append(-G.reshape(-1))
            row += f
    n_nn = row
    A_nn = sp.csc_matrix((np.concatenate(nn_v), (np.concatenate(nn_r), np.concatenate(nn_c))),
                         shape=(n_nn, nvar)) if n_nn else sp.csc_matrix((0, nvar))
    # second-order cones: s = (t, u)
    soc_r = np.arange(npair * (D + 1))
    pair_of = soc_r // (D + 1)
    within = soc_r % (D + 1)
    col = np.where(within == 0, base[pair_of] + D, base[pair_of] + within - 1)
    A_soc = sp.csc_matrix((-np.ones(soc_r.shape[0]), (soc_r, col)), shape=(soc_r.shape[0], nvar))
    A = sp.vstack([A_eq, A_nn, A_soc], format="csc")
    b = np.concatenate([np.asarray(y, float), np.zeros(n_nn + soc_r.shape[0])])
    q = np.zeros(nvar)
    q[base + D] = lam if lam > 0 else 1.0
    Pdiag = np.zeros(nvar)
    Pdiag[nu:] = 1.0
    P = sp.triu(sp.diags(Pdiag), format="csc")
    cones = [clarabel.ZeroConeT(n)]
    if n_nn:
        cones.append(clarabel.NonnegativeConeT(n_nn))
    cones += [clarabel.SecondOrderConeT(D + 1)] * npair
    del counts, pair_sign
    return (P, q, A, b, cones), {"m": m, "D": D, "n": n, "nu": nu, "base": base}


def recover_socp(solution, inverse_data: dict, wall: float) -> SocpSolution:
    """The per-pair vectors and equality duals from clarabel's solution.

    Parameters
    ----------
    solution : clarabel.DefaultSolution
        What ``clarabel.DefaultSolver(*data, settings).solve()`` returned.
    inverse_data : dict
        The second value returned by :func:`build_socp`.
    wall : float
        Seconds spent, recorded in the result.

    Returns
    -------
    SocpSolution
        ``U`` (2m, D), ``z`` (n,), objective, status and counters.

    Raises
    ------
    SolverError
        Any clarabel status other than Solved (the status is named).
    """
    status = status_from_clarabel(solution.status)
    backend = str(solution.status).split(".")[-1]
    if status is not Status.OPTIMAL:
        raise SolverError(f"second-order cone program ended with status {status.value!r} (clarabel: {backend})")
    x = np.asarray(solution.x)
    D, base = inverse_data["D"], inverse_data["base"]
    U = x[base[:, None] + np.arange(D)[None, :]]
    z = np.asarray(solution.z)[:inverse_data["n"]]
    return SocpSolution(U=U, z=z, objective=float(solution.obj_val), status=status, backend_status=backend,
                        n_iter=int(solution.iterations), wall_time_s=wall)


def solve_socp(arr: Arrangement, y: np.ndarray, lam: float, *, tol: Tolerances | None = None,
               time_limit: float | None = None) -> SocpSolution:
    """Solve the full reformulation with clarabel (see the module docstring).

    Parameters
    ----------
    arr : Arrangement
        The data's hyperplane arrangement (all chambers enumerated).
    y : np.ndarray, shape (n,)
        Targets.
    lam : float
        Regularisation weight; 0 for (P_0).
    tol : Tolerances, optional
        ``tol.conic`` sets clarabel's gap and feasibility tolerances; defaults when ``None``.
    time_limit : float, optional
        Seconds allowed to clarabel; no limit when ``None``.

    Returns
    -------
    SocpSolution
        ``U`` (2m, D), ``z`` (n,), objective, status and counters.

    Raises
    ------
    SolverError
        Any clarabel status other than Solved (the status is named).
    """
    tol = resolve(tol)
    start = time.perf_counter()
    data, inv = build_socp(arr, y, lam)
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = tol.conic
    settings.tol_gap_rel = tol.conic
    settings.tol_feas = tol.conic
    settings.tol_ktratio = tol.conic
    settings.max_iter = 500
    if time_limit is not None:
        settings.time_limit = float(time_limit)
    solver = clarabel.DefaultSolver(*data, settings)
    sol = solver.solve()
    return recover_socp(sol, inv, time.perf_counter() - start)
