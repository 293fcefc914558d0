"""Real data: scikit-learn's bundled diabetes set (no download), two standardised features.

The features are bmi and s5 (the two most predictive) and the target, each standardised
over all 442 patients (d = 2). lam is chosen by K-fold cross-validation over the
certified path (TVReLURegressorCV, shuffled folds, seed 0), the network at that lam is
refit on all the points used, solved exactly and certified (exact rational proof,
re-checked by the independent checker), and plotted. Its error is set next to
scikit-learn's MLPRegressor (100 neurons, Adam) and a kernel ridge baseline (RBF kernel,
alpha and gamma chosen on the same folds), on the same folds: the cross-validated error
(mean validation MSE; for the two tuned methods at their chosen hyperparameters) and,
when some points are held out, the error on those.

Sizes (``--full`` is the issue's: every one of the 442 points, 5 folds, 6 lams):

=========  ======  =====  ====  =========================================================
mode       points  folds  lams  held out
=========  ======  =====  ====  =========================================================
--full     442     5      6     none: the cross-validated error is the test error
default    N_FAST  3      5     the other 442 - N_FAST points (a random subsample, seed 0)
--quick    24      3      3     the other 418 (the smoke test of ``make test``)
=========  ======  =====  ====  =========================================================

The exact solver's cost grows with the number of dual regions, at most n^2 - n + 2 for
d = 2 (195,366 at n = 442), and the diabetes features are quantised (repeated values,
collinear triples), so the enumeration decides many signs in exact arithmetic. Each fold's
path enumerates its chambers once and starts every lam from the previous lam's atoms; the
refit reuses the chambers of lam_max and starts from the folds' atoms. The folds run in
parallel processes (``--jobs``; default one per fold: on a 2-core machine the operating
system keeps both cores busy until the last fold ends, where two processes would leave the
fifth fold alone on one core). ``--full`` takes about 95 s of CPU, 13 s of it serial
(benchmarks/RESULTS.md, "Packaging and the diabetes example", has the measured times).

The exact proof of the refit is built separately (:func:`exact_proof`): the
branch-and-bound tree certificate first and, if that cannot be built, the chamber list;
either is re-verified by the independent checker, and a failure is printed as "NOT
CERTIFIED" with its reason (never as a proof).

    python examples/diabetes.py [--full | --quick] [--jobs K] [--out FILE]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

#: The subsample of the default mode, the folds' and the subsample's seed.
N_FAST = 100
SEED = 0
FEATURES = (2, 8)  # bmi, s5
#: (points, folds, lams) of each mode; points None: all 442.
MODES = {"full": (None, 5, 6), "default": (N_FAST, 3, 5), "quick": (24, 3, 3)}


def load(n: int | None = None, seed: int = SEED):
    """Two standardised features and the standardised target; the first ``n`` points of a
    seeded permutation for training and the rest held out (``n`` None: all, none held out)."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    X = data.data[:, list(FEATURES)]
    X = (X - X.mean(0)) / X.std(0)
    y = (data.target - data.target.mean()) / data.target.std()
    names = [data.feature_names[j] for j in FEATURES]
    if n is None or n >= len(y):
        return X, y, X[:0], y[:0], names
    order = np.random.default_rng(seed).permutation(len(y))
    tr, te = order[:n], order[n:]
    return X[tr], y[tr], X[te], y[te], names


