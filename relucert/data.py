"""Reading data sets from files: ``.npz`` (arrays ``X`` and ``y``) or ``.csv``
(last column is ``y``; a header row is optional)."""
from __future__ import annotations

import csv
import os
import zipfile

import numpy as np

from relucert._validation import check_Xy

__all__ = ["load_data", "save_data"]


def load_data(path: str | os.PathLike, *, extra: tuple[str, ...] = ()) -> dict:
    """Load ``{"X": (n, d), "y": (n,)}`` (plus the optional arrays named in ``extra``).

    Raises ``ValueError`` naming the file and the problem for a missing file, an
    unknown extension, missing arrays, non-numeric CSV cells, or bad values.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"data file {path!r} does not exist")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        out = _load_npz(path, extra)
    elif ext == ".csv":
        out = _load_csv(path)
    else:
        raise ValueError(f"data file {path!r}: expected a .npz or .csv file; got extension {ext!r}")
    try:
        out["X"], out["y"] = check_Xy(out["X"], out["y"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data file {path!r}: {exc}") from exc
    return out


def _load_npz(path: str, extra: tuple[str, ...]) -> dict:
    with open(path, "rb") as fh:
        if fh.read(2) != b"PK":
            raise ValueError(f"data file {path!r} is not a readable .npz archive (no zip header)")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {key: z[key] for key in ("X", "y", *extra) if key in z.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"data file {path!r} is not a readable .npz archive: {exc}") from exc
    missing = {"X", "y"} - set(arrays)
    if missing:
        raise ValueError(f"data file {path!r} must hold arrays 'X' and 'y'; missing {sorted(missing)}")
    return arrays


def _load_csv(path: str) -> dict:
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"data file {path!r} is empty")

    def parse(row):
        return [float(c) for c in row]

    try:
        parse(rows[0])
    except ValueError:
        rows = rows[1:]  # a header row
    if not rows:
        raise ValueError(f"data file {path!r} has a header but no data rows")
    width = len(rows[0])
    values = []
    for k, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(
                f"data file {path!r}: row {k + 1} has {len(row)} columns, expected {width}"
            )
        try:
            values.append(parse(row))
        except ValueError:
            raise ValueError(
                f"data file {path!r}: row {k + 1} has a non-numeric cell: {row!r}"
            ) from None
    if width < 2:
        raise ValueError(
            f"data file {path!r} needs at least 2 columns (features then y); got {width}"
        )
    arr = np.asarray(values, dtype=np.float64)
    return {"X": arr[:, :-1], "y": arr[:, -1]}


def save_data(path: str | os.PathLike, X, y, **extra) -> None:
    """Write ``X``, ``y`` (and extra arrays) to a ``.npz`` file."""
    np.savez(path, X=np.asarray(X, float), y=np.asarray(y, float), **extra)
