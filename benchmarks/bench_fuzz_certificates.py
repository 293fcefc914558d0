"""Forgery fuzz campaign against the independent checker (issue 12).

Valid exact certificates of a few small problems (solved by ``relucert.solve``, certified
by ``make_exact_certificate``) are mutated one field at a time; after each mutation the
bounds are recomputed as a forger would (``lower`` = dual value of the file's p,
``upper`` = primal value of the file's atoms, ``gap`` = their difference, and the atom's
``norm_upper`` when its ``u`` changed), except for mutations OF the bounds, which are the
lie themselves. Every mutant goes to the checker (``relucert.verify.check_certificate``).

An accepted mutant's claim ``lower <= min (P) <= upper`` for the data written in it is
judged by an independent solve: the finite second-order cone program over ALL 2^n
activation patterns (each closed pattern cone gives valid atoms, and the chambers are
among them, so its optimum is min (P); DESIGN.md section 4), built with cvxpy and solved
by clarabel. It uses neither the checker nor relucert's solver or enumerator. The claim is
false when ``lower > OPT + t`` or ``upper < OPT - t`` with ``t = conic_accept *
max(1, |OPT|)`` (the judge is a float solve). The count of accepted false claims must be 0.
Uniqueness verdicts of accepted mutants are not judged (no independent exact test).

``--format 2`` runs the same campaign on ``relucert.exact-certificate/2`` files (the
branch-and-bound tree; ``make_tree_certificate`` on the dual certified by
``lp.tv.bab.certify``) with the tree's own mutation kinds (split bits, leaves, slopes,
multipliers) in place of the chamber kinds.

Run: ``python benchmarks/bench_fuzz_certificates.py`` (10,000 mutants; ``--quick``: 600).
Exit status 1 when any accepted mutant's claim is false.
"""
from __future__ import annotations

import argparse
import collections
import functools
import json
import math
import pathlib
import random
import sys
import time
from fractions import Fraction

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _machine import machine  # noqa: E402

#: (n, d, lam, seed) of the problems whose certificates are mutated (lam = 0: (P_0)).
PROBLEMS = [(6, 1, 0.5, 1), (8, 2, 0.3, 2), (7, 2, 0.0, 3), (6, 3, 0.2, 4)]
SMALL = [Fraction(1, 2 ** 50), Fraction(1, 10 ** 12), Fraction(1, 10 ** 6), Fraction(1, 1000), Fraction(1, 2)]
KINDS = ["X", "y", "lam", "dual", "atom_u", "atom_sign", "atom_norm_upper", "atom_drop", "atom_add",
         "signs_bit", "interior", "parent", "mult_value", "mult_drop", "mult_add", "chamber_drop",
         "chamber_duplicate", "n_chambers", "lower", "upper", "gap", "verdict", "problem"]
#: Format /2: the kinds shared with /1 plus the tree's own.
KINDS_TREE = ["X", "y", "lam", "dual", "atom_u", "atom_sign", "atom_norm_upper", "atom_drop", "atom_add",
              "bits_flip", "bits_swap", "leaf_drop", "leaf_swap", "lambda_value", "lambda_drop", "lambda_add",
              "alpha_value", "alpha_add", "exact_value", "exact_drop", "lower", "upper", "gap", "problem"]


# --------------------------------------------------------------------------- the forger

def new_value(v: Fraction, rng: random.Random) -> Fraction:
    """A changed rational: relative nudges from 2^-50 to 1/2, sign flips, 0, shifts."""
    choice = rng.randrange(6)
    if choice <= 1:
        e = rng.choice(SMALL) * rng.choice((1, -1))
        return v + e * max(abs(v), Fraction(1)) if v == 0 or choice == 1 else v * (1 + e)
    return [-v, Fraction(0), v + 1, 2 * v + Fraction(1, 3)][choice - 2]


def sqrt_up(q: Fraction, bits: int = 64) -> Fraction:
    a, b = q.numerator, q.denominator
    big = a * b << (2 * bits)
    s = math.isqrt(big)
    return Fraction(s + (s * s != big), b << bits)