def baselines(X, y, folds):
    """MLPRegressor, kernel ridge (alpha, gamma chosen on ``folds``) and the constant mean:
    their cross-validated MSE on ``folds`` and the estimators refit on all of ``X``."""
    from sklearn.dummy import DummyRegressor
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.neural_network import MLPRegressor

    cv_mse, fitted = {}, {}
    mlp = MLPRegressor(hidden_layer_sizes=(100,), max_iter=2000, random_state=SEED)
    cv_mse["MLPRegressor (100 neurons)"] = -float(
        cross_val_score(mlp, X, y, cv=folds, scoring="neg_mean_squared_error").mean())
    fitted["MLPRegressor (100 neurons)"] = mlp.fit(X, y)
    kr = GridSearchCV(KernelRidge(kernel="rbf"), {"alpha": np.logspace(-3, 1, 5), "gamma": np.logspace(-2, 1, 4)},
                      cv=folds, scoring="neg_mean_squared_error").fit(X, y)
    cv_mse["KernelRidge (RBF, CV)"] = -float(kr.best_score_)
    fitted["KernelRidge (RBF, CV)"] = kr
    const = DummyRegressor()
    cv_mse["constant (train mean)"] = -float(
        cross_val_score(const, X, y, cv=folds, scoring="neg_mean_squared_error").mean())
    fitted["constant (train mean)"] = const.fit(X, y)
    return cv_mse, fitted


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="diabetes.png", help="figure file")
    parser.add_argument("--jobs", type=int, default=None,
                        help="folds solved in parallel processes (default: one process per fold; 1: serially)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="all 442 points, 5 folds, 6 lams (several minutes)")
    size.add_argument("--quick", action="store_true", help="reduced size (the smoke test)")
    args = parser.parse_args(argv)
    from sklearn.model_selection import KFold

    from relucert import TVReLURegressorCV

    mode = "full" if args.full else "quick" if args.quick else "default"
    n_points, n_folds, n_lams = MODES[mode]
    Xtr, ytr, Xte, yte, names = load(n_points)
    folds = list(KFold(n_folds, shuffle=True, random_state=SEED).split(Xtr))
    times = {}
    t0 = time.perf_counter()
    # the refit's exact proof is built below, where its time and a failure are reported
    jobs = len(folds) if args.jobs is None else args.jobs
    cv = TVReLURegressorCV(n_lams=n_lams, cv=folds, n_jobs=jobs, exact_verify=False).fit(Xtr, ytr)
    times["cross-validation and refit"] = time.perf_counter() - t0
    proof = exact_proof(cv.result_, times)
    t0 = time.perf_counter()
    name = "relucert (certified, CV lam)"
    cv_mse = {name: float(cv.mse_path_.mean(axis=1)[list(cv.lams_).index(cv.lam_)])}
    more, fitted = baselines(Xtr, ytr, folds)
    cv_mse.update(more)
    fitted = {name: cv, **fitted}
    times["baselines"] = time.perf_counter() - t0
    test_mse = {k: float(np.mean((est.predict(Xte) - yte) ** 2)) for k, est in fitted.items()} if len(yte) else {}
    print(f"{mode} mode: n = {len(ytr)} points (d = 2, features {names}), {n_folds} folds, "
          f"{len(cv.lams_)} lams; {len(yte)} held out")
    print(f"CV lam = {cv.lam_:.6g} (grid {np.array2string(cv.lams_, precision=4)}), {cv.n_neurons_} neurons "
          f"(refit: {cv.n_iter_} exchange rounds), "
          f"status {cv.status_}, certified relative gap {cv.certified_rel_gap_:.2e}")
    print(f"exact proof: {proof['verdict']}")
    for key, value in cv_mse.items():
        held = f"   held-out MSE {test_mse[key]:.4f}" if test_mse else ""
        print(f"{key:32s} {n_folds}-fold CV MSE {value:.4f}{held}")
    for key, value in times.items():
        print(f"time: {key} {value:.1f} s")
    cpu = _cpu_seconds()
    print(f"CPU: {cpu['self']:.1f} s in this process + {cpu['children']:.1f} s in the fold processes")
    _plot(cv, Xtr, ytr, names, test_mse or cv_mse, "held-out" if test_mse else f"{n_folds}-fold CV", args.out)
    print(f"figure written to {args.out}")
    return {"cv": cv, "cv_mse": cv_mse, "test_mse": test_mse, "proof_passed": proof["passed"], "proof": proof, "cpu": cpu,
            "folds": folds, "n": len(ytr), "times": times}


def exact_proof(solution, times: dict) -> dict:
    """The refit's exact certificate, re-checked by the independent checker: the
    branch-and-bound tree (relucert.exact-certificate/2) first, the chamber list (/1) if no
    /2 file can be built. At n = 442 the tree is the cheaper one (3 s; the chamber list
    takes about 2 minutes of CPU there: benchmarks/RESULTS.md). Fails closed: ``passed``
    is True only for a file the checker accepted."""
    from relucert.certifier import tree_certificate
    from relucert.errors import CertificateError
    from relucert.verify import check_certificate, make_exact_certificate

    reasons = []
    for fmt, build in (("/2", lambda: tree_certificate(solution, progress=False)),
                       ("/1", lambda: make_exact_certificate(solution, progress=False))):
        t0 = time.perf_counter()
        try:
            cert = build()
        except CertificateError as exc:
            times[f"exact certificate {fmt} (failed)"] = time.perf_counter() - t0
            reasons.append(f"{fmt}: {exc}")
            continue
        times[f"exact certificate {fmt}"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = check_certificate(cert.to_dict())
        times[f"independent check {fmt}"] = time.perf_counter() - t0
        if report.passed:
            return {"passed": True, "format": fmt, "reasons": reasons,
                    "verdict": f"verified (relucert.exact-certificate{fmt}, independent checker)"
                               + (f"; {reasons[0]}" if reasons else "")}
        reasons.append(f"{fmt}: the checker rejected it: {report.first_failure()}")
    return {"passed": False, "format": None, "reasons": reasons, "verdict": "NOT CERTIFIED: " + "; ".join(reasons)}


def _cpu_seconds() -> dict:
    """CPU seconds (user + system) of this process and of its finished child processes."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self": own.ru_utime + own.ru_stime, "children": kids.ru_utime + kids.ru_stime}


def _plot(cv, X, y, names, mse, label, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from relucert.plots import save_figure

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.5))
    g = np.linspace(-3, 3, 120)
    G1, G2 = np.meshgrid(g, g)
    Z = cv.predict(np.column_stack([G1.ravel(), G2.ravel()])).reshape(G1.shape)
    im = ax1.contourf(G1, G2, Z, levels=20, cmap="coolwarm")
    ax1.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=12)
    fig.colorbar(im, ax=ax1)
    ax1.set(xlabel=names[0], ylabel=names[1], xlim=(-3, 3), ylim=(-3, 3),
            title=f"certified fit, n = {len(y)}, lam = {cv.lam_:.3g}, {cv.n_neurons_} neurons")
    ax2.plot(cv.lams_, cv.mse_path_, ":", color="gray")
    ax2.plot(cv.lams_, cv.mse_path_.mean(1), "ko-", label="mean over folds")
    ax2.axvline(cv.lam_, color="r", ls="--", label="lam_")
    ax2.set(xscale="log", xlabel="lam", ylabel="validation MSE",
            title=f"{cv.mse_path_.shape[1]}-fold CV over the certified path")
    ax2.legend()
    ax3.barh(list(mse), list(mse.values()))
    ax3.set(xlabel=f"{label} MSE (standardised target)", title="error")
    save_figure(fig, out, dpi=110)


if __name__ == "__main__":
    main()
