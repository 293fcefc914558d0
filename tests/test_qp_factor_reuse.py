"""Issue 16, session 8: the active set's factorisation work in the exchange
(proofs/exchange_method.md, "The finite QP"). Checked against one-by-one insertions (an
independent path), a cold start, and exact rational KKT conditions."""
from fractions import Fraction

import numpy as np

from relucert.lp.active_set import _ThinQR
from relucert.tolerances import DEFAULT


def test_independent_block_insertion_accepts_what_one_by_one_insertion_accepts():
    """Dependent columns anywhere in the batch are skipped; the others enter by one block
    update, exactly the columns one-by-one insertions accept, with a valid factorisation."""
    rng = np.random.default_rng(1)
    Phi = rng.standard_normal((30, 14))
    Phi[:, 7] = Phi[:, 1] - 2.0 * Phi[:, 4]          # in the span of earlier batch columns
    Phi[:, 11] = 3.0 * Phi[:, 0] + Phi[:, 9]         # in the span of Q and a later batch column
    Phi[:, 13] = Phi[:, 3]                           # a copy of a passive column
    batch = [5, 1, 4, 7, 9, 13, 11, 2, 6]
    one = _ThinQR(Phi, DEFAULT)
    blk = _ThinQR(Phi, DEFAULT)
    for fac in (one, blk):
        fac.insert_block([0, 3])
    expected = [t for t in batch if one.insert(t)]
    got = blk.insert_independent(batch)
    assert got == expected == [5, 1, 4, 9, 2, 6]
    assert blk.cols == one.cols
    assert np.allclose(blk.Q @ blk.R, Phi[:, blk.cols], atol=1e-12)
    assert np.allclose(blk.Q.T @ blk.Q, np.eye(len(blk.cols)), atol=1e-12)
    assert np.allclose(np.tril(blk.R, -1), 0.0)
    # a full block stops at n columns, as one-by-one insertion does
    tall = _ThinQR(rng.standard_normal((4, 9)), DEFAULT)
    assert tall.insert_independent(range(9)) == [0, 1, 2, 3]
