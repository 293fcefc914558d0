"""Weigh the finite-lasso QP backends on the programs the exchange actually solves (issue 16).

Usage:  python benchmarks/bench_qp_backends.py [--quick]
        python benchmarks/bench_qp_backends.py record DIR [--instances FAMILY:D:N:LAM[:ROUNDS],...] [--every K]
        python benchmarks/bench_qp_backends.py weigh DIR... [--repeats R] [--limit M] [--with-proxqp]
        python benchmarks/bench_qp_backends.py solve [--instances FAMILY:D:N:LAM[:ROUNDS],...]

``record`` runs ``relucert.solve`` on battery instances (``relucert.examples.battery``, seed 0)
with the exchange's ``lasso_qp`` wrapped, and saves every K-th finite lasso it solves (columns,
targets, lam, the exchange's warm start, the dual tolerance it asked for) to DIR as .npz.
``weigh`` solves each saved program, in this one process, by every backend:

- ``active set``: ``lasso_qp(qp_backend="active-set")``, the hand-written method from the warm
  start (HiGHS, then clarabel, only when it does not converge);
- ``daqp path``: ``lasso_qp(qp_backend="daqp")``: DAQP on the dual from the warm start's
  support, its answer re-checked, the active-set path when the re-check fails;
- ``daqp raw``: DAQP's answer alone (``relucert.lp.daqp_lasso.lasso_daqp``), whatever its status;
- ``proxqp raw`` / ``proxqp+AS``: proxsuite's dense ProxQP on the same dual (warm started from
  the warm start's weights and their dual; asked for the accuracy DAQP is asked for, at most
  ``PROXQP_MAX_ITER`` iterations), its point alone and finished by the active-set method (with
  ``--with-proxqp``; proxsuite is not a dependency: ``pip install proxsuite``).

For each answer: CPU seconds (``time.process_time``, best of R repeats), and from the weights
``c`` alone, in exact rational arithmetic (every double is a dyadic rational; big integers):
the dual violation ``max_k phi_k^T p - 1`` and complementarity ``max over c_k > 0 of
|phi_k^T p - 1|`` with ``p = (y - Phi c)/lam``, the finite program's duality gap with the dual
scaled into feasibility, relative to the objective, and the objective's relative difference to
the active set's. The exact maximum runs over the columns a float rounding bound cannot rule out.
``solve`` runs whole exchanges with each backend, back to back (rounds, gap, CPU seconds); it
is what runs without a command. ``--quick`` records the programs of two small instances and
weighs them (``make bench-quick``).
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import time
import warnings
from fractions import Fraction

import numpy as np

from _machine import machine

BACKENDS = ("active set", "daqp path", "daqp raw", "proxqp raw", "proxqp+AS")
#: ``--quick``: small battery instances whose programs are recorded (every 2nd) and weighed.
QUICK_INSTANCES = "gauss-kinked:2:30:0.01,uniform-noise:1:50:0.001"
#: ProxQP's iteration cap (its default, 10^4, lets a stalled solve run for seconds).
PROXQP_MAX_ITER = 2000


# ------------------------------------------------------------------ exact KKT of weights
def _dyadic(a: np.ndarray) -> tuple[list[int], int]:
    """Integers ``m`` and one exponent ``e`` with ``a = m 2^e`` exactly (a float64 array)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    mant, expo = np.frexp(a)
    m = (mant * 2.0 ** 53).astype(np.int64)
    e = expo.astype(np.int64) - 53
    nz = m != 0
    base = int(e[nz].min()) if nz.any() else 0
    return [int(mi) << int(ei - base) if mi else 0 for mi, ei in zip(m.tolist(), e.tolist())], base


