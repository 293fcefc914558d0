"""Tolerances live in one place (relucert/tolerances/)."""
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
            if path.parent == ROOT / "relucert/tolerances" or path == ROOT / "relucert/experiments/parameters.py":
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


def test_groups_partition_the_fields():
    from dataclasses import fields

    from relucert.tolerances import GROUPS

    grouped = [name for _, names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(f.name for f in fields(Tolerances))
    assert len(grouped) == len(set(grouped))  # each field in exactly one group
    assert list(GROUPS) == ["solver", "geometry", "analysis", "batched"]
    t = Tolerances(gpu_gap=0.0)
    assert t.group("batched") == {"gpu_margin": DEFAULT.gpu_margin, "gpu_gap": 0.0}
    with pytest.raises(ValueError, match="unknown tolerance group"):
        t.group("nope")


def test_each_field_has_one_meaning_snap_is_split():
    """The exchange method's pruning, snapping and polishing thresholds are three fields
    (one `snap` did all three); each is documented in the class docstring."""
    from dataclasses import fields

    names = {f.name for f in fields(Tolerances)}
    assert "snap" not in names
    assert {"prune_amplitude", "snap_distance", "polish_violation"} <= names
    for name in names:
        assert f"    {name} : float\n" in Tolerances.__doc__, name