def recompute_bounds(doc: dict) -> None:
    """lower, upper and gap of the document's own numbers, as a forger writes them."""
    F = lambda s: Fraction(s)  # noqa: E731
    X = [[F(v) for v in row] + [Fraction(1)] for row in doc["X"]]
    y, p, lam = [F(v) for v in doc["y"]], [F(v) for v in doc["dual"]], F(doc["lam"])
    py = sum(a * b for a, b in zip(p, y))
    tv = sum(F(a["norm_upper"]) for a in doc["atoms"])
    if lam == 0:
        lower, upper = py, tv
    else:
        lower = lam * py - lam * lam / 2 * sum(a * a for a in p)
        f = [Fraction(0)] * len(X)
        for a in doc["atoms"]:
            u = [F(v) for v in a["u"]]
            for i, x in enumerate(X):
                t = sum(ui * xi for ui, xi in zip(u, x))
                if t > 0:
                    f[i] += a["sign"] * t
        upper = sum((fi - yi) ** 2 for fi, yi in zip(f, y)) / 2 + lam * tv
    doc["lower_bound"], doc["upper_bound"], doc["gap"] = str(lower), str(upper), str(upper - lower)


def mutate_tree(doc: dict, kind: str, rng: random.Random) -> bool:
    """Format /2: change one field of the tree or its leaves (other kinds: :func:`mutate`)."""
    pick = rng.randrange
    tree, leaves = doc["tree"], doc["leaves"]
    bits = tree["bits"]
    if kind == "bits_flip":
        i = pick(len(bits))
        tree["bits"] = bits[:i] + ("1" if bits[i] == "0" else "0") + bits[i + 1:]
    elif kind == "bits_swap":
        i, j = sorted((pick(len(bits)), pick(len(bits))))
        b = list(bits)
        b[i], b[j] = b[j], b[i]
        tree["bits"] = "".join(b)
    elif kind == "leaf_drop":
        del leaves[pick(len(leaves))]
    elif kind == "leaf_swap":
        i, j = pick(len(leaves)), pick(len(leaves))
        leaves[i], leaves[j] = leaves[j], leaves[i]
    elif kind in ("lambda_value", "lambda_drop", "lambda_add", "alpha_value", "alpha_add"):
        key = "lambda" if kind.startswith("lambda") else "alpha"
        bound = [leaf for leaf in leaves if key in leaf]
        if not bound:
            return True
        leaf = bound[pick(len(bound))]
        width = doc["d"] + 1 if key == "lambda" else doc["n"]
        if kind.endswith("add") or not leaf[key]:
            j = str(pick(width))
            leaf[key][j] = str(abs(new_value(Fraction(leaf[key].get(j, "1")), rng)))
        elif kind.endswith("drop"):
            del leaf[key][rng.choice(sorted(leaf[key]))]
        else:
            j = rng.choice(sorted(leaf[key]))
            leaf[key][j] = str(new_value(Fraction(leaf[key][j]), rng))
    elif kind in ("exact_value", "exact_drop"):
        exact = [leaf for leaf in leaves if "exact" in leaf]
        if not exact:
            return True
        pats = exact[pick(len(exact))]["exact"]
        if kind == "exact_drop":
            del pats[pick(len(pats))]
        else:
            m = pats[pick(len(pats))]
            j = rng.choice(sorted(m)) if m else "0"
            m[j] = str(new_value(Fraction(m.get(j, "1")), rng))
    else:
        return mutate(doc, kind, rng)
    return True


