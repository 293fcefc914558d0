"""Reading data sets from files: ``.npz`` (arrays ``X`` and ``y``) or ``.csv``
(last column is ``y``; a header row is optional).

CSV files are read as UTF-8, with or without a byte-order mark (the "CSV UTF-8" of
spreadsheets). The first row is a header only when none of its cells is a number
(``header=None``, the default); otherwise it is data, and a bad cell in it is an error
naming its line and column, as in any other row: a typo never drops a row silently.
``header=True`` / ``header=False`` force it. ``.npz`` archives are read with
``allow_pickle=False``: pickles are never loaded.
"""
from __future__ import annotations

import csv
import io
import math
import os
import zipfile

import numpy as np

from relucert._validation import check_Xy

__all__ = ["load_data", "save_data", "describe_load"]

#: The first bytes of a Python pickle (protocol 2 and later start with 0x80 and the
#: protocol number).
_PICKLE_START = b"\x80"


def load_data(path: str | os.PathLike, *, extra: tuple[str, ...] = (), header: bool | None = None,
              y_alias: str | None = None) -> dict:
    """Load ``{"X": (n, d), "y": (n,), "n_rows": n, "header": bool | None}`` (plus the
    optional arrays named in ``extra``).

    Parameters
    ----------
    path : a ``.npz`` archive with arrays ``X`` and ``y``, or a ``.csv`` file whose last
        column is ``y``.
    extra : further optional arrays to read from a ``.npz``.
    header : for a ``.csv``: None (default) takes the first row as a header only when
        none of its cells is a number; True always skips it; False always reads it.
        ``"header"`` in the result says what was done (None for ``.npz``).
    y_alias : for a ``.npz``: the array read as ``y`` when the archive has no ``y``.

    Returns
    -------
    dict
        ``X`` (n, d) and ``y`` (n,) as validated float64 arrays, ``n_rows``, ``header``
        and the ``extra`` arrays present in the archive.

    Raises
    ------
    ValueError
        Naming the file and the problem: a missing file, an unknown extension, a file
        that is not UTF-8 text or not a ``.npz`` archive (a pickle, a binary file),
        missing arrays, a non-numeric cell (with its line and column), or bad values.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"data file {path!r} is a folder, not a file")
    if not os.path.isfile(path):
        raise ValueError(f"data file {path!r} does not exist")
    if header is not None and not isinstance(header, bool):
        raise TypeError(f"header must be True, False or None; got {header!r}")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        if header is not None:
            raise ValueError(f"data file {path!r}: --header/--no-header apply to .csv files only")
        out = _load_npz(path, extra, y_alias)
        out["header"] = None
    elif ext == ".csv":
        out = _load_csv(path, header)
    else:
        raise ValueError(f"data file {path!r}: expected a .npz or .csv file; got extension {ext!r}")
    try:
        out["X"], out["y"] = check_Xy(out["X"], out["y"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data file {path!r}: {exc}") from exc
    out["n_rows"] = int(out["X"].shape[0])
    return out


def describe_load(path, data: dict) -> str:
    """One line for stderr: how many rows were read, and how the header was treated.

    Parameters
    ----------
    path : str or os.PathLike
        The data file.
    data : dict
        As returned by :func:`load_data`.

    Returns
    -------
    str
    """
    X = data["X"]
    head = {None: "", True: ", first row skipped as a header", False: ", no header row"}[data.get("header")]
    return f"read {data['n_rows']} rows (n = {X.shape[0]}, d = {X.shape[1]}) from {os.fspath(path)}{head}"


def _read_bytes(path: str, size: int = -1) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise ValueError(f"data file {path!r} cannot be read: {exc.strerror or exc}") from None


def _load_npz(path: str, extra: tuple[str, ...], y_alias: str | None = None) -> dict:
    start = _read_bytes(path, 4)
    if start[:2] != b"PK":
        kind = ("a Python pickle (relucert never loads pickles)" if start[:1] == _PICKLE_START
                else "an empty file" if not start else "not a zip archive")
        raise ValueError(f"data file {path!r} is not a readable .npz archive: it is {kind}; expected a "
                         f"numpy .npz (a zip of .npy arrays X and y, as numpy.savez writes)")
    arrays = {}
    try:
        with np.load(path, allow_pickle=False) as z:
            for key in dict.fromkeys(("X", "y", *((y_alias,) if y_alias else ()), *extra)):
                if key in z.files:
                    try:
                        arrays[key] = z[key]
                    except ValueError as exc:
                        if "pickle" in str(exc).lower():
                            raise ValueError(f"data file {path!r}: array {key!r} holds Python objects (a "
                                             f"pickle), which relucert never loads; save numeric arrays") from None
                        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as exc:
        if str(exc).startswith(f"data file {path!r}"):
            raise
        raise ValueError(f"data file {path!r} is not a readable .npz archive: {exc}") from exc
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise ValueError(f"data file {path!r}: member {key!r} is not a .npy array (no .npy header)")
    if "y" not in arrays and y_alias and y_alias in arrays:
        arrays["y"] = arrays.pop(y_alias)
    missing = {"X", "y"} - set(arrays)
    if missing:
        raise ValueError(f"data file {path!r} must hold arrays 'X' and 'y'; missing {sorted(missing)}")
    return arrays


def _read_text(path: str) -> str:
    raw = _read_bytes(path)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValueError(f"data file {path!r} is UTF-16 text (a spreadsheet's 'Unicode text' export); "
                         f"expected UTF-8: save it as 'CSV UTF-8'")
    if b"\x00" in raw:
        hint = " (it looks like a zip or .npz archive: use the .npz extension)" if raw[:2] == b"PK" else ""
        raise ValueError(f"data file {path!r} is binary, not CSV text{hint}; expected UTF-8 text "
                         f"with comma-separated numbers")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ValueError(f"data file {path!r} is not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line} "
                         f"cannot be decoded; save the CSV as UTF-8 (a Latin-1/Windows-1252 export, for "
                         f"example, must be converted)") from None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _load_csv(path: str, header: bool | None) -> dict:
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    rows = []  # (line number, cells)
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ValueError(f"data file {path!r}: line {reader.line_num}: not valid CSV: {exc}") from None
    if not rows:
        raise ValueError(f"data file {path!r} is empty")
    first = rows[0][1]
    skip = header if header is not None else not any(_is_number(c) for c in first)
    if skip:
        rows = rows[1:]
    if not rows:
        raise ValueError(f"data file {path!r} has a header but no data rows")
    width = len(rows[0][1])
    if width < 2:
        sep = next((c for c in (";", "\t", "|", " ") if c in rows[0][1][0].strip()), None)
        hint = f" (its cells look separated by {sep!r}: relucert reads comma-separated values)" if sep else ""
        raise ValueError(
            f"data file {path!r} needs at least 2 columns (features then y); got {width}{hint}"
        )
    values = np.empty((len(rows), width), dtype=np.float64)
    for k, (line, cells) in enumerate(rows):
        if len(cells) != width:
            raise ValueError(f"data file {path!r}: line {line} has {len(cells)} columns, expected {width} "
                             f"(as in line {rows[0][0]})")
        for j, cell in enumerate(cells):
            where = f"data file {path!r}: line {line}, column {j + 1}"
            try:
                v = float(cell)
            except ValueError:
                what = "an empty cell" if not cell.strip() else f"a non-numeric cell {cell.strip()[:40]!r}"
                first_note = (" (the first row is read as data because some of its cells are numbers; "
                              "pass --header if it is a header)") if k == 0 and header is None else ""
                raise ValueError(f"{where} has {what}{first_note}") from None
            if not math.isfinite(v):
                field = "y" if j == width - 1 else "X"
                raise ValueError(f"{where}: {field} must be finite; got {cell.strip()!r}")
            values[k, j] = v
    return {"X": values[:, :-1], "y": values[:, -1], "header": bool(skip)}


def save_data(path: str | os.PathLike, X, y, **extra) -> None:
    """Write ``X``, ``y`` (and extra arrays) to a ``.npz`` file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file; ``.npz`` is appended when missing (as ``numpy.savez`` does).
    X : array-like (n, d)
    y : array-like (n,)
    **extra
        Further arrays (``lam``, ``xi``, ...), saved as given.
    """
    from relucert._atomic import atomic_open

    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"  # as numpy.savez names it
    with atomic_open(path, "wb") as fh:
        np.savez(fh, X=np.asarray(X, float), y=np.asarray(y, float), **extra)
