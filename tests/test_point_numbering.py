"""Issue 15: one numbering of the points of E everywhere (the report's messages, the
table of ``relucert certify``, the JSON ``point`` of every atom)."""
from __future__ import annotations

import re

import numpy as np

from analysis_cases import symmetric_continuum
from relucert.commands.certify import format_report
from relucert.results import Verdict
from relucert.verify.analysis import analyse, solution_from_measure


def _continuum_report():
    # the symmetric continuum moved a quarter along its null direction: the point of E
    # at theta = (1, 0) carries no mass, its antipode carries 1; both amplitudes range
    # over [0, 1] while the other four range over [1 - sqrt 2 / 4 ..., 1 + sqrt 2 / 4]
    X, y, lam, theta, amp, p, objective, null = symmetric_continuum()
    amp = amp + 0.25 * null
    assert np.min(amp) == 0.0 and np.sum(amp == 0.0) == 1
    return analyse(solution_from_measure(X, y, lam, theta, amp))


def test_message_and_table_number_points_of_E_alike():
    report = _continuum_report()
    assert report.unique is Verdict.NOT_UNIQUE
    text = format_report(report)
    m = re.search(r"the amplitude at point (\d+) of E ranges over \[([^,]+), ([^\]]+)\]", report.unique_reason)
    assert m, report.unique_reason
    j, lo, hi = int(m.group(1)), float(m.group(2)), float(m.group(3))
    rows = {int(line.split()[0]): line for line in text.splitlines() if re.match(r"^\s+\d+\s+[+-]1\s", line)}
    assert sorted(rows) == list(range(len(report.extremal.points)))   # every point of E has its row
    row = rows[j]
    rng = re.search(r"\[([^,]+), ([^\]]+)\]\s*$", row)
    assert abs(float(rng.group(1)) - lo) < 1e-3 and abs(float(rng.group(2)) - hi) < 1e-3, (row, m.group(0))
    # the row's theta is the point's theta, and the atoms' JSON "point" indexes the same E
    q = report.extremal.points[j]
    assert all(f"{t:+.5f}" in row for t in q.theta)
    doc = report.to_dict()
    for atom in doc["atoms"]:
        assert np.allclose(atom["theta"], doc["extremal_set"][atom["point"]]["theta"])
        assert f"{atom['amplitude']:.6g}" in rows[atom["point"]]
    # a point without mass has a blank amplitude in its row, never another point's
    massless = set(range(len(report.extremal.points))) - {a.point for a in report.atoms}
    assert massless
    for k in massless:
        cols = rows[k][:rows[k].index(report.extremal.points[k].location.value)].split()
        assert len(cols) == 2 + q.theta.size, rows[k]     # point, sign, theta: no amplitude
