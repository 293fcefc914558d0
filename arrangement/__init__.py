"""Chambers ("dual regions") of the hyperplane arrangement a data set induces.

Layer: arrangement (geometry only). It may import core only (relucert.tolerances,
errors, results, _model, _validation, data, _atomic, solution); never lp, verify or gpu.
"""
from relucert.arrangement.chambers import Arrangement, lift, pack_signs, sign_string, unpack_signs
from relucert.arrangement.cones import RegionMax, region_max
from relucert.arrangement.counts import (
    characteristic_polynomial, estimate_chambers, exact_chamber_count, general_position_count,
)
from relucert.arrangement.graph import ChamberCone, adjacency_edges, adjacency_graph, chamber_cone
from relucert.arrangement.enumerate import (
    DEFAULT_MAX_CHAMBERS, Method, enumerate_chambers, verify_interior_points,
)

__all__ = [
    "Arrangement", "lift", "pack_signs", "unpack_signs", "sign_string",
    "RegionMax", "region_max",
    "estimate_chambers", "general_position_count", "characteristic_polynomial", "exact_chamber_count",
    "ChamberCone", "adjacency_edges", "adjacency_graph", "chamber_cone",
    "DEFAULT_MAX_CHAMBERS", "Method", "enumerate_chambers", "verify_interior_points",
]
