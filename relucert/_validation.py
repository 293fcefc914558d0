"""Input validation at the public boundary (checked once; inner code trusts it).

Messages name the field, the expectation and the value received.
"""
from __future__ import annotations

import math
import numbers
from enum import Enum

import numpy as np

__all__ = ["check_X", "check_Xy", "check_lam", "check_positive_int", "check_choice", "max_abs_X", "MAX_ABS_Y",
           "PRODUCT_EXPONENT"]

#: Supported magnitude of the data, as a power of two: a product of up to d + 1 lifted
#: entries (one term of a determinant of the arrangement's exact predicates) and the
#: squared norms of the rows of X~ and of y stay within [2**-PRODUCT_EXPONENT,
#: 2**PRODUCT_EXPONENT], inside float64's normal range (2**-1022 to 2**1024) with room
#: for the sums of those terms. The lower end also bounds the bit length of the exact
#: rationals of the data (a float v has a denominator <= 2**(52 - exponent of v)),
#: which the exact certificate's arithmetic cost grows with. Zero is always allowed.
PRODUCT_EXPONENT = 960
#: Largest supported |y_i|: 2**(PRODUCT_EXPONENT / 2), so that ||y||^2 stays finite;
#: the smallest non-zero one is its inverse, 2**-(PRODUCT_EXPONENT / 2).
MAX_ABS_Y = 2.0 ** (PRODUCT_EXPONENT // 2)


def max_abs_X(d: int) -> float:
    """Largest supported |X_ij| for d features: ``2**floor(PRODUCT_EXPONENT / (d + 1))``
    (1 enters the lifted rows too, so products of up to d + 1 lifted entries stay below
    ``2**PRODUCT_EXPONENT``): about 3.1e144 for d = 1, 2.1e96 for d = 2, 1.8e72 for
    d = 3 and 6.3e57 for d = 4. The smallest supported non-zero |X_ij| is its inverse."""
    return 2.0 ** (PRODUCT_EXPONENT // (int(d) + 1))


def _check_range(arr: np.ndarray, name: str, limit: float, why: str) -> None:
    """Every entry is 0 or has ``1 / limit <= |entry| <= limit``."""
    mag = np.abs(arr)
    for bad_mask, what, bound, op in ((mag > limit, "too large", limit, ">"),
                                      ((mag < 1.0 / limit) & (mag > 0), "too small", 1.0 / limit, "<")):
        if np.any(bad_mask):
            bad = tuple(int(i) for i in np.argwhere(bad_mask)[0])
            where = ", ".join(str(i) for i in bad)
            raise ValueError(
                f"{name} has a value {what} for the supported range: |{name}[{where}]| = {float(mag[bad]):.3g} "
                f"{op} {bound:.3g} = 2^{int(np.log2(bound))}; supported: 0 or 2^-{int(np.log2(limit))} <= |{name}| "
                f"<= 2^{int(np.log2(limit))} ({why}); rescale the data" + ("" if op == ">" else " or set such "
                                                                             "values to 0"))


#: Integers beyond 2^53 have no exact float64: data are exact, so they are refused.
_EXACT_INT = 2 ** 53


def _as_float_array(value, name: str) -> np.ndarray:
    """``value`` as a float64 array holding exactly the values given.

    Messages keep relucert's wording and also carry the phrases scikit-learn's estimator
    checks look for ("Complex data not supported", numpy's "argument must be a string or a
    ... number"), so both a person and those checks are served."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array; got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists, for example
        raise ValueError(f"{name} must be a rectangular numeric array; {exc}") from exc
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real: Complex data not supported; got dtype {arr.dtype}")
    if arr.dtype == object:
        # an object array of numbers (pandas, lists of Python numbers) is numeric data
        for v in arr.flat:
            if isinstance(v, complex):
                raise ValueError(f"{name} must be real: Complex data not supported; got a complex entry")
            if isinstance(v, numbers.Integral) and abs(int(v)) > _EXACT_INT:
                raise ValueError(f"{name} must hold exact float64 values; got an integer beyond 2^53")
        try:
            return np.ascontiguousarray(arr.astype(np.float64))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numeric; got dtype object with a non-numeric entry ({exc})") from exc
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer) and arr.size and (int(arr.max()) > _EXACT_INT
                                                                 or int(arr.min()) < -_EXACT_INT):
        raise ValueError(f"{name} must hold exact float64 values; got an integer beyond 2^53")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _check_finite(arr: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = ", ".join(str(int(i)) for i in bad)
        what = "NaN" if np.isnan(arr[tuple(bad)]) else "infinity"
        raise ValueError(f"{name} must be finite: Input {name} contains {what}; got {arr[tuple(bad)]} "
                         f"at index ({where})")


def check_X(X, name: str = "X") -> np.ndarray:
    """A finite float64 array of shape (n_samples, n_features), n_samples, n_features >= 1."""
    arr = _as_float_array(X, name)
    if arr.ndim != 2:
        hint = (f". Reshape your data: {name}.reshape(-1, 1) for a single feature, "
                f"{name}.reshape(1, -1) for a single sample") if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must have at least one sample; got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one feature (d >= 1); got 0 feature(s) "
                         f"(shape={arr.shape}) while a minimum of 1 is required.")
    _check_finite(arr, name)
    return arr


def check_Xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Validated (X, y): X (n, d) and y (n,), both finite float64, with
    every entry 0 or within ``1/max_abs_X(d) <= |X_ij| <= max_abs_X(d)`` and
    ``1/MAX_ABS_Y <= |y_i| <= MAX_ABS_Y`` (the float paths' range)."""
    X = check_X(X)
    yy = _as_float_array(y, "y")
    if yy.ndim == 2 and yy.shape[1] == 1:
        yy = yy[:, 0]
    if yy.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,); got shape {yy.shape}")
    if yy.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y must have the same number of samples; got X {X.shape[0]} and y {yy.shape[0]}"
        )
    _check_finite(yy, "y")
    d = X.shape[1]
    _check_range(X, "X", max_abs_X(d), f"for d = {d}: products of d + 1 = {d + 1} lifted entries must stay within "
                                        f"2^-{PRODUCT_EXPONENT}..2^{PRODUCT_EXPONENT} in float64")
    _check_range(yy, "y", MAX_ABS_Y, f"||y||^2 must stay within 2^-{PRODUCT_EXPONENT}..2^{PRODUCT_EXPONENT} "
                                     f"in float64")
    return X, np.ascontiguousarray(yy)


