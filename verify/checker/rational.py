"""Exact rational kernels of the independent checker: square-root bounds, common
denominators (with the checker's bit limit), row echelon forms and a positive-definiteness
test. Python integers and :class:`fractions.Fraction` only; nothing here is trusted input.
"""
from __future__ import annotations

import math
from fractions import Fraction

from relucert.errors import CertificateLimitError

__all__ = ["SQRT_BITS", "sqrt_upper", "sqrt_lower", "common_denominator", "as_ints", "rref", "ldl_positive",
           "pivot_columns", "approx", "fmt", "rational_text"]

#: Relative precision (bits) of the rational square-root bounds.
SQRT_BITS = 64


def sqrt_upper(q: Fraction, bits: int = SQRT_BITS) -> Fraction:
    """A rational ``s >= sqrt(q)`` (``q >= 0``), exact when q is a square of a dyadic.

    Parameters
    ----------
    q : Fraction
        Non-negative.
    bits : int
        Precision: the bound is within about ``2**-bits`` relative of ``sqrt(q)``.

    Returns
    -------
    Fraction

    Examples
    --------
    >>> sqrt_upper(Fraction(9, 4))
    Fraction(3, 2)
    >>> s = sqrt_upper(Fraction(2)); s * s >= 2 and float(s) == 2 ** 0.5
    True
    """
    q = Fraction(q)
    if q < 0:
        raise ValueError(f"sqrt_upper needs q >= 0; got {q}")
    a, b = q.numerator, q.denominator
    big = a * b << (2 * bits)
    s = math.isqrt(big)
    if s * s != big:
        s += 1
    return Fraction(s, b << bits)


def sqrt_lower(q: Fraction, bits: int = SQRT_BITS) -> Fraction:
    """A rational ``s <= sqrt(q)`` (``q >= 0``).

    >>> sqrt_lower(Fraction(9, 4))
    Fraction(3, 2)

    Parameters
    ----------
    q : Fraction
        Non-negative.
    bits : int

    Returns
    -------
    Fraction
    """
    q = Fraction(q)
    if q < 0:
        raise ValueError(f"sqrt_lower needs q >= 0; got {q}")
    a, b = q.numerator, q.denominator
    return Fraction(math.isqrt(a * b << (2 * bits)), b << bits)


def common_denominator(values, max_bits: int | None = None, what: str = "values") -> int:
    """The least common denominator of rationals; with ``max_bits``, raise
    :class:`~relucert.errors.CertificateLimitError` as soon as it needs more bits (so a
    file of many distinct large denominators cannot make the checker build a huge one).

    >>> common_denominator([Fraction(1, 4), Fraction(1, 6)])
    12

    Parameters
    ----------
    values : iterable of Fraction
    max_bits : int, optional
    what : str
        Named in the error message.

    Returns
    -------
    int
    """
    den = 1
    for v in values:
        den = math.lcm(den, v.denominator)
        if max_bits is not None and den.bit_length() > max_bits:
            raise CertificateLimitError(
                f"limit exceeded: the common denominator of {what} has more than max_bits = {max_bits} bits "
                f"(raise it with --max-bits / max_bits=)")
    return den


