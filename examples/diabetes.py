"""Real data: scikit-learn's bundled diabetes set (no download), two standardised features.

The features are bmi and s5 (the two most predictive), standardised; the target is
standardised too. The exact solver's cost grows with the number of dual regions, about
n^2 for d = 2 (n = 442 gives some 195,000 regions: minutes, not seconds), so the example
trains on a documented random subsample of N_TRAIN = 60 points (seed 0) and tests on the
other 382. lam is chosen by 3-fold cross-validation over the certified path
(TVReLURegressorCV), the refit is certified (exact rational proof, re-checked by the
independent checker), and its test error is set next to scikit-learn's MLPRegressor and a
kernel ridge baseline (RBF kernel, alpha and gamma by the same 3-fold cross-validation).

    python examples/diabetes.py [--out FILE] [--quick]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

#: Training subsample (see the module docstring) and its seed.
N_TRAIN = 60
SEED = 0
FEATURES = (2, 8)  # bmi, s5


def load(n_train: int, seed: int = SEED):
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    X = data.data[:, list(FEATURES)]
    X = (X - X.mean(0)) / X.std(0)
    y = (data.target - data.target.mean()) / data.target.std()
    order = np.random.default_rng(seed).permutation(len(y))
    tr, te = order[:n_train], order[n_train:]
    return X[tr], y[tr], X[te], y[te], [data.feature_names[j] for j in FEATURES]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="diabetes.png", help="figure file")
    parser.add_argument("--quick", action="store_true", help="reduced size (the smoke test)")
    args = parser.parse_args(argv)
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPRegressor

    from relucert import TVReLURegressorCV
    import matplotlib

    from relucert.plots import save_figure
    from relucert.verify import check_certificate

    n_train = 24 if args.quick else N_TRAIN
    n_lams = 3 if args.quick else 6
    Xtr, ytr, Xte, yte, names = load(n_train)
    t0 = time.perf_counter()
    cv = TVReLURegressorCV(n_lams=n_lams, cv=3).fit(Xtr, ytr)
    t_cv = time.perf_counter() - t0
    proof = check_certificate(cv.certificate_.to_dict())
    mse = {"relucert (certified, CV lam)": float(np.mean((cv.predict(Xte) - yte) ** 2))}
    mlp = MLPRegressor(hidden_layer_sizes=(100,), max_iter=2000, random_state=0).fit(Xtr, ytr)
    mse["MLPRegressor (100 neurons)"] = float(np.mean((mlp.predict(Xte) - yte) ** 2))
    kr = GridSearchCV(KernelRidge(kernel="rbf"), {"alpha": np.logspace(-3, 1, 5), "gamma": np.logspace(-2, 1, 4)},
                      cv=3).fit(Xtr, ytr)
    mse["KernelRidge (RBF, CV)"] = float(np.mean((kr.predict(Xte) - yte) ** 2))
    mse["constant (train mean)"] = float(np.mean((ytr.mean() - yte) ** 2))
    print(f"n_train = {n_train}, n_test = {len(yte)}, features {names}")
    print(f"CV lam = {cv.lam_:.6g} (grid {np.array2string(cv.lams_, precision=4)}), {cv.n_neurons_} neurons, "
          f"status {cv.status_}, certified relative gap {cv.certified_rel_gap_:.2e}, exact proof "
          f"{'verified' if proof.passed else 'REJECTED'}, {t_cv:.1f} s")
    for name, value in mse.items():
        print(f"test MSE {name:32s} {value:.4f}")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.5))
    g = np.linspace(-3, 3, 120)
    G1, G2 = np.meshgrid(g, g)
    Z = cv.predict(np.column_stack([G1.ravel(), G2.ravel()])).reshape(G1.shape)
    im = ax1.contourf(G1, G2, Z, levels=20, cmap="coolwarm")
    ax1.scatter(Xtr[:, 0], Xtr[:, 1], c=ytr, cmap="coolwarm", edgecolors="k", s=20)
    fig.colorbar(im, ax=ax1)
    ax1.set(xlabel=names[0], ylabel=names[1], xlim=(-3, 3), ylim=(-3, 3),
            title=f"certified fit, lam = {cv.lam_:.3g}, {cv.n_neurons_} neurons")
    ax2.plot(cv.lams_, cv.mse_path_, ":", color="gray")
    ax2.plot(cv.lams_, cv.mse_path_.mean(1), "ko-", label="mean over folds")
    ax2.axvline(cv.lam_, color="r", ls="--", label="lam_")
    ax2.set(xscale="log", xlabel="lam", ylabel="validation MSE", title="3-fold CV over the certified path")
    ax2.legend()
    ax3.barh(list(mse), list(mse.values()))
    ax3.set(xlabel=f"test MSE (n_test = {len(yte)}, standardised target)", title="held-out error")
    save_figure(fig, args.out, dpi=110)
    print(f"figure written to {args.out}")
    return {"cv": cv, "test_mse": mse, "proof_passed": bool(proof.passed)}


if __name__ == "__main__":
    main()
