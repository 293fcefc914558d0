"""Tolerances live in one place (relucert/tolerances.py)."""
import pathlib
import re

import pytest

from relucert.tolerances import DEFAULT, Tolerances, resolve

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ["relucert", "arrangement", "lp", "verify", "gpu"]
# A small float literal such as 1e-9 or 0.000001 is a tolerance in disguise.
STRAY = re.compile(r"(?<![\w.])(\d+(\.\d*)?[eE]-\d+|0\.0000*[1-9]\d*)")


def test_no_stray_tolerance_literals():
    offenders = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            if path.name == "tolerances.py" or path == ROOT / "relucert/experiments/parameters.py":
                continue  # the experiments' parameters are exempt by job (tests/test_architecture.py)
            for k, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#", 1)[0]
                if ">>>" in line or "..." in line.lstrip()[:4]:
                    continue  # doctest examples may show small numbers
                if STRAY.search(code):
                    offenders.append(f"{path.relative_to(ROOT)}:{k}: {line.strip()}")
    assert not offenders, "tolerance literals outside tolerances.py:\n" + "\n".join(offenders)


def test_defaults_and_resolve():
    assert resolve(None) is DEFAULT
    t = Tolerances(obj_gap=1e-6)
    assert resolve(t) is t
    assert Tolerances.from_dict(t.to_dict()) == t


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_values_rejected(bad):
    with pytest.raises(ValueError, match="obj_gap"):
        Tolerances(obj_gap=bad)


def test_bad_types_rejected():
    with pytest.raises(TypeError, match="tol"):
        resolve(1e-9)
    with pytest.raises(TypeError, match="obj_gap"):
        Tolerances(obj_gap="small")
    with pytest.raises(ValueError, match="unknown"):
        Tolerances.from_dict({"nope": 1.0})


def test_close_is_atol_plus_rtol():
    t = Tolerances(primal_feas=1e-9, rtol=1e-6)
    assert t.close(1e6, 1e6 + 0.5)
    assert not t.close(1.0, 1.0 + 3e-6)
