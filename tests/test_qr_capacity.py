"""The QP's thin QR factors kept in buffers with spare capacity (lp/qr_factors.py): appends
write in place instead of copying Q and R whole, deletions (``qr_delete``) update the buffers
in place, and the factors stay those of the columns, checked against the columns themselves
after every operation of a mixed sequence."""
import numpy as np

from relucert.lp.qr_factors import KeptFactors, ThinQR
from relucert.tolerances import resolve


def _check(fac: ThinQR) -> None:
    A = fac.Phi[:, fac.cols]
    k = len(fac.cols)
    assert fac.Q.shape == (fac.Phi.shape[0], k) and fac.R.shape == (k, k)
    assert np.linalg.norm(fac.Q @ fac.R - A) <= 1e-12 * max(1.0, np.linalg.norm(A))
    assert np.linalg.norm(fac.Q.T @ fac.Q - np.eye(k)) <= 1e-12
    assert np.all(np.tril(fac.R, -1) == 0.0) and np.all(np.abs(np.diag(fac.R)) > 0)


def _phi(seed: int = 0):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((40, 60))
    Phi[:, 50] = Phi[:, 3] - 2.0 * Phi[:, 7]      # dependent on two others
    Phi[:, 51] = 0.0                              # a zero column
    return Phi


def test_appends_write_in_place_within_capacity():
    fac = ThinQR(_phi(), resolve(None))
    assert fac.insert_block(list(range(4))) == [0, 1, 2, 3]
    base = fac.Q
    for j in range(4, 8):       # capacity 8 after the first block of 4: no copy up to 8 columns
        assert fac.insert(j)
        assert np.shares_memory(fac.Q, base) and fac.Q.__array_interface__["data"][0] == base.__array_interface__["data"][0]
        _check(fac)
    assert fac.insert(8)        # past the capacity: new buffers, the factors unchanged
    assert not np.shares_memory(fac.Q, base)
    _check(fac)


def test_mixed_inserts_and_deletes_keep_exact_factors():
    tol = resolve(None)
    fac = ThinQR(_phi(), tol)
    fac.insert_block([0, 1, 2, 3, 5, 7, 9])
    _check(fac)
    for step, (op, arg) in enumerate([("del", 2), ("ins", 11), ("ind", [50, 12, 13, 51, 14]), ("del", 0),
                                      ("ins", 50), ("del", 7), ("ins", 50), ("ind", list(range(15, 30))),
                                      ("del", 13), ("del", 15), ("ind", list(range(30, 45)) + [2, 0])]):
        if op == "del":
            fac.delete(arg)
        elif op == "ins":
            fac.insert(arg)
        else:
            assert 51 not in fac.insert_independent(arg)
        _check(fac)
    fac.insert_independent([j for j in range(60) if j not in fac.cols])
    assert len(fac.cols) == 40      # full: n columns, nothing more enters
    assert not fac.insert(45) and fac.insert_independent([46, 47]) == []
    _check(fac)


def test_dependent_column_is_refused():
    fac = ThinQR(_phi(), resolve(None))
    fac.insert_block([3, 7])
    assert not fac.insert(50) and not fac.insert(51)
    _check(fac)


def test_kept_factors_are_copied_on_adoption():
    tol = resolve(None)
    Phi = _phi()
    fac = ThinQR(Phi, tol)
    fac.insert_block([0, 1, 2, 3, 4])
    kept = KeptFactors()
    kept.store(fac)
    Q0, R0 = kept.Q.copy(), kept.R.copy()
    new = ThinQR(Phi, tol)
    passive = np.zeros(Phi.shape[1], dtype=bool)
    passive[[0, 1, 3, 4]] = True
    assert new.adopt(kept, passive)
    assert new.cols == [0, 1, 3, 4]
    new.insert(9)
    _check(new)
    assert np.array_equal(kept.Q, Q0) and np.array_equal(kept.R, R0)