def exact_kkt(Phi: np.ndarray, y: np.ndarray, lam: float, c: np.ndarray) -> dict:
    """Dual violation, complementarity, relative duality gap and objective of ``c``, exactly."""
    c = np.maximum(np.asarray(c, dtype=np.float64), 0.0)
    n, K = Phi.shape
    supp = np.flatnonzero(c > 0)
    L = Fraction(lam)
    ym, ye = _dyadic(y)
    r = [Fraction(v) * Fraction(2) ** ye for v in ym]
    if supp.size:
        A, ae = _dyadic(Phi[:, supp])
        cm, ce = _dyadic(c[supp])
        k = supp.size
        for i in range(n):
            s = sum(A[i * k + j] * cm[j] for j in range(k))
            r[i] -= Fraction(s) * Fraction(2) ** (ae + ce)
    # float screen with a rounding bound, then the exact value on every column it cannot rule out
    rf = np.array([float(v) for v in r])
    g = Phi.T @ rf / lam
    bound = (n + 4) * np.finfo(float).eps * (np.abs(Phi).T @ np.abs(rf)) / lam
    top = float(np.max(g - bound)) if K else 0.0
    cols = sorted(set(np.flatnonzero(g + bound >= top).tolist()) | set(supp.tolist()))
    rm, re_ = _rationals_to_dyadic(r)
    exact_g = {}
    for j in cols:
        pm, pe = _dyadic(Phi[:, j])
        exact_g[j] = Fraction(sum(a * b for a, b in zip(pm, rm))) * Fraction(2) ** (pe + re_) / L
    gmax = max(exact_g.values()) if exact_g else Fraction(float(np.max(g, initial=0.0)))
    comp = max((abs(exact_g[j] - 1) for j in supp.tolist()), default=Fraction(0))
    rr = sum(v * v for v in r)
    ry = sum(a * Fraction(b) * Fraction(2) ** ye for a, b in zip(r, ym))
    P = rr / 2 + L * sum(Fraction(float(v)) for v in c[supp])
    s = max(Fraction(1), gmax)
    D = ry / s - rr / (2 * s * s)
    return {"viol": float(gmax - 1), "comp": float(comp), "rel_gap": float((P - D) / max(abs(P), Fraction(1))),
            "objective": P, "support": int(supp.size)}


def _rationals_to_dyadic(r: list[Fraction]) -> tuple[list[int], int]:
    """Dyadic rationals (denominators powers of two) as integers over one power of two."""
    dens = [v.denominator for v in r]
    shift = max(d.bit_length() - 1 for d in dens) if dens else 0
    return [v.numerator << (shift - (v.denominator.bit_length() - 1)) for v in r], -shift


# ------------------------------------------------------------------ backends
def _proxqp(Phi, y, lam, warm, tol):
    import proxsuite

    from relucert.tolerances import DAQP_PRIMAL_TOL_SHARE

    n, K = Phi.shape
    qp = proxsuite.proxqp.dense.QP(n, 0, K)
    qp.settings.eps_abs = DAQP_PRIMAL_TOL_SHARE * tol.dual_feas   # what DAQP is asked for
    qp.settings.eps_rel = 0.0
    qp.settings.max_iter = PROXQP_MAX_ITER
    qp.settings.verbose = False
    qp.settings.eps_primal_inf = qp.settings.eps_dual_inf = qp.settings.eps_abs  # its default calls these infeasible
    if warm is not None:
        qp.settings.initial_guess = proxsuite.proxqp.InitialGuess.WARM_START
    qp.init(np.eye(n), -y / lam, None, None, np.ascontiguousarray(Phi.T), np.full(K, -1.0e30), np.ones(K))
    if warm is not None:
        qp.solve((y - Phi @ warm) / lam, np.zeros(0), warm / lam)
    else:
        qp.solve()
    status = str(qp.results.info.status).split(".")[-1].replace("PROXQP_", "").lower()
    return np.maximum(np.asarray(qp.results.z) * lam, 0.0), status


def solve_with(name, Phi, y, lam, warm, tol):
    from relucert.lp.active_set import nonneg_lasso_active_set
    from relucert.lp.daqp_lasso import lasso_daqp
    from relucert.lp.programs import lasso_qp

    if name == "active set":
        sol = lasso_qp(Phi, y, lam, tol=tol, warm_start=warm, qp_backend="active-set")
        return sol.c, sol.program.backend_status
    if name == "daqp path":
        sol = lasso_qp(Phi, y, lam, tol=tol, warm_start=warm, qp_backend="daqp")
        return sol.c, sol.program.backend_status
    if name == "daqp raw":
        res = lasso_daqp(Phi, y, lam, tol=tol, warm_start=warm)
        return res.x, res.status.value
    if name == "proxqp raw":
        return _proxqp(Phi, y, lam, warm, tol)
    if name == "proxqp+AS":
        c, status = _proxqp(Phi, y, lam, warm, tol)
        return nonneg_lasso_active_set(Phi, y, lam, c, tol=tol).c, status
    raise ValueError(name)