def mutate(doc: dict, kind: str, rng: random.Random) -> bool:
    """Change one field of ``doc`` in place; returns whether the bounds are to be recomputed."""
    n, d = doc["n"], doc["d"]
    ch, atoms = doc.get("chambers", []), doc["atoms"]
    pick = rng.randrange
    if kind == "X":
        i, j = pick(n), pick(d)
        doc["X"][i][j] = str(new_value(Fraction(doc["X"][i][j]), rng))
    elif kind == "y":
        i = pick(n)
        doc["y"][i] = str(new_value(Fraction(doc["y"][i]), rng))
    elif kind == "lam":
        doc["lam"] = str(abs(new_value(Fraction(doc["lam"]), rng)))
    elif kind == "dual":
        i = pick(n)
        doc["dual"][i] = str(new_value(Fraction(doc["dual"][i]), rng))
    elif kind == "atom_u" and atoms:
        a = atoms[pick(len(atoms))]
        j = pick(d + 1)
        a["u"][j] = str(new_value(Fraction(a["u"][j]), rng))
        a["norm_upper"] = str(sqrt_up(sum(Fraction(v) ** 2 for v in a["u"])))
    elif kind == "atom_sign" and atoms:
        a = atoms[pick(len(atoms))]
        a["sign"] = -a["sign"]
    elif kind == "atom_norm_upper" and atoms:
        a = atoms[pick(len(atoms))]
        a["norm_upper"] = str(abs(new_value(Fraction(a["norm_upper"]), rng)))
    elif kind == "atom_drop" and atoms:
        del atoms[pick(len(atoms))]
    elif kind == "atom_add":
        a = json.loads(json.dumps(atoms[pick(len(atoms))])) if atoms else {
            "u": ["0"] * d + ["1"], "sign": 1, "norm_upper": "1"}
        if rng.random() < 0.5:
            a["sign"] = -a["sign"]
        else:
            s = Fraction(rng.choice((1, 3)), rng.choice((2, 4, 1000)))
            a["u"] = [str(Fraction(v) * s) for v in a["u"]]
            a["norm_upper"] = str(Fraction(a["norm_upper"]) * s)
        atoms.append(a)
    elif kind == "signs_bit":
        c = ch[pick(len(ch))]
        c["signs"] = format(int(c["signs"], 16) ^ (1 << pick(n)), "x")
    elif kind == "interior":
        c = ch[pick(len(ch))]
        j = pick(d + 1)
        c["interior"][j] = str(new_value(Fraction(c["interior"][j]), rng))
    elif kind == "parent":
        c = pick(len(ch))
        ch[c]["parent"] = pick(c + 1) - 1
    elif kind in ("mult_value", "mult_drop", "mult_add"):
        withm = [(c, k) for c in range(len(ch)) for k in ("mult_plus", "mult_minus") if ch[c][k]]
        if kind == "mult_add" or not withm:
            c, k = pick(len(ch)), rng.choice(("mult_plus", "mult_minus"))
            j = str(pick(n))
            ch[c][k][j] = str(abs(new_value(Fraction(ch[c][k].get(j, "1")), rng)))
        else:
            c, k = withm[pick(len(withm))]
            j = rng.choice(sorted(ch[c][k]))
            if kind == "mult_drop":
                del ch[c][k][j]
            else:
                ch[c][k][j] = str(new_value(Fraction(ch[c][k][j]), rng))
    elif kind == "chamber_drop":
        c = pick(len(ch))
        del ch[c]
        for e in ch[c:]:
            e["parent"] = -1 if e["parent"] == c else e["parent"] - (e["parent"] > c)
        doc["completeness"]["n_chambers"] -= 1
    elif kind == "chamber_duplicate":
        c, e = pick(len(ch)), pick(len(ch))
        if c != e:
            lo, hi = min(c, e), max(c, e)
            ch[hi] = dict(json.loads(json.dumps(ch[lo])), parent=-1)
    elif kind == "n_chambers":
        doc["completeness"]["n_chambers"] += rng.choice((-1, 1))
    elif kind in ("lower", "upper", "gap"):
        key = {"lower": "lower_bound", "upper": "upper_bound", "gap": "gap"}[kind]
        doc[key] = str(new_value(Fraction(doc[key]), rng))
        return False
    elif kind == "verdict":
        u = doc["uniqueness"]
        u["verdict"] = "uniqueness not certified" if u["verdict"] == "unique" else "unique"
        return False
    elif kind == "problem":
        doc["problem"] = "P_0" if doc["problem"] == "P_lam" else "P_lam"
    return True


# --------------------------------------------------------------------------- the judge

