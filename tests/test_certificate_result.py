"""Issue 15: one base for the /1 and /2 builders' result classes
(verify/certificate_result.py); the files they write are byte for byte what the classes
wrote before they shared it: compact JSON of the document, a dual vector that is the
float p's exact rationals divided by a dyadic scale rounded up on the 2**-62 grid."""
from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from relucert import solve
from relucert.certifier import tree_certificate
from relucert.verify import check_certificate, make_exact_certificate
from relucert.verify.bab_certificate import TreeCertificate
from relucert.verify.certfile import decode_rational
from relucert.verify.certificate_builder import ExactCertificate
from relucert.verify.certificate_result import CertificateResult, dyadic_scale
from relucert.tolerances import BAB_CERT_SCALE_MARGIN_BITS


@pytest.fixture(scope="module")
def certificates():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((9, 1))
    y = np.sin(2 * X[:, 0]) + rng.standard_normal(9) / 10
    sol = solve(X, y, 0.05, progress=False)
    assert sol.success
    return sol, make_exact_certificate(sol, progress=False), tree_certificate(sol, progress=False)


def _old_bytes(document: dict) -> bytes:
    """How both classes wrote a file before the shared base: compact JSON and a newline."""
    return (json.dumps(document, separators=(",", ":"), allow_nan=False) + "\n").encode()


def test_both_classes_share_the_base_and_write_the_same_bytes(certificates, tmp_path):
    sol, one, two = certificates
    assert isinstance(one, ExactCertificate) and isinstance(two, TreeCertificate)
    for cert, fmt in ((one, "relucert.exact-certificate/1"), (two, "relucert.exact-certificate/2")):
        assert isinstance(cert, CertificateResult)
        assert cert.to_dict() is cert.document and cert.document["format"] == fmt
        assert cert.relative_gap == cert.gap / max(Fraction(1), abs(cert.upper_bound))
        assert cert.gap == cert.upper_bound - cert.lower_bound >= 0
        path = tmp_path / f"{fmt[-1]}.json"
        cert.write(path)
        assert path.read_bytes() == _old_bytes(cert.document)
        assert check_certificate(json.loads(path.read_text())).passed


def test_dual_is_p_over_a_dyadic_scale_as_before(certificates):
    sol, one, two = certificates
    for cert in (one, two):
        scale = decode_rational(cert.document["provenance"]["dual_scale"], "dual_scale")
        assert scale == cert.dual_scale >= 1
        assert (scale * (1 << 62)).denominator == 1
        dual = [decode_rational(v, "dual") for v in cert.document["dual"]]
        assert dual == [Fraction(float(v)) / scale for v in np.asarray(sol.dual, float)]
    # /2: the scale is the pre-refactor formula of the branch and bound's float bound
    upper = two.document["provenance"]["bab_upper_bound"]
    want = Fraction(upper) * (1 + Fraction(1, 1 << BAB_CERT_SCALE_MARGIN_BITS))
    old = Fraction(1) if want <= 1 else Fraction(math.ceil(want * (1 << 62)), 1 << 62)
    assert two.dual_scale == old


def test_dyadic_scale_rounds_up_on_the_grid():
    for c in (Fraction(1), Fraction(3, 2), Fraction(1) + Fraction(1, 3 << 62), Fraction(10 ** 20 + 1, 10 ** 20)):
        s = dyadic_scale(c)
        assert s >= c and s - c < Fraction(1, 1 << 62) and (s * (1 << 62)).denominator == 1