# ------------------------------------------------------------------ commands
def record(out_dir: str, instances: str, every: int) -> None:
    import relucert
    import relucert.lp.tv.exchange as ex
    from relucert.examples import battery

    os.makedirs(out_dir, exist_ok=True)
    original = ex.lasso_qp
    state = {"k": 0, "tag": ""}

    def recording(Phi, y, lam, *, tol=None, time_limit=None, warm_start=None, **kw):
        state["k"] += 1
        if Phi.shape[1] and state["k"] % every == 0:
            np.savez(os.path.join(out_dir, f"{state['tag']}_r{state['k']:03d}.npz"), Phi=Phi, y=y, lam=lam,
                     warm=np.zeros(0) if warm_start is None else warm_start, dual_feas=tol.dual_feas)
        return original(Phi, y, lam, tol=tol, time_limit=time_limit, warm_start=warm_start, **kw)

    ex.lasso_qp = recording
    try:
        for spec in instances.split(","):
            family, d, n, lam, *rounds = spec.split(":")
            X, y = battery(family, int(n), int(d), 0)
            state.update(k=0, tag=f"{family}_d{d}_n{n}_lam{lam}")
            t0 = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sol = relucert.solve(X, y, float(lam), progress=False, max_iter=int(rounds[0]) if rounds else None)
            print(f"{spec}: {sol.status.value}, {sol.info['n_iter']} rounds, {time.process_time() - t0:.1f} CPU s",
                  flush=True)
    finally:
        ex.lasso_qp = original


def solve_end_to_end(instances: str) -> None:
    """Each battery instance solved whole by the exchange with each ``qp_backend``, back to
    back in this process: status, rounds, certified gap, CPU seconds, seconds in the finite
    programs (wall, as the solver times them)."""
    import functools

    import relucert
    import relucert.lp.tv.exchange as ex
    from relucert.examples import battery

    original = ex.lasso_qp
    try:
        for spec in instances.split(","):
            family, d, n, lam, *rounds = spec.split(":")
            X, y = battery(family, int(n), int(d), 0)
            for backend in ("active-set", "daqp"):
                ex.lasso_qp = functools.partial(original, qp_backend=backend)
                t0 = time.process_time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sol = relucert.solve(X, y, float(lam), progress=False,
                                         max_iter=int(rounds[0]) if rounds else None)
                print(f"{spec:28s} {backend:10s} {sol.status.value:8s} rounds={sol.info['n_iter']:3d} "
                      f"gap={sol.info['relative_gap']:.1e} cpu={time.process_time() - t0:7.2f}s "
                      f"programs={sol.timings.get('solve_programs', float('nan')):6.2f}s atoms={sol.n_atoms}",
                      flush=True)
    finally:
        ex.lasso_qp = original