class Judge:
    """min (P) by the finite SOCP over every activation pattern (cvxpy + clarabel), cached."""

    def __init__(self):
        import cvxpy as cp

        self.cp = cp
        self.cache: dict = {}
        self.n_solves = 0
        self.solve_s = 0.0

    def optimum(self, doc: dict) -> float:
        key = json.dumps([doc["X"], doc["y"], doc["lam"]])
        if key not in self.cache:
            start = time.perf_counter()
            self.cache[key] = self._solve(doc)
            self.solve_s += time.perf_counter() - start
            self.n_solves += 1
        return self.cache[key]

    def _solve(self, doc: dict) -> float:
        cp = self.cp
        X = np.array([[float(Fraction(v)) for v in row] for row in doc["X"]])
        y = np.array([float(Fraction(v)) for v in doc["y"]])
        lam = float(Fraction(doc["lam"]))
        n = X.shape[0]
        Xl = np.hstack([X, np.ones((n, 1))])
        A = ((np.arange(2 ** n)[:, None] >> np.arange(n)[None, :]) & 1).astype(float)  # every pattern
        S = 2 * A - 1
        Up = cp.Variable((2 ** n, Xl.shape[1]))
        Um = cp.Variable((2 ** n, Xl.shape[1]))
        cons = [cp.multiply(S, Up @ Xl.T) >= 0, cp.multiply(S, Um @ Xl.T) >= 0]
        f = cp.sum(cp.multiply(A, (Up - Um) @ Xl.T), axis=0)
        tv = cp.sum(cp.norm(Up, 2, axis=1)) + cp.sum(cp.norm(Um, 2, axis=1))
        if lam > 0:
            prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(f - y) + lam * tv), cons)
        else:
            prob = cp.Problem(cp.Minimize(tv), cons + [f == y])
        prob.solve(solver=cp.CLARABEL)
        if prob.status not in ("optimal", "optimal_inaccurate"):
            return math.nan  # e.g. (P_0) with equal x_i and different y_i: infeasible
        return float(prob.value)


# --------------------------------------------------------------------------- the campaign

@functools.lru_cache(maxsize=2)
def certificates(fmt: int = 1) -> tuple:
    """(problem, certificate JSON text) per problem of PROBLEMS, in format ``fmt``."""
    import relucert
    from relucert.verify import make_exact_certificate

    out = []
    for n, d, lam, seed in PROBLEMS:
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, d))
        y = rng.standard_normal(n)
        sol = relucert.solve(X, y, lam, progress=False)
        if fmt == 2:
            from relucert.lp.tv.bab import certify
            from relucert.verify.bab_certificate import make_tree_certificate

            doc = make_tree_certificate(sol, certify(X, sol.dual), progress=False).to_dict()
        else:
            doc = make_exact_certificate(sol, progress=False).to_dict()
        out.append(((n, d, lam, seed), json.dumps(doc)))
    return tuple(out)


def campaign(n_mutants: int, seed: int = 0, progress: bool = True, fmt: int = 1) -> dict:
    """Run ``n_mutants`` one-field mutations (round robin over the problems, kinds drawn
    uniformly; mutations that change nothing are redrawn). Returns the figures."""
    from tqdm import tqdm

    from relucert.errors import CertificateError
    from relucert.tolerances import DEFAULT
    from relucert.verify.checker import check_certificate

    rng = random.Random(seed)
    base = certificates(fmt)
    kinds, mutator = (KINDS_TREE, mutate_tree) if fmt == 2 else (KINDS, mutate)
    judge = Judge()
    truth = [judge.optimum(json.loads(text)) for _, text in base]
    stats = collections.Counter()
    by_kind = collections.defaultdict(collections.Counter)
    failures = collections.Counter()
    false_claims = []
    worst_margin = math.inf
    start = time.perf_counter()
    bar = tqdm(total=n_mutants, disable=not progress, file=sys.stderr, desc="mutants")
    done = 0
    while done < n_mutants:
        which = done % len(base)
        text = base[which][1]
        doc = json.loads(text)
        kind = rng.choice(kinds)
        if mutator(doc, kind, rng):
            recompute_bounds(doc)
        if json.dumps(doc) == text:
            stats["no-op (redrawn)"] += 1
            continue
        done += 1
        bar.update()
        by_kind[kind]["mutants"] += 1
        try:
            report = check_certificate(doc)
        except CertificateError:
            stats["refused as malformed"] += 1
            by_kind[kind]["refused"] += 1
            continue
        if not report.passed:
            stats["rejected by a check"] += 1
            by_kind[kind]["rejected"] += 1
            failures[report.first_failure().name] += 1
            continue
        stats["accepted"] += 1
        by_kind[kind]["accepted"] += 1
        lower, upper = Fraction(doc["lower_bound"]), Fraction(doc["upper_bound"])
        rel = (upper - lower) / max(Fraction(1), abs(upper))
        if rel <= Fraction(DEFAULT.obj_gap):
            stats["accepted and optimal (rel. gap <= obj_gap)"] += 1
        same_data = [doc["X"], doc["y"], doc["lam"]] == [json.loads(text)[k] for k in ("X", "y", "lam")]
        opt = truth[which] if same_data else judge.optimum(doc)
        if math.isnan(opt):
            stats["accepted, judge found no optimum"] += 1
            continue
        t = DEFAULT.conic_accept * max(1.0, abs(opt))
        margin = min(opt + t - float(lower), float(upper) - (opt - t))
        worst_margin = min(worst_margin, margin / max(1.0, abs(opt)))
        if margin < 0:
            false_claims.append({"problem": base[which][0], "kind": kind, "lower": float(lower),
                                 "upper": float(upper), "opt": opt})
            by_kind[kind]["accepted FALSE"] += 1
    bar.close()
    return {
        "mutants": n_mutants, "seed": seed, "format": fmt, "problems": [b[0] for b in base], "stats": dict(stats),
        "by_kind": {k: dict(v) for k, v in sorted(by_kind.items())}, "first_failures": dict(failures.most_common()),
        "accepted_false": len(false_claims), "false_claims": false_claims[:20],
        "worst_relative_margin": worst_margin, "judge_solves": judge.n_solves, "judge_s": judge.solve_s,
        "wall_s": time.perf_counter() - start, "judge_tolerance": DEFAULT.conic_accept,
    }


