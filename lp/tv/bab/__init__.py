"""Branch and bound over simplicial cones of the sphere: ``max |eta_p|`` without the
chamber list (DESIGN.md section 10, proofs/branch_and_bound.md)."""
from relucert.lp.tv.bab.search import (
    LEAF_EXTRA, BabCertificate, BabScan, BabStats, BabStatus, certify, maximise,
)
from relucert.lp.tv.bab.seeds import SeedRun, search_seeds
from relucert.lp.tv.bab.warm import Frontier, WarmStart

__all__ = ["LEAF_EXTRA", "BabCertificate", "BabScan", "BabStats", "BabStatus", "Frontier", "SeedRun", "WarmStart",
           "certify", "maximise", "search_seeds"]