def check_lam(lam, *, allow_zero: bool = False, name: str = "lam") -> float:
    """A finite float > 0 (or >= 0 when ``allow_zero``: lam = 0 is the interpolation problem)."""
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(lam).__name__}")
    value = float(lam)
    bound = ">= 0" if allow_zero else "> 0"
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite float {bound}; got {lam!r}")
    return value


def check_positive_int(value, name: str, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return int(value)


def check_time_limit(value, name: str = "time_limit") -> float | None:
    """None, or a finite number of seconds > 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be None or a number of seconds; got {type(value).__name__}")
    if not math.isfinite(float(value)) or float(value) <= 0:
        raise ValueError(f"{name} must be None or a finite number of seconds > 0; got {value!r}")
    return float(value)


def check_choice(value, name: str, choices) -> str:
    """``value`` as the str value of one of ``choices`` (an Enum class or strings)."""
    options = [c.value if hasattr(c, "value") else c for c in choices]
    raw = value.value if hasattr(value, "value") else value
    if raw not in options:
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return raw


class Device(str, Enum):
    """Where batched region scans run: ``auto`` is CUDA when torch sees one, else the CPU."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


def check_device(device) -> str:
    """``device`` as the str value of a :class:`Device` ("auto", "cpu" or "cuda").

    Only the word is checked here; whether torch and a CUDA device are there is asked of
    ``relucert.gpu`` by the API layer when it builds the ops for the device.

    >>> check_device(Device.CPU)
    'cpu'
    """
    return check_choice(device, "device", Device)