def hostile_times(folder: pathlib.Path) -> list:
    """Seconds for ``check`` to refuse the three denial-of-service files of issue 12 (their
    generators live in tests/adversarial/test_hostile_certificates.py), and its message."""
    import importlib.util

    from relucert.errors import CertificateError
    from relucert.verify.checker import check

    root = pathlib.Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "tests"))
    spec = importlib.util.spec_from_file_location(
        "hostile", root / "tests" / "adversarial" / "test_hostile_certificates.py")
    hostile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hostile)
    out = []
    for name in ("dos_one_chamber", "dos_huge_denominators", "dos_high_dimension"):
        path = getattr(hostile, name)(folder / f"{name}.json")
        start = time.perf_counter()
        try:
            result = check(path)
            message = result.report.first_failure().detail if result.report.first_failure() else result.status.value
        except CertificateError as exc:
            message = str(exc)
        out.append((name, path.stat().st_size, time.perf_counter() - start, message))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="600 mutants instead of 10,000")
    parser.add_argument("--mutants", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--format", type=int, choices=(1, 2), default=1,
                        help="certificate format to forge: 1 (chamber list) or 2 (branch-and-bound tree)")
    args = parser.parse_args(argv)
    n = args.mutants or (600 if args.quick else 10_000)
    print(f"machine: {machine()}")
    out = campaign(n, args.seed, fmt=args.format)
    print(f"format /{out['format']}: {out['mutants']} one-field mutants of {len(out['problems'])} certificates (n, d, lam, seed) = "
          f"{out['problems']}, seed {out['seed']}, {out['wall_s']:.1f} s ({out['judge_solves']} judge solves, "
          f"{out['judge_s']:.1f} s)")
    for key, value in sorted(out["stats"].items()):
        print(f"  {key}: {value}")
    print("  first failing check of rejected mutants: " + ", ".join(f"{k} {v}" for k, v in out["first_failures"].items()))
    print("| kind | mutants | refused (malformed) | rejected | accepted | accepted, claim false |")
    print("|---|---|---|---|---|---|")
    for kind, c in out["by_kind"].items():
        print(f"| {kind} | {c.get('mutants', 0)} | {c.get('refused', 0)} | {c.get('rejected', 0)} | "
              f"{c.get('accepted', 0)} | {c.get('accepted FALSE', 0)} |")
    print(f"accepted with a FALSE claim: {out['accepted_false']} (judge tolerance {out['judge_tolerance']:g} "
          f"relative; smallest relative margin of an accepted claim {out['worst_relative_margin']:.3g})")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        times = hostile_times(pathlib.Path(tmp))
    print("| hostile file | bytes | refused in s | message |")
    print("|---|---|---|---|")
    for name, size, seconds, message in times:
        print(f"| {name} | {size:,} | {seconds:.3f} | {message[:110]} |")
    out["hostile"] = times
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(out, indent=1, default=str) + "\n")
    return 1 if out["accepted_false"] else 0


if __name__ == "__main__":
    sys.exit(main())
