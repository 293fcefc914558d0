"""Branch and bound over simplicial cones of the sphere: ``max |eta_p|`` without the
chamber list (DESIGN.md section 10, proofs/branch_and_bound.md)."""
from relucert.lp.tv.bab.search import (
    LEAF_EXTRA, BabCertificate, BabScan, BabStats, BabStatus, certify, maximise,
)

__all__ = ["LEAF_EXTRA", "BabCertificate", "BabScan", "BabStats", "BabStatus", "certify", "maximise"]
