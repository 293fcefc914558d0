"""The claims of a ``relucert.exact-certificate/2`` file, checked by the independent checker.

:func:`check_tree_claims` runs every check of a /2 document in order and stops at the
first failure: the tree (:func:`~relucert.verify.checker.tree.run_tree_checks`: replay,
leaves, ``dual.feasible``), the atoms and the bounds (as /1), then, when the file carries a
``claims`` object (proofs/near_extremal_chambers.md, Lemma N3):

- ``claims.interior_points`` / ``claims.distinct``: every listed chamber is realised by its
  rational interior point with strict signs, and none is listed twice (the /1 kernels);
- ``claims.near_extremal``: the listed chambers hold every point where ``|eta_p| > 1 - m``
  (``m`` the file's margin). From the tree, in exact arithmetic: every bound leaf has
  ``||z||^2 <= (1 - m)^2``; in every exact leaf, every sub-region ``C_s`` whose bound
  exceeds ``(1 - m)^2`` either has two identical samples of opposite signs in ``s`` (then
  it has no interior: it is covered by the others) or has every undecided sample decided
  by ``s`` (a zero-weight undecided sample takes the sign of an identical weighted one), so
  that its interior lies in ONE chamber, whose sign vector must be listed;
- ``uniqueness``: a claimed "unique" verdict is re-derived by the /1 argument
  (proofs/certified_uniqueness.md) over the listed chambers only, after checking that the
  dual ball cannot lift an unlisted chamber to 1: ``beta_max^2 = rho^2 ||X~||_F^2 < m^2``.

Without ``claims`` the file makes no uniqueness claim (a valid /2 file either way).
"""
from __future__ import annotations

from fractions import Fraction

from relucert.results import CheckResult
from relucert.verify.checker.claims import (
    _Exact, _hyperplane_groups, check_distinct, check_interiors, check_interpolation, check_norms,
)
from relucert.verify.checker.rational import approx, fmt
from relucert.verify.checker.tree import Context, run_tree_checks, undecided_weighted
from relucert.verify.checker.tree_schema import ParsedTree
from relucert.verify.checker.unique import derive_uniqueness

__all__ = ["NearCoverage", "check_tree_claims", "claims_uniqueness"]


class NearCoverage:
    """The sign vectors of the chambers the tree says must be listed (``required``: sign
    vector -> first leaf that needs it), or why the tree does not show it (``failure``).

    Parameters
    ----------
    ex : _Exact
    margin : Fraction
        ``0 < margin < 1``; a (sub-)region is *far* when its squared bound is at most
        ``(1 - margin)^2``.
    """

    def __init__(self, ex: _Exact, margin: Fraction):
        self.ctx = Context(ex)
        far = (1 - margin) ** 2
        self.far_num, self.far_den = far.numerator, far.denominator
        _, groups = _hyperplane_groups(ex)
        self.group = [0] * ex.cert.n
        for g, members in enumerate(groups):
            for i in members:
                self.group[i] = g
        self.required: dict = {}
        self.failure: str | None = None
        self.n_near = 0

    def is_far(self, out) -> bool:
        """``num / den <= (1 - margin)^2``."""
        return out[0] * self.far_den <= self.far_num * out[1]

    def leaf_masks(self, node, act: list, und: list, per) -> tuple:
        """``(sign vectors, None)`` of the chambers holding the near sub-regions of a
        confirmed leaf (``per``: an exact leaf's per-pattern bounds; None for a bound leaf),
        with the pattern index of each, or ``((), why)`` when the leaf does not show that
        its points above ``1 - margin`` lie in listed chambers."""
        if per is None:
            return (), "a bound leaf whose bound exceeds (1 - margin)^2"
        U = undecided_weighted(self.ctx, und)
        weighted_group = {self.group[i] for i in U}
        free = [i for i in und if not self.ctx.Pi[i] and self.group[i] not in weighted_group]
        base = 0
        for i in act:
            base |= 1 << i
        out = []
        for s, bound in enumerate(per):
            if self.is_far(bound):
                continue
            on_groups, off_groups = set(), set()
            for b, i in enumerate(U):
                (on_groups if (s >> b) & 1 else off_groups).add(self.group[i])
            if on_groups & off_groups:
                continue            # identical samples of opposite signs: no interior
            if free:
                return (), (f"pattern {s}: its bound {fmt(Fraction(*bound))} exceeds (1 - margin)^2 and zero-weight "
                            f"sample {free[0]} is undecided there, so its interior may meet several chambers")
            mask = base
            for i in und:
                if self.group[i] in on_groups:
                    mask |= 1 << i
            out.append((mask, s))
        return tuple(out), None

    def visit(self, t: int, node, act: list, und: list, out, per) -> None:
        """One confirmed leaf (the ``visit`` hook of ``run_tree_checks``)."""
        if self.failure is not None or self.is_far(out):
            return
        sign = "+" if node.sign > 0 else "-"
        masks, why = self.leaf_masks(node, act, und, per)
        if why is not None:
            bound = "" if per is not None else f" ({fmt(Fraction(*out))})"
            self.failure = (f"leaf {t} (sign {sign}): {why}{bound}: the chambers it meets above 1 - margin are not "
                            f"shown to be listed")
            return
        for mask, s in masks:
            self.n_near += 1
            self.required.setdefault(mask, (t, sign, s))


