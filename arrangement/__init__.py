"""arrangement/: geometry only (DESIGN.md sections 2, 3, 8 and 9).

The chambers ("dual regions") of the hyperplane arrangement a data set induces: exact
enumeration, counts, adjacency graph, cones, the chamber vectors ``v_A``, and the
maxima of a linear function on the regions (``region_max`` for one region,
``region_maxima`` batched for all, on numpy or on any ``ops`` object such as the torch
ops of ``relucert.gpu``).

Layer: arrangement (geometry only). It may import core only (relucert.tolerances,
errors, results, _model, _validation, data, _atomic, solution); never lp, verify or gpu.
"""
from relucert.arrangement._ops import LazyOps, NumpyOps
from relucert.arrangement.chambers import Arrangement, lift, pack_signs, sign_string, unpack_signs
from relucert.arrangement.cones import RegionMax, region_max
from relucert.arrangement.counts import (
    characteristic_polynomial, estimate_chambers, exact_chamber_count, general_position_count,
)
from relucert.arrangement.graph import ChamberCone, adjacency_edges, adjacency_graph, chamber_cone
from relucert.arrangement.enumerate import (
    DEFAULT_MAX_CHAMBERS, EnumerationMethod, enumerate_chambers, verify_interior_points,
)
from relucert.arrangement.maxima import BATCH_MIN_CHAMBERS, MaximaBackend, RegionMaxima, region_maxima
from relucert.arrangement.vectors import ChamberVectorMethod, chamber_vectors

__all__ = [
    "Arrangement", "lift", "pack_signs", "unpack_signs", "sign_string",
    "RegionMax", "region_max",
    "estimate_chambers", "general_position_count", "characteristic_polynomial", "exact_chamber_count",
    "ChamberCone", "adjacency_edges", "adjacency_graph", "chamber_cone",
    "DEFAULT_MAX_CHAMBERS", "EnumerationMethod", "enumerate_chambers", "verify_interior_points",
    "BATCH_MIN_CHAMBERS", "MaximaBackend", "RegionMaxima", "region_maxima",
    "ChamberVectorMethod", "chamber_vectors", "NumpyOps", "LazyOps",
]
