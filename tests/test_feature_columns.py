"""Issue 16, session 11: the exchange's feature columns (lp/tv/atom_set.py, FeatureColumns):
a grown atom set computes only its new columns, any other set is built in full; every
column equals the direct formula max(0, X~ theta) * sign (to the last bit of a 3-term dot
product)."""
import numpy as np

from relucert.lp.tv.atom_set import FeatureColumns


def _direct(Xl, theta, sign):
    return np.array([np.maximum(0.0, [float(np.dot(x, t)) for x in Xl]) * s for t, s in zip(theta, sign)]).T


def test_grown_filtered_and_resigned_sets_match_the_direct_formula(monkeypatch):
    rng = np.random.default_rng(0)
    Xl = np.hstack([rng.standard_normal((50, 2)), np.ones((50, 1))])
    theta = rng.standard_normal((40, 3))
    sign = np.sign(rng.standard_normal(40))
    f = FeatureColumns(Xl)
    computed = []
    real = np.maximum

    def counting(a, b, *args, **kwargs):
        out = real(a, b, *args, **kwargs)
        if np.ndim(out) == 2:
            computed.append(out.shape[1])
        return out

    import relucert.lp.tv.atom_set as atom_set
    monkeypatch.setattr(atom_set.np, "maximum", counting)
    steps = [(theta[:10], sign[:10], 10), (theta[:25], sign[:25], 15), (theta[:25], sign[:25], 0),
             (theta[5:30], sign[5:30], 25), (theta[5:40], -sign[5:40], 35), (theta[5:40], -sign[5:40], 0)]
    for th, sg, new in steps:
        computed.clear()
        Phi = f(th, sg)
        assert sum(computed) == new          # only the new columns (a full build otherwise)
        assert Phi.shape == (50, th.shape[0])
        assert np.allclose(Phi, _direct(Xl, th, sg), rtol=4 * np.finfo(float).eps, atol=0.0)
