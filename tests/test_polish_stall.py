"""Issue 16, session 11: Newton with the truncated step (lp/tv/polish.py) stops once an
accepted step lowers the residual by less than POLISH_STALL_RATIO: it is then at the residual
floor of its singular system, where each further step (an eigendecomposition) gained a 1e-3
relative part of the residual in all. Only the work changes: every polished candidate is still
judged by the complete scan of every chamber and the certified gap."""
import numpy as np

import relucert
import relucert.lp.tv.polish as polish_mod
from relucert.examples import battery
from relucert.tolerances import POLISH_STALL_RATIO


def test_truncated_newton_stops_at_its_residual_floor_and_the_run_certifies(monkeypatch):
    residuals = []   # the residual each truncated step starts from; None opens a polish call
    real_step, real_polish = polish_mod._truncated_step, polish_mod.polish

    def step(A, r):
        residuals.append(float(np.linalg.norm(r)))
        return real_step(A, r)

    def polish(*args, **kwargs):
        residuals.append(None)
        return real_polish(*args, **kwargs)

    monkeypatch.setattr(polish_mod, "_truncated_step", step)
    monkeypatch.setattr(polish_mod, "polish", polish)
    X, y = battery("uniform-noise", 100, 2, 0)
    sol = relucert.solve(X, y, 0.01, progress=False)
    assert sol.status.value == "optimal"
    assert sol.info["relative_gap"] <= relucert.Tolerances().obj_gap
    assert any(r is not None for r in residuals)   # the run used the truncated step
    # no truncated step after one that stalled (before: 71 of 102 steps came after a stall)
    pairs = [(a, b) for a, b in zip(residuals, residuals[1:]) if a is not None and b is not None]
    assert pairs and all(b <= POLISH_STALL_RATIO * a for a, b in pairs)