def weigh(files: list[str], repeats: int, with_proxqp: bool, only: str | None = None) -> int:
    from relucert.lp.daqp_lasso import available
    from relucert.tolerances import resolve

    backends = BACKENDS if with_proxqp else BACKENDS[:3]
    if only:
        backends = tuple(b for b in backends if b in only.split(","))
    if not available():
        print("DAQP is not installed (pip install relucert[qp]): nothing to weigh", file=sys.stderr)
        return 2
    rows = []
    for fn in files:
        data = np.load(fn)
        Phi, y, lam = data["Phi"], data["y"], float(data["lam"])
        warm = data["warm"] if data["warm"].size else None
        tol = resolve(None).with_(dual_feas=max(float(data["dual_feas"]), resolve(None).dual_feas))
        tag = os.path.basename(fn)[:-4]
        print(f"{tag}: n={Phi.shape[0]} K={Phi.shape[1]} warm support={0 if warm is None else int(np.sum(warm > 0))} "
              f"lam={lam:g} dual_feas={tol.dual_feas:g}", flush=True)
        ref = None
        for name in backends:
            best, out = np.inf, None
            for _ in range(repeats):
                t0 = time.process_time()
                try:
                    out = solve_with(name, Phi, y, lam, warm, tol)
                except Exception as exc:  # a backend's failure is a row, not a crash
                    out = (None, f"{type(exc).__name__}: {str(exc)[:60]}")
                best = min(best, time.process_time() - t0)
            c, how = out
            if c is None:
                print(f"   {name:11s} FAILED ({how})", flush=True)
                rows.append((tag, name, best, None))
                continue
            kkt = exact_kkt(Phi, y, lam, c)
            if name == "active set":
                ref = kkt["objective"]
            dobj = float((kkt["objective"] - ref) / ref) if ref else float("nan")
            ok = max(kkt["viol"], kkt["comp"]) <= tol.dual_feas
            print(f"   {name:11s} cpu={best:8.4f}s viol={kkt['viol']:+.2e} comp={kkt['comp']:.2e} "
                  f"gap={kkt['rel_gap']:.1e} dobj={dobj:+.1e} support={kkt['support']} "
                  f"{'KKT ok' if ok else 'KKT FAIL'} [{how}]", flush=True)
            rows.append((tag, name, best, dict(kkt, ok=ok, dobj=dobj)))
    print("\nsummary: backend, programs, exact KKT within tol.dual_feas, worst viol / comp / rel gap, "
          "CPU s total / median, ratio to the active set (total; median per program)")
    base = {r[0]: r[2] for r in rows if r[1] == "active set"}
    for name in backends:
        sel = [r for r in rows if r[1] == name]
        good = [r for r in sel if r[3] is not None]
        if not good:
            continue
        tot = sum(r[2] for r in sel)
        ratios = [base[r[0]] / r[2] for r in sel if r[2] > 0 and r[0] in base]
        print(f"{name:11s} {len(sel):3d}  {sum(r[3]['ok'] for r in good):3d}/{len(sel)}  "
              f"{max(r[3]['viol'] for r in good):+.1e} / {max(r[3]['comp'] for r in good):.1e} / "
              f"{max(r[3]['rel_gap'] for r in good):.1e}  {tot:.3f} / {statistics.median(r[2] for r in sel):.4f}  "
              f"{sum(base.values()) / tot:.2f}x; {statistics.median(ratios):.2f}x", flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="record a few small programs and weigh them (seconds)")
    sub = ap.add_subparsers(dest="cmd")
    rec = sub.add_parser("record")
    rec.add_argument("dir")
    rec.add_argument("--instances", default="gauss-kinked:1:1000:0.001,uniform-noise:2:100:0.001,"
                                            "gauss-kinked:2:300:0.01,teacher:3:100:0.01:20,gauss-smooth:2:1000:0.01:16")
    rec.add_argument("--every", type=int, default=4)
    e2e = sub.add_parser("solve")
    e2e.add_argument("--instances", default="gauss-kinked:2:300:0.01,gauss-kinked:2:300:0.001,"
                                            "uniform-noise:2:100:0.001,teacher:3:50:0.01")
    wg = sub.add_parser("weigh")
    wg.add_argument("dirs", nargs="+")
    wg.add_argument("--repeats", type=int, default=3)
    wg.add_argument("--limit", type=int, default=None, help="at most this many programs (evenly spaced)")
    wg.add_argument("--with-proxqp", action="store_true", help="also proxsuite (installed apart; slow)")
    wg.add_argument("--only", default=None, help="comma-separated backend names, e.g. 'active set,daqp raw'")
    args = ap.parse_args(argv)
    print(machine(), flush=True)
    if args.quick or args.cmd is None:   # run_all.py: a small record-and-weigh, or whole solves
        if not args.quick:
            solve_end_to_end(e2e.get_default("instances"))
            return 0
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            record(tmp, QUICK_INSTANCES, 2)
            return weigh(sorted(glob.glob(os.path.join(tmp, "*.npz"))), 1, False)
    if args.cmd == "record":
        record(args.dir, args.instances, args.every)
        return 0
    if args.cmd == "solve":
        solve_end_to_end(args.instances)
        return 0
    files = sorted(f for d in args.dirs for f in (glob.glob(os.path.join(d, "*.npz")) if os.path.isdir(d) else [d]))
    if args.limit and len(files) > args.limit:
        files = [files[i] for i in np.linspace(0, len(files) - 1, args.limit).round().astype(int)]
    return weigh(files, args.repeats, args.with_proxqp, args.only)


if __name__ == "__main__":
    sys.exit(main())