def as_ints(values, den: int) -> tuple:
    """``values * den`` as integers (``den`` a common denominator of ``values``).

    Parameters
    ----------
    values : sequence of Fraction
    den : int

    Returns
    -------
    tuple of int
    """
    return tuple(v.numerator * (den // v.denominator) for v in values)


def rref(rows: list) -> tuple:
    """Reduced row echelon form of rational rows (canonical key of their span).

    >>> rref([(2, 4), (1, 2)])
    ((Fraction(1, 1), Fraction(2, 1)),)

    Parameters
    ----------
    rows : list of sequences of rationals

    Returns
    -------
    tuple of tuples of Fraction
        The non-zero rows of the reduced row echelon form.
    """
    m = [list(map(Fraction, r)) for r in rows]
    ncol = len(m[0]) if m else 0
    out, r = [], 0
    for c in range(ncol):
        piv = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if piv is None:
            continue
        m[r], m[piv] = m[piv], m[r]
        inv = 1 / m[r][c]
        m[r] = [x * inv for x in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        r += 1
        if r == len(m):
            break
    for i in range(r):
        out.append(tuple(m[i]))
    return tuple(out)


def pivot_columns(rows: list) -> list:
    """The pivot columns of a row echelon form of rational rows (their number is the rank),
    by fraction-free integer elimination: O(rank * rows * columns) integer operations.

    >>> pivot_columns([(0, 2, 4), (0, 1, 2), (1, 0, 0)])
    [0, 1]

    Parameters
    ----------
    rows : list of sequences of rationals

    Returns
    -------
    list of int
    """
    ints = [list(as_ints(r, common_denominator(r))) for r in (tuple(map(Fraction, row)) for row in rows)]
    ncol = len(ints[0]) if ints else 0
    pivots, r = [], 0
    for c in range(ncol):
        piv = next((i for i in range(r, len(ints)) if ints[i][c]), None)
        if piv is None:
            continue
        ints[r], ints[piv] = ints[piv], ints[r]
        top = ints[r]
        for i in range(r + 1, len(ints)):
            f = ints[i][c]
            if f:
                row = [top[c] * a - f * b for a, b in zip(ints[i], top)]
                g = math.gcd(*row)
                ints[i] = [a // g for a in row] if g > 1 else row
        pivots.append(c)
        r += 1
        if r == len(ints):
            break
    return pivots


def ldl_positive(A: list) -> tuple[bool, int]:
    """Whether the symmetric rational matrix A is positive definite (all pivots > 0);
    returns (ok, index of the first non-positive pivot or -1).

    >>> ldl_positive([[Fraction(2), Fraction(1)], [Fraction(1), Fraction(2)]])
    (True, -1)

    Parameters
    ----------
    A : list of lists of Fraction
        Symmetric.

    Returns
    -------
    ok : bool
    index : int
    """
    A = [row[:] for row in A]
    k = len(A)
    for i in range(k):
        piv = A[i][i]
        if piv <= 0:
            return False, i
        for r in range(i + 1, k):
            f = A[r][i] / piv
            if f:
                for c in range(i + 1, k):
                    A[r][c] -= f * A[i][c]
    return True, -1


def approx(q) -> float | str:
    """``float(q)`` for a report, or a decimal magnitude string ("~-1e+400") when the
    rational is beyond the float range (a hostile file may hold such numbers).

    >>> approx(Fraction(1, 4)), approx(Fraction(-10 ** 400))
    (0.25, '~-1e+400')

    Parameters
    ----------
    q : Fraction or int

    Returns
    -------
    float or str
    """
    try:
        return float(q)
    except OverflowError:
        q = Fraction(q)
        exp = round((abs(q.numerator).bit_length() - q.denominator.bit_length()) * math.log10(2))
        return f"~{'-' if q < 0 else ''}1e{exp:+d}"


def fmt(q, spec: str = ".17g") -> str:
    """``format(float(q), spec)``, or :func:`approx`'s magnitude string out of range.

    >>> fmt(Fraction(1, 3), ".3g"), fmt(Fraction(10 ** 400), ".3g")
    ('0.333', '~1e+400')

    Parameters
    ----------
    q : Fraction or int
    spec : str
        A float format spec.

    Returns
    -------
    str
    """
    value = approx(q)
    return value if isinstance(value, str) else format(value, spec)


def _int_text(a: int) -> str:
    if a < 0:
        return "-" + _int_text(-a)
    if a.bit_length() <= _TEXT_BITS_AT_ONCE:
        return str(a)
    half = (a.bit_length() * 3 // 10) // 2  # about half the decimal digits
    hi, lo = divmod(a, 10 ** half)
    return _int_text(hi) + _int_text(lo).rjust(half, "0")


def rational_text(q) -> str:
    """``str(Fraction(q))`` for a rational of any size (Python's ``str`` refuses integers
    of more than ``sys.get_int_max_str_digits()`` digits).

    >>> rational_text(Fraction(-3, 4)), rational_text(10 ** 5000) == "1" + "0" * 5000
    ('-3/4', True)

    Parameters
    ----------
    q : Fraction or int

    Returns
    -------
    str
    """
    q = Fraction(q)
    num = _int_text(q.numerator)
    return num if q.denominator == 1 else f"{num}/{_int_text(q.denominator)}"


_TEXT_BITS_AT_ONCE = 12_000
