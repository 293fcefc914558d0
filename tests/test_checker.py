"""The independent checker rejects tampered certificates (issue 5: soundness).

Every mutation below makes some claim of the certificate false, so the checker must
either raise CertificateError (unparsable) or return a failed report naming a check.
"""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from problems import by_construction
from relucert.errors import CertificateError, CertificateLimitError
from relucert.verify import check_certificate, make_exact_certificate
from relucert.verify.certfile import loads_certificate
from relucert.verify.checker import _Exact, parse_certificate
from test_exact import solution_from_known


@pytest.fixture(scope="module")
def certs():
    out = []
    for n, d, lam, seed in [(6, 1, 0.5, 11), (8, 2, 0.3, 1), (6, 2, 0.0, 13)]:
        out.append(make_exact_certificate(solution_from_known(by_construction(n, d, lam, seed))).to_dict())
    return out


def tight_pairs(doc):
    """(chamber, key, index) of multipliers on pairs whose bound is within 1e-6 of 1."""
    ex = _Exact(parse_certificate(doc))
    bounds, _ = ex.pair_bounds()
    out = []
    for c, row in enumerate(bounds):
        for k, (q, from_mult) in enumerate(row):
            key = ("mult_plus", "mult_minus")[k]
            if from_mult and q > 1 - Fraction(1, 10 ** 6):
                out.extend((c, key, j) for j in doc["chambers"][c][key])
    return out


def rejected(doc) -> bool:
    try:
        report = check_certificate(doc)
    except CertificateError:
        return True
    return not report.passed and report.first_failure() is not None


FACTORS = [Fraction(1, 10 ** 12), Fraction(-1, 10 ** 9), Fraction(1, 1000), Fraction(-1, 2), Fraction(2)]
KINDS = ["dual", "atom_u", "atom_sign", "norm_upper", "multiplier", "multiplier_drop", "drop_chamber", "duplicate_chamber",
         "pattern_bit", "interior_negate", "lower", "upper", "gap", "n_chambers", "lam", "y", "truncate",
         "unknown_key", "float_rational", "noncanonical"]


def mutate(doc, kind, a, b, factor):
    doc = copy.deepcopy(doc)
    n, m = doc["n"], len(doc["chambers"])
    bump = lambda s: str(Fraction(s) + factor * max(abs(Fraction(s)), Fraction(1)))  # noqa: E731
    if kind == "dual":
        doc["dual"][a % n] = bump(doc["dual"][a % n])
    elif kind == "atom_u":
        atom = doc["atoms"][a % len(doc["atoms"])]
        atom["u"][b % len(atom["u"])] = bump(atom["u"][b % len(atom["u"])])
    elif kind == "atom_sign":
        atom = doc["atoms"][a % len(doc["atoms"])]
        atom["sign"] = -atom["sign"]
    elif kind == "norm_upper":
        atom = doc["atoms"][a % len(doc["atoms"])]
        atom["norm_upper"] = str(Fraction(atom["norm_upper"]) * (1 - abs(factor) / (1 + abs(factor))))
    elif kind == "multiplier":
        tp = tight_pairs(doc)
        if not tp:
            return None
        c, key, j = tp[a % len(tp)]
        grow = 1 + max(abs(factor), Fraction(1, 1000))  # far beyond the 2**-60 rounding of the hint
        doc["chambers"][c][key][j] = str(Fraction(doc["chambers"][c][key][j]) * grow)
    elif kind == "multiplier_drop":
        ex = _Exact(parse_certificate(doc))
        V, _ = ex.chamber_vectors()
        need = [c for c in range(m) if sum(x * x for x in V[c]) > ex.S ** 2]
        c = need[a % len(need)]
        key = "mult_plus" if doc["chambers"][c]["mult_plus"] else "mult_minus"
        doc["chambers"][c][key] = {j: "0" for j in doc["chambers"][c][key]}
    elif kind == "drop_chamber":
        c = a % m
        del doc["chambers"][c]
        for ch in doc["chambers"][c:]:
            if ch["parent"] > c:
                ch["parent"] -= 1
            elif ch["parent"] == c:
                ch["parent"] = -1
    elif kind == "duplicate_chamber":
        c, e = a % m, b % m
        if c == e:
            e = (c + 1) % m
        lo, hi = min(c, e), max(c, e)
        doc["chambers"][hi] = dict(doc["chambers"][lo], parent=-1)
    elif kind == "pattern_bit":
        ch = doc["chambers"][a % m]
        ch["signs"] = format(int(ch["signs"], 16) ^ (1 << (b % n)), "x")
    elif kind == "interior_negate":
        ch = doc["chambers"][a % m]
        ch["interior"] = [str(-Fraction(v)) for v in ch["interior"]]
    elif kind in ("lower", "upper", "gap"):
        key = {"lower": "lower_bound", "upper": "upper_bound", "gap": "gap"}[kind]
        doc[key] = bump(doc[key])
    elif kind == "n_chambers":
        doc["completeness"]["n_chambers"] += 1 if factor > 0 else -1
    elif kind == "lam":
        if doc["lam"] == "0":
            doc["lam"] = "1/3"
        else:
            doc["lam"] = bump(doc["lam"])
    elif kind == "y":
        doc["y"][a % n] = bump(doc["y"][a % n])
    elif kind == "truncate":
        text = json.dumps(doc).rstrip()
        return ("text", text[: a % len(text)])
    elif kind == "unknown_key":
        doc["chambers"][a % m]["extra"] = 1
    elif kind == "float_rational":
        doc["dual"][a % n] = float(Fraction(doc["dual"][a % n]))
    elif kind == "noncanonical":
        doc["lower_bound"] = "2/4"
    return doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 2), kind=st.sampled_from(KINDS), a=st.integers(0, 10 ** 6), b=st.integers(0, 10 ** 6),
       factor=st.sampled_from(FACTORS))
