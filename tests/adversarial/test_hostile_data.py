"""Hostile data files (issue 12): each is generated here, at test time, and must be
rejected with a clear message naming the file and the problem (never a traceback,
never a silently dropped row), or read exactly (BOM, forced header).

Every case goes through the library loader and through the command line."""
from __future__ import annotations

import json
import pickle
import re
import zipfile

import numpy as np
import pytest

from relucert.cli import main
from relucert.data import load_data

ROWS = "0.5,0.1,1.0\n0.2,0.9,-1.0\n-0.7,0.3,0.5\n0.1,-0.4,2.0\n"


def _csv(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def _npz(folder, name, **arrays):
    path = folder / name
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def hostile_files(folder):
    """(case, path, regex the error message must match), each rejected."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0]])
    y = np.array([1.0, -1.0, 0.5])
    cases = [
        # the first row has one bad cell: it is data (two cells are numbers), so the typo is an error
        ("first-row typo", _csv(folder, "typo.csv", "0.5,0.1,1.2.3\n" + ROWS),
         r"line 1, column 3 has a non-numeric cell '1\.2\.3'.*--header"),
        ("first-row typo after a BOM", _csv(folder, "typo_bom.csv", "\ufeff0.5,0.1,1.2.3\n" + ROWS),
         r"line 1, column 3 has a non-numeric cell"),
        ("typo in a later row", _csv(folder, "typo3.csv", ROWS + "0.3,O.4,1.0\n"),
         r"line 5, column 2 has a non-numeric cell 'O\.4'"),
        ("empty cell", _csv(folder, "hole.csv", ROWS + "0.3,,1.0\n"), r"line 5, column 2 has an empty cell"),
        ("latin-1 header", _csv(folder, "latin1.csv", "température,pression,y\n" + ROWS, "latin-1"),
         r"latin1\.csv' is not UTF-8 text: byte 0xe9 on line 1.*save the CSV as UTF-8"),
        ("latin-1 cell", _csv(folder, "latin1b.csv", ROWS + "0.3,0.4,1.0 µ\n", "latin-1"),
         r"is not UTF-8 text: byte 0xb5 on line 5"),
        ("UTF-16 export", _csv(folder, "utf16.csv", "x1,x2,y\n" + ROWS, "utf-16"), r"UTF-16.*UTF-8"),
        ("binary bytes as .csv", folder / "noise.csv", r"noise\.csv' is binary, not CSV text"),
        ("an .npz renamed .csv", folder / "renamed.csv", r"is binary, not CSV text \(it looks like a zip"),
        ("empty .csv", _csv(folder, "empty.csv", ""), r"empty\.csv' is empty"),
        ("blank lines only", _csv(folder, "blank.csv", "\n  \n,,\n"), r"is empty"),
        ("header only", _csv(folder, "head.csv", "x1,x2,y\n"), r"has a header but no data rows"),
        ("NaN cell", _csv(folder, "nan.csv", ROWS + "nan,0.4,1.0\n"), r"line 5, column 1: X must be finite; got 'nan'"),
        ("inf label", _csv(folder, "inf.csv", ROWS + "0.3,0.4,-inf\n"), r"line 5, column 3: y must be finite"),
        ("overflowing literal", _csv(folder, "big.csv", ROWS + "1e400,0.4,1.0\n"), r"X must be finite; got '1e400'"),
        ("ragged rows", _csv(folder, "ragged.csv", ROWS + "0.3,1.0\n"), r"line 5 has 2 columns, expected 3"),
        ("one column", _csv(folder, "one.csv", "1\n2\n3\n"), r"needs at least 2 columns"),
        ("semicolons", _csv(folder, "semi.csv", "1;2;3\n4;5;6\n"), r"needs at least 2 columns.*';'"),
        ("1e300 in X", _csv(folder, "hugeX.csv", ROWS + "1e300,0.4,1.0\n"),
         r"X has a value too large for the supported range: \|X\[4, 0\]\| = 1e\+300 > 2\.14e\+96 = 2\^320"),
        ("1e300 in y", _csv(folder, "hugey.csv", ROWS + "0.3,0.4,-1e300\n"),
         r"y has a value too large for the supported range: \|y\[4\]\| = 1e\+300"),
        ("1e-300 in X", _csv(folder, "tinyX.csv", ROWS + "1e-300,0.4,1.0\n"),
         r"X has a value too small for the supported range: \|X\[4, 0\]\| = 1e-300 < 4\.68e-97 = 2\^-320"),
        ("subnormal y", _npz(folder, "suby.npz", X=X, y=np.array([1.0, 5e-324, 0.0])),
         r"y has a value too small for the supported range: \|y\[1\]\| = 4\.94e-324"),
        ("pickle disguised as .npz", folder / "pickle.npz", r"it is a Python pickle \(relucert never loads pickles\)"),
        ("object array in .npz", _npz(folder, "objects.npz", X=np.array([[1, "a"], [2, None]], dtype=object), y=y[:2]),
         r"array 'X' holds Python objects \(a pickle\), which relucert never loads"),
        ("truncated .npz", folder / "truncated.npz", r"truncated\.npz' is not a readable \.npz archive"),
        ("empty .npz", _csv(folder, "empty.npz", ""), r"empty\.npz' is not a readable \.npz archive: it is an empty file"),
        ("text as .npz", _csv(folder, "text.npz", ROWS), r"not a readable \.npz archive: it is not a zip archive"),
        ("npz without y", _npz(folder, "noy.npz", X=X), r"missing \['y'\]"),
        ("npz X 1-D", _npz(folder, "x1d.npz", X=np.arange(3.0), y=y), r"X must be 2-D \(n_samples, n_features\)"),
        ("npz X 3-D", _npz(folder, "x3d.npz", X=np.zeros((3, 2, 2)), y=y), r"X must be 2-D.*shape \(3, 2, 2\)"),
        ("npz y 2-D", _npz(folder, "y2d.npz", X=X, y=np.zeros((3, 2))), r"y must be 1-D"),
        ("npz n mismatch", _npz(folder, "nmis.npz", X=X, y=y[:2]), r"same number of samples; got X 3 and y 2"),
        ("npz NaN", _npz(folder, "nan.npz", X=np.array([[0.0], [np.nan]]), y=y[:2]), r"X must be finite"),
        ("npz strings", _npz(folder, "str.npz", X=np.array([["a"], ["b"]]), y=y[:2]), r"X must be numeric"),
        ("npz 1e300", _npz(folder, "huge.npz", X=X * 1e300, y=y), r"X has a value too large for the supported range"),
        ("npz complex", _npz(folder, "cplx.npz", X=X.astype(complex), y=y), r"X must be real"),
        ("a folder", folder / "folder.csv", r"folder\.csv' is a folder, not a file"),
        ("wrong extension", _csv(folder, "data.txt", ROWS), r"expected a \.npz or \.csv file; got extension '\.txt'"),
    ]
    noise = np.random.default_rng(0).integers(0, 256, 512, dtype=np.uint8).tobytes()
    (folder / "noise.csv").write_bytes(b"\x00\x01" + noise)
    _npz(folder, "good.npz", X=X, y=y)
    (folder / "renamed.csv").write_bytes((folder / "good.npz").read_bytes())
    (folder / "pickle.npz").write_bytes(pickle.dumps({"X": X, "y": y}))
    raw = (folder / "good.npz").read_bytes()
    (folder / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    (folder / "folder.csv").mkdir()
    return cases


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return {case: (path, match) for case, path, match in hostile_files(folder)}


def _case_names():
    import pathlib
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        return [case for case, _, _ in hostile_files(pathlib.Path(d))]


NAMES = _case_names()


@pytest.mark.parametrize("case", NAMES)
def test_loader_rejects_with_a_message_naming_the_problem(files, case):
    path, match = files[case]
    with pytest.raises(ValueError, match=match) as info:
        load_data(path)
    assert repr(str(path)) in str(info.value) or str(path) in str(info.value)  # names the file


@pytest.mark.parametrize("case", NAMES)
def test_cli_rejects_with_exit_2_and_no_traceback(files, case, capsys):
    path, match = files[case]
    assert main(["solve", str(path), "--lam", "0.1", "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("relucert solve: error: data file"), captured.err
    assert re.search(match, lines[0]), lines[0]


def test_npz_pickle_is_never_unpickled(tmp_path, monkeypatch):
    """A pickle disguised as .npz is refused without being loaded (pickle.loads is never called)."""
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"X": np.zeros((2, 1)), "y": np.zeros(2)}))
    calls = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: calls.append(a))
    with pytest.raises(ValueError, match="pickle"):
        load_data(path)
    assert calls == []


def test_zip_that_is_not_npz(tmp_path):
    path = tmp_path / "z.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("X.npy", b"not an npy header")
        z.writestr("y.npy", b"nor this")
    with pytest.raises(ValueError, match=r"z\.npz': member 'X' is not a \.npy array"):
        load_data(path)


# --- files that must be READ, exactly, not rejected ----------------------------------

def test_bom_headerless_csv_keeps_its_first_row(tmp_path):
    """Issue 12: a "CSV UTF-8" export starts with a BOM; the first row is data."""
    path = _csv(tmp_path, "bom.csv", "\ufeff" + ROWS)
    data = load_data(path)
    assert data["n_rows"] == 4 and data["header"] is False
    assert data["X"][0].tolist() == [0.5, 0.1] and data["y"].tolist() == [1.0, -1.0, 0.5, 2.0]


def test_bom_with_header(tmp_path):
    data = load_data(_csv(tmp_path, "bomh.csv", "\ufeffx1,x2,y\n" + ROWS))
    assert data["n_rows"] == 4 and data["header"] is True


def test_header_is_skipped_only_when_no_cell_is_a_number(tmp_path):
    # one header cell is a number ("2019"): the row is data, and its text cells are an error
    with pytest.raises(ValueError, match=r"line 1, column 1 has a non-numeric cell 'x'.*--header"):
        load_data(_csv(tmp_path, "h.csv", "x,2019,y\n" + ROWS))
    # forced: --header skips it, --no-header reads the first row as data
    assert load_data(tmp_path / "h.csv", header=True)["n_rows"] == 4
    path = _csv(tmp_path, "typo.csv", "0.5,0.1,1.2.3\n" + ROWS)
    assert load_data(path, header=True)["n_rows"] == 4
    with pytest.raises(ValueError, match=r"line 1, column 1 has a non-numeric cell 'x1'$"):
        load_data(_csv(tmp_path, "hd.csv", "x1,x2,y\n" + ROWS), header=False)
    with pytest.raises(ValueError, match="apply to .csv files only"):
        load_data(_npz(tmp_path, "g.npz", X=np.zeros((2, 1)), y=np.zeros(2)), header=True)


def test_cli_header_options_and_row_counts(tmp_path, capsys):
    """--header/--no-header on the command line; the row count on stderr and in --json."""
    path = _csv(tmp_path, "typo.csv", "0.5,0.1,1.2.3\n" + ROWS)
    out = tmp_path / "r.json"
    assert main(["regions", str(path), "--header", "--json", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert f"read 4 rows (n = 4, d = 2) from {path}, first row skipped as a header" in err
    doc = json.loads(out.read_text())
    assert doc["n_rows"] == 4 and doc["data_header"] is True and doc["data_file"] == str(path)
    assert main(["regions", str(path), "--no-header"]) == 2
    assert "line 1, column 3" in capsys.readouterr().err
    assert main(["regions", str(path), "--header", "--no-header"]) == 2  # mutually exclusive
    capsys.readouterr()


@pytest.mark.parametrize("command", [["regions"], ["solve", "--lam", "0.5"], ["certify", "--lam", "0.5"],
                                     ["scan", "--samples", "2000"]])
def test_every_data_command_reports_rows_read(tmp_path, capsys, command):
    path = _csv(tmp_path, "d.csv", "\ufeff" + ROWS)  # BOM, headerless: all 4 rows
    out = tmp_path / "o.json"
    argv = [command[0], str(path), *command[1:], "--json", str(out), "--no-progress"]
    if command[0] == "scan":
        argv += ["--device", "cpu"]
    assert main(argv) == 0
    assert f"read 4 rows (n = 4, d = 2) from {path}, no header row" in capsys.readouterr().err
    assert json.loads(out.read_text())["n_rows"] == 4


def test_lownoise_reads_rows_with_the_same_loader(tmp_path, capsys):
    path = _csv(tmp_path, "lown.csv", "x,y0\n0,0\n1,1\n2,0\n")
    assert main(["lownoise", str(path), "--lams", "0.1:0.01:2", "--json", str(tmp_path / "l.json"),
                 "--no-progress"]) in (0, 1)
    assert f"read 3 rows (n = 3, d = 1) from {path}, first row skipped as a header" in capsys.readouterr().err
    assert json.loads((tmp_path / "l.json").read_text())["n_rows"] == 3


# --- the supported value range (issue 12): refused up front outside it, certified inside ----

def test_range_limits_are_exact_at_the_boundary():
    from relucert._validation import MAX_ABS_Y, check_Xy, max_abs_X

    tiny = np.finfo(np.float64).tiny  # smallest normal float64
    for d in (1, 2, 3, 4):
        top = max_abs_X(d)
        assert top ** (d + 1) < np.finfo(np.float64).max  # a product of d + 1 entries stays finite
        assert (1 / top) ** (d + 1) > tiny  # ... and normal
        X = np.ones((2, d))
        for ok, bad, word in ((-top, -np.nextafter(top, np.inf), "large"),
                              (1 / top, np.nextafter(1 / top, 0.0), "small")):
            X[0, 0] = ok
            check_Xy(X, [0.0, 1.0])
            X[0, 0] = bad
            with pytest.raises(ValueError, match=rf"too {word} .* \|X\[0, 0\]\| = .*for d = {d}:"):
                check_Xy(X, [0.0, 1.0])
    assert MAX_ABS_Y ** 2 < np.finfo(np.float64).max and (1 / MAX_ABS_Y) ** 2 > tiny
    check_Xy(np.ones((2, 1)), [MAX_ABS_Y, 1 / MAX_ABS_Y])
    check_Xy(np.zeros((2, 1)), [0.0, -0.0])  # zero is always allowed
    with pytest.raises(ValueError, match="y has a value too large"):
        check_Xy(np.ones((1, 1)), [np.nextafter(MAX_ABS_Y, np.inf)])
    with pytest.raises(ValueError, match="y has a value too small.*or set such values to 0"):
        check_Xy(np.ones((1, 1)), [np.nextafter(1 / MAX_ABS_Y, 0.0)])


@pytest.mark.parametrize("X, y", [
    ([[0.0], [1.0], [2e300]], [0.0, 1.0, 0.0]),
    ([[0.0], [1.0], [2.0]], [0.0, 1e300, 0.0]),
    ([[0.0], [1e-300], [2.0]], [0.0, 1.0, 0.0]),
    ([[0.0], [1.0], [2.0]], [0.0, 5e-324, 0.0]),
])
def test_api_refuses_1e300_and_1e_minus_300_before_any_work(X, y):
    import relucert

    with pytest.raises(ValueError, match="supported range"):
        relucert.solve(X, y, 0.1)


@pytest.mark.parametrize("name", ["mixed", "scaled"])
def test_smallest_supported_values_are_solved_and_exactly_certified(tmp_path, capsys, name):
    """Values at the lower end of the supported range (d = 1: 2^-480, about 3e-145) in X
    and y: `certify --exact` writes a certificate that the independent checker verifies
    (float screening in verify/certificate_builder.py raised OverflowError on such data before)."""
    from relucert._validation import MAX_ABS_Y, max_abs_X

    rng = np.random.default_rng(4)
    lo = 1.0 / max_abs_X(1)
    X = rng.standard_normal((6, 1))
    y = rng.standard_normal(6)
    if name == "mixed":  # tiny entries among ordinary ones: rationals of ~530 bits
        X[0, 0], X[1, 0], y[2] = 1.5 * lo, -lo, -1.0 / MAX_ABS_Y
    else:  # every entry tiny
        X = np.sign(X) * (1 + np.abs(X)) * lo
    path = _npz(tmp_path, "tiny.npz", X=X, y=y)
    cert = tmp_path / "tiny.json"
    assert main(["certify", str(path), "--lam", "0.1", "--exact", "--out", str(cert), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["check", str(cert)]) == 0
    assert "VERIFIED" in capsys.readouterr().out


def test_tiny_labels_certified_against_the_closed_form():
    """y ~ 2^-470: mu = 0 is optimal (|eta_{y/lam}| <= sum|y_i| ||x~_i|| / lam << 1), so
    min = 0.5 ||y||^2 exactly; the exact bounds must bracket that rational."""
    from fractions import Fraction

    import relucert
    from relucert._validation import MAX_ABS_Y
    from relucert.verify import make_exact_certificate

    rng = np.random.default_rng(7)
    X = rng.standard_normal((7, 2))
    y = np.sign(rng.standard_normal(7)) * (1 + rng.random(7)) / MAX_ABS_Y * 2.0 ** 10
    y[0] = 1.0 / MAX_ABS_Y
    sol = relucert.solve(X, y, 0.5)
    cert = make_exact_certificate(sol)
    exact_min = sum(Fraction(float(v)) ** 2 for v in y) / 2
    assert cert.lower_bound <= exact_min <= cert.upper_bound
    assert cert.report.passed