def claims_uniqueness(ex: _Exact, margin: Fraction) -> tuple[bool, str]:
    """The uniqueness argument of proofs/certified_uniqueness.md over the listed chambers
    of ``ex`` only (proofs/near_extremal_chambers.md, Lemma N3: valid once
    ``claims.near_extremal`` holds): ``(unique, reason)``."""
    cert = ex.cert
    bounds, neg = ex.pair_bounds()
    if neg is not None:
        c, sign, j, val = neg
        return False, (f"listed chamber {c} (sign {'+' if sign > 0 else '-'}) has a negative multiplier on "
                       f"hyperplane {j} ({fmt(val)})")
    lower, upper = ex.dual_value(), ex.primal_value()
    if cert.lam > 0 and upper >= lower:
        rho2 = 2 * (upper - lower) / (cert.lam * cert.lam)
        beta2 = Fraction(sum(ex.fro), ex.DX * ex.DX) * rho2
        if not beta2 < margin * margin:
            return False, (f"the dual ball is not within the margin: beta_max^2 = {fmt(beta2, '.3g')} >= margin^2 = "
                           f"{fmt(margin * margin, '.3g')}, so an unlisted chamber is not excluded from carrying mass")
    unique, reason, _ = derive_uniqueness(ex, bounds, lower, upper)
    return unique, reason


def _uniqueness(ex: _Exact, margin: Fraction) -> CheckResult:
    cert = ex.cert
    if cert.verdict.value != "unique":
        return CheckResult("uniqueness", True, detail=f"no uniqueness claimed ({cert.reason})")
    unique, reason = claims_uniqueness(ex, margin)
    return CheckResult("uniqueness", unique, detail=reason if unique else
                       f"the file claims 'unique' but the argument does not verify: {reason}")


def check_tree_claims(tree: ParsedTree) -> list:
    """Every claim of a /2 certificate, in order, stopping at the first failure (module
    docstring)."""
    checks = []

    def add(result):
        checks.append(result)
        return result.passed

    ex = _Exact(tree.base)
    cover = None if tree.margin is None else NearCoverage(ex, tree.margin)
    if not run_tree_checks(tree, add, None if cover is None else cover.visit):
        return checks
    cert = tree.base
    if not add(check_norms(ex)):
        return checks
    if cert.lam == 0 and not add(check_interpolation(ex)):
        return checks
    lower, upper = ex.dual_value(), ex.primal_value()
    for name, mine, theirs, what in (("bounds.lower", lower, cert.lower, "dual value of the feasible p"),
                                     ("bounds.upper", upper, cert.upper, "primal value of the atoms")):
        if not add(CheckResult(name, mine == theirs, max_violation=approx(abs(mine - theirs)), bound=0.0,
                               detail=f"{what}: {fmt(mine)}; file says {fmt(theirs)}")):
            return checks
    gap = upper - lower
    if not add(CheckResult("bounds.gap", gap == cert.gap and gap >= 0, max_violation=approx(gap), bound=0.0,
                           detail=f"certified gap upper - lower = {fmt(gap, '.6g')}; "
                                  f"file says {fmt(cert.gap, '.6g')}")):
        return checks
    if cover is None:
        add(CheckResult("uniqueness", True, detail=f"no uniqueness claimed ({cert.reason})"))
        return checks
    for step in (check_interiors, check_distinct):
        result = step(ex)
        if not add(CheckResult("claims." + result.name.split(".")[-1], result.passed, detail=result.detail)):
            return checks
    if cover.failure is None:
        listed = set(cert.masks)
        missing = [(where, mask) for mask, where in cover.required.items() if mask not in listed]
        if missing:
            (t, sign, s), mask = min(missing)
            cover.failure = (f"leaf {t} (sign {sign}), pattern {s}: its bound exceeds (1 - margin)^2 but its "
                             f"chamber (signs {mask:x}) is not listed")
    margin_text = fmt(tree.margin)
    if not add(CheckResult("claims.near_extremal", cover.failure is None, detail=(
            f"every point with |eta| > 1 - {margin_text} lies in one of the {len(cert.masks)} listed chambers "
            f"({cover.n_near} near-extremal sub-regions of exact leaves, {len(cover.required)} chambers needed)"
            if cover.failure is None else cover.failure))):
        return checks
    add(_uniqueness(ex, tree.margin))
    return checks