def test_mutations_are_rejected(certs, which, kind, a, b, factor):
    out = mutate(certs[which], kind, a, b, factor)
    if out is None:
        return
    if isinstance(out, tuple):
        with pytest.raises(CertificateError):
            loads_certificate(out[1])
        return
    assert rejected(out), kind


def test_unmodified_certificates_pass(certs):
    for doc in certs:
        assert check_certificate(doc).passed
        assert check_certificate(json.loads(json.dumps(doc))).passed


def test_every_mutation_kind_occurs(certs):
    for kind in KINDS:
        out = mutate(certs[1], kind, 3, 5, FACTORS[2])
        assert out is not None, kind


def test_false_uniqueness_claim_rejected():
    kp = by_construction(8, 2, 0.4, seed=5)
    cert = make_exact_certificate(solution_from_known(kp, amplitude=kp.amplitude * 1.5))
    assert cert.unique == "uniqueness not certified"
    doc = copy.deepcopy(cert.to_dict())
    doc["uniqueness"] = {"verdict": "unique", "reason": "trust me"}
    report = check_certificate(doc)
    assert not report.passed and report.first_failure().name == "uniqueness"


def test_first_failure_is_named(certs):
    doc = copy.deepcopy(certs[1])
    doc["completeness"]["n_chambers"] += 1
    report = check_certificate(doc)
    assert report.first_failure().name == "chambers.count_range"  # listed != claimed: no lattice built
    doc = copy.deepcopy(certs[1])
    del doc["chambers"][-1]
    assert check_certificate(doc).first_failure().name == "chambers.count_range"
    doc["completeness"]["n_chambers"] -= 1  # consistent, within [2m, general-position bound], one short
    failure = check_certificate(doc).first_failure()
    assert failure.name == "chambers.complete" and "exceeded the listed number" in failure.detail
    doc = copy.deepcopy(certs[1])
    doc["chambers"][2]["signs"] = doc["chambers"][1]["signs"]
    assert check_certificate(doc).first_failure().name == "chambers.interior_points"


def test_malformed_documents_raise():
    for bad in [[], {"format": "nope"}, {"format": "relucert.exact-certificate/1"}]:
        with pytest.raises(CertificateError):
            check_certificate(bad)
    with pytest.raises(CertificateError, match="NaN"):
        loads_certificate('{"format": NaN}')
    with pytest.raises(CertificateError, match="twice"):
        loads_certificate('{"a": 1, "a": 2}')


def test_rational_strings_are_strict():
    from relucert.verify.certfile import decode_rational

    assert decode_rational("-3/4", "x") == Fraction(-3, 4) and decode_rational("0", "x") == 0
    for bad in ["-0", "2/4", "3/1", "0/5", "1/0", "01", "+1", "1.5", "1e3", " 1", "1_0", 1, None]:
        with pytest.raises(CertificateError):
            decode_rational(bad, "x")
    # a long integer is read exactly (beyond Python's 4300-digit str limit) unless it exceeds max_bits,
    # which is judged from the digit count before any conversion
    assert decode_rational("9" * 5000, "x") == 10 ** 5000 - 1
    with pytest.raises(CertificateLimitError, match="max_bits = 8192"):
        decode_rational("9" * 5000, "x", max_bits=8192)
    with pytest.raises(CertificateLimitError, match="max_bits = 64"):
        decode_rational("1/" + str(2 ** 64 + 1), "x", max_bits=64)
    assert decode_rational("1/" + str(2 ** 64 - 1), "x", max_bits=64) == Fraction(1, 2 ** 64 - 1)
