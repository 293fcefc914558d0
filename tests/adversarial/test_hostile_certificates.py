"""Hostile certificate files (issue 12): each is generated here, at test time, and must be
refused by ``relucert check`` with a clear message naming the problem or the limit it hit,
within a generous guard time (a hang fails the test; no timing is asserted otherwise).

Also: a certificate must be bound to the user's data (``--data``/``--lam``), and a valid
certificate of a poor network is "valid but not optimal", never VERIFIED.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import random
import signal
from fractions import Fraction

import numpy as np
import pytest

from problems import by_construction
from relucert.cli import main
from relucert.data import save_data
from relucert.errors import CertificateError, CertificateLimitError
from relucert.verify import CheckStatus, check, make_exact_certificate
from relucert.verify.checker import exact_chamber_count
from relucert.verify.checker.bind import data_digest
from relucert.verify.checker.schema import DEFAULT_LIMITS
from test_exact import solution_from_known

#: Generous wall-clock guard per hostile file (the checker refuses them in well under a second).
GUARD_S = 60


@contextlib.contextmanager
def guard(seconds: int = GUARD_S):
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""
    def alarm(signum, frame):
        raise TimeoutError(f"the checker did not finish within the {seconds} s guard")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_check(capsys, *args) -> tuple[int, str]:
    with guard():
        rc = main(["check", *map(str, args)])
    out = capsys.readouterr()
    return rc, out.out + out.err


# --------------------------------------------------------------------------- generators

def skeleton(X_text, y_text, chambers, n_claimed=None, lam="1/10") -> dict:
    """A well-formed document around the given rows (p = 0, no atoms, consistent bounds)."""
    n, d = len(X_text), len(X_text[0])
    upper = sum(Fraction(v) ** 2 for v in y_text) / 2
    return {
        "format": "relucert.exact-certificate/1", "problem": "P_lam", "n": n, "d": d,
        "X": X_text, "y": y_text, "lam": lam, "dual": ["0"] * n, "atoms": [], "chambers": chambers,
        "completeness": {"method": "zaslavsky", "n_chambers": len(chambers) if n_claimed is None else n_claimed},
        "lower_bound": "0", "upper_bound": str(upper), "gap": str(upper),
        "uniqueness": {"verdict": "uniqueness not certified", "reason": "hostile"},
    }


def all_active_chamber(n: int, d: int) -> dict:
    """The all-active chamber, with its interior point theta = (0, ..., 0, 1)."""
    return {"signs": format((1 << n) - 1, "x"), "interior": ["0"] * d + ["1"], "parent": -1,
            "mult_plus": {}, "mult_minus": {}}


def random_rows(rng: random.Random, n: int, d: int, den_digits: int = 1) -> list:
    def entry():
        if den_digits <= 1:
            return str(rng.randint(-1000, 1000))
        den = rng.randrange(10 ** (den_digits - 1), 10 ** den_digits) | 1
        return str(Fraction(rng.randint(1, 10 ** 6), den))

    return [[entry() for _ in range(d)] for _ in range(n)]


def dos_one_chamber(path):
    """n = 150 points in d = 3 listing ONE chamber (the Zaslavsky count used to run first)."""
    rng = random.Random(150)
    doc = skeleton(random_rows(rng, 150, 3), [str(rng.randint(-9, 9)) for _ in range(150)], [all_active_chamber(150, 3)])
    path.write_text(json.dumps(doc))
    return path


def dos_huge_denominators(path):
    """n = 30, d = 3 with ~4,000-digit denominators (hours of arithmetic before)."""
    rng = random.Random(30)
    doc = skeleton(random_rows(rng, 30, 3, den_digits=4000), ["1"] * 30, [all_active_chamber(30, 3)])
    path.write_text(json.dumps(doc))
    return path


def dos_high_dimension(path):
    """n = 8 points in d = 4,000 (every pair built all C(d+1, 2) Pluecker minors before)."""
    rng = random.Random(8)
    doc = skeleton(random_rows(rng, 8, 4000), ["1"] * 8, [all_active_chamber(8, 4000)])
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def valid():
    """A valid certificate (n = 8, d = 2) with its data."""
    kp = by_construction(8, 2, 0.3, seed=1)
    return kp, make_exact_certificate(solution_from_known(kp)).to_dict()


# --------------------------------------------------------------------------- denial of service

def test_one_chamber_for_150_points_is_refused_before_counting(tmp_path, capsys):
    rc, text = run_check(capsys, dos_one_chamber(tmp_path / "one.json"))
    assert rc == 1
    assert "REJECTED: first failing claim chambers.count_range" in text
    assert "150 distinct hyperplanes in R^4 has at least 300 chambers" in text
    assert "Zaslavsky count was not attempted" in text


def test_huge_denominators_hit_max_bits(tmp_path, capsys):
    path = dos_huge_denominators(tmp_path / "bits.json")
    assert path.stat().st_size > 300_000
    rc, text = run_check(capsys, path)
    assert rc == 1 and "limit exceeded" in text and f"max_bits = {DEFAULT_LIMITS.max_bits}" in text
    assert "--max-bits" in text
    # raising the per-rational limit is not enough: 90 distinct denominators make a common
    # denominator far beyond it, which is refused before any arithmetic uses it
    rc, text = run_check(capsys, path, "--max-bits", 20_000)
    assert rc == 1 and "common denominator of X" in text and "max_bits = 20000" in text


def test_high_dimension_hits_max_d(tmp_path, capsys):
    path = dos_high_dimension(tmp_path / "wide.json")
    rc, text = run_check(capsys, path)
    assert rc == 1 and f"d = 4000 features > max_d = {DEFAULT_LIMITS.max_d}" in text and "--max-d" in text
    # with the limit raised the file is checked, and refused by the cheap count (2^8 >= 16 > 1)
    rc, text = run_check(capsys, path, "--max-d", 4000)
    assert rc == 1 and "chambers.count_range" in text


def test_max_n_and_python_api_keywords(tmp_path):
    path = dos_one_chamber(tmp_path / "one.json")
    with guard(), pytest.raises(CertificateLimitError, match="max_n = 100"):
        check(path, max_n=100)
    out = check(path, max_n=150, max_d=3, max_bits=64)
    assert out.status is CheckStatus.REJECTED and out.report.first_failure().name == "chambers.count_range"
    with pytest.raises(CertificateLimitError, match="max_bits = 8"):
        check(path, max_bits=8)  # the entries are up to 1000 (10 bits)


def test_rank_two_data_counted_directly():
    # 3000 collinear points in R^3: rank-2 lifted normals, 2m chambers without the 4.5 million pairs
    normals = [(Fraction(i), Fraction(2 * i), Fraction(-i), Fraction(1)) for i in range(3000)]
    with guard():
        assert exact_chamber_count(normals) == 6000
    with guard():  # 8 points in d = 4000 are counted in their own 8-dimensional span
        rng = random.Random(4000)
        wide = [tuple(Fraction(rng.randint(-99, 99)) for _ in range(4000)) + (Fraction(1),) for _ in range(8)]
        assert exact_chamber_count(wide) == 2 ** 8


# --------------------------------------------------------------------------- malformed files

HUGE_INT = "9" * 5000


def malformed_texts(valid_doc) -> dict:
    """name -> (file bytes, a fragment the message must contain)."""
    text = json.dumps(valid_doc)
    out = {}

    def doc_with(mutate):
        d = copy.deepcopy(valid_doc)
        mutate(d)
        return json.dumps(d).encode()

    out["truncated"] = (text[: len(text) // 2].encode(), "corrupted or truncated")
    out["empty"] = (b"", "corrupted or truncated")
    out["not_utf8"] = (b'{"format": "relucert.exact-certificate/1", "n": "\xff\xfe"}', "not UTF-8")
    out["latin1_bom"] = (b"\xef\xbb\xbf" + text.encode(), "corrupted or truncated")
    out["nan"] = (text.replace('"problem": "P_lam"', '"problem": NaN').encode(), "non-finite constant NaN")
    out["infinity"] = (text.replace('"n": 8', '"n": Infinity').encode(), "non-finite constant Infinity")
    out["duplicate_key"] = (text.replace('"n": 8', '"n": 8, "n": 9').encode(), "key 'n' twice")
    out["deep_nesting"] = (b"[" * 200_000 + b"]" * 200_000, "nested too deeply")
    out["deep_nesting_in_field"] = (doc_with(lambda d: d.__setitem__("y", [[[[[["1"]]]]]] * 8)), "y[0]")
    out["huge_json_int"] = (text.replace('"n": 8', f'"n": {HUGE_INT}').encode(), "integer literal too long")
    out["big_n"] = (doc_with(lambda d: d.__setitem__("n", 10 ** 40)), "max_n")
    out["huge_rational"] = (doc_with(lambda d: d["dual"].__setitem__(0, "1/" + "7" * 100_000)), "dual[0]")
    out["huge_hex_pattern"] = (doc_with(lambda d: d["chambers"][0].__setitem__("signs", "f" * 100_000)),
                               "chambers[0].signs")
    out["huge_multiplier_index"] = (doc_with(lambda d: d["chambers"][0]["mult_plus"].__setitem__(HUGE_INT, "1")),
                                    "not a hyperplane index")
    out["array"] = (b"[1, 2, 3]", "must be a JSON object")
    out["wrong_format"] = (doc_with(lambda d: d.__setitem__("format", "relucert.exact-certificate/3")),
                           "not a relucert.exact-certificate/1")
    out["n_string"] = (doc_with(lambda d: d.__setitem__("n", "8")), "certificate.n: expected an integer")
    out["n_bool"] = (doc_with(lambda d: d.__setitem__("n", True)), "certificate.n: expected an integer")
    out["X_object"] = (doc_with(lambda d: d.__setitem__("X", {"0": []})), "certificate.X: expected list")
    out["float_rational"] = (doc_with(lambda d: d["dual"].__setitem__(0, 0.5)), "dual[0]: expected a rational")
    out["sign_float"] = (doc_with(lambda d: d["atoms"][0].__setitem__("sign", 1.0)), "atoms[0].sign")
    out["chambers_object"] = (doc_with(lambda d: d.__setitem__("chambers", {})), "certificate.chambers")
    out["parent_forward"] = (doc_with(lambda d: d["chambers"][0].__setitem__("parent", 5)), "chambers[0].parent")
    out["unknown_key"] = (doc_with(lambda d: d.__setitem__("trust_me", True)), "unknown key(s) ['trust_me']")
    out["missing_key"] = (doc_with(lambda d: d.pop("dual")), "missing key(s) ['dual']")
    out["verdict_list"] = (doc_with(lambda d: d["uniqueness"].__setitem__("verdict", ["unique"])),
                           "uniqueness.verdict")
    return out


MALFORMED = ["truncated", "empty", "not_utf8", "latin1_bom", "nan", "infinity", "duplicate_key", "deep_nesting",
             "deep_nesting_in_field", "huge_json_int", "big_n", "huge_rational", "huge_hex_pattern",
             "huge_multiplier_index", "array", "wrong_format", "n_string", "n_bool", "X_object", "float_rational",
             "sign_float", "chambers_object", "parent_forward", "unknown_key", "missing_key", "verdict_list"]


def test_every_malformed_kind_is_generated(valid):
    assert sorted(malformed_texts(valid[1])) == sorted(MALFORMED)


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_file_is_refused_with_a_clear_message(valid, tmp_path, capsys, name):
    data, fragment = malformed_texts(valid[1])[name]
    path = tmp_path / f"{name}.json"
    path.write_bytes(data)
    rc, text = run_check(capsys, path)
    assert rc == 1, text
    assert fragment in text, (fragment, text[-500:])
    assert "Traceback" not in text
    with guard(), pytest.raises(CertificateError):
        check(path)


# --------------------------------------------------------------------------- binding to the data

def test_certificate_of_other_data_is_rejected_with_data(valid, tmp_path, capsys):
    kp, doc = valid
    # (-mu, -p) is optimal for (X, -y) with the same objective: a valid certificate of OTHER data
    sol = solution_from_known(kp, amplitude=-kp.amplitude, dual=-kp.p)
    sol = dataclasses.replace(sol, y=-kp.y)
    other = make_exact_certificate(sol).to_dict()
    assert Fraction(other["upper_bound"]) == Fraction(doc["upper_bound"])
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other))
    data = tmp_path / "data.npz"
    save_data(data, kp.X, kp.y)
    rc, text = run_check(capsys, path)  # alone, it verifies: it is a true statement about ITS data
    assert rc == 0 and "not compared with yours" in text
    rc, text = run_check(capsys, path, "--data", data)
    assert rc == 1 and "REJECTED: first failing claim data.match: y[0] differs" in text
    out = check(path, data=(kp.X, kp.y))
    assert out.status is CheckStatus.REJECTED and out.lower is None


def test_matching_data_and_lam_verify_and_print_the_digest(valid, tmp_path, capsys):
    kp, doc = valid
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    data = tmp_path / "data.csv"
    np.savetxt(data, np.column_stack([kp.X, kp.y]), delimiter=",", fmt="%.17g")
    digest = data_digest(kp.X, kp.y, kp.lam)
    rc, text = run_check(capsys, path, "--data", data, "--lam", repr(kp.lam))
    assert rc == 0 and "VERIFIED: " in text and f"data sha256 {digest}" in text and "X, y, lam equal" in text
    rc, text = run_check(capsys, path, "--data", data, "--lam", repr(kp.lam * (1 + 2 ** -40)))
    assert rc == 1 and "data.match: lam differs" in text
    capsys.readouterr()
    assert main(["check", str(path), "--data", str(data), "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "verified" and out["data_sha256"] == digest and out["data_bound"] is True
    # the digest is that of the canonical text of the exact data
    X = kp.X.copy()
    X[0, 0] = np.nextafter(X[0, 0], 1.0)
    assert data_digest(X, kp.y, kp.lam) != digest
    out = check(path, data={"X": X, "y": kp.y})
    assert out.status is CheckStatus.REJECTED and "X[0][0] differs" in out.report.first_failure().detail


def test_zero_network_is_valid_but_not_optimal(valid, tmp_path, capsys):
    kp, _ = valid
    zero = make_exact_certificate(solution_from_known(kp, amplitude=0 * kp.amplitude, dual=0 * kp.p))
    assert zero.lower_bound == 0 and zero.relative_gap > 0
    path = tmp_path / "zero.json"
    zero.write(path)
    rc, text = run_check(capsys, path)
    assert rc == 1 and "VALID BUT NOT OPTIMAL" in text and "VERIFIED" not in text
    out = check(path)
    assert out.status is CheckStatus.NOT_OPTIMAL and out.valid and not out.passed
    loose = check(path, max_rel_gap=1)  # the caller may accept any gap explicitly
    assert loose.status is CheckStatus.VERIFIED
    rc, text = run_check(capsys, path, "--max-rel-gap", "-1")
    assert rc == 2


def test_check_api_validates_its_arguments(valid, tmp_path):
    kp, doc = valid
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="max_rel_gap must be >= 0"):
        check(path, max_rel_gap=-1)
    with pytest.raises(ValueError, match="max_rel_gap must be finite"):
        check(path, max_rel_gap=float("nan"))
    with pytest.raises(TypeError, match="max_rel_gap must be a real number"):
        check(path, max_rel_gap="1e-9")
    with pytest.raises(TypeError, match="data must be a data file path"):
        check(path, data=42)
    with pytest.raises(TypeError, match="X must be 2-D"):
        check(path, data=(kp.y, kp.y))
    ragged = [list(r) for r in kp.X]
    ragged[3] = ragged[3][:1]
    with pytest.raises(ValueError, match="different lengths"):
        check(path, data=(ragged, kp.y))
    with pytest.raises(ValueError, match="max_bits must be an int >= 1"):
        check(path, max_bits=0)
    with pytest.raises(ValueError, match="does not exist"):
        check(path, data=tmp_path / "missing.npz")
    out = check(path, data=(kp.X, kp.y), lam=Fraction(kp.lam))
    assert out.passed and out.data_bound and out.lam_bound
    doc_out = json.loads(json.dumps(out.to_dict()))
    assert doc_out["status"] == "verified" and doc_out["format"] == "relucert.check/1"

