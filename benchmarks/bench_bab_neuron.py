"""Neuron (ReLU) splits against input splits (issue 13, session 9): what one or two levels of
each split do to the node bound, and nodes to certify with a neuron-split tail.

Usage:  python benchmarks/bench_bab_neuron.py [--cases d4n100,d5n200,fit8n500] [--descents 2]
        [--budget 300] [--depths 0,4,8,12]
        python benchmarks/bench_bab_neuron.py --tree d4n30 [--tail 12] [--max-nodes 200000]

Lookahead (default). Nodes: random descents from random roots (both signs), each split by
``tree.split`` into a random child (as bench_bab_bound.py); at each depth of ``--depths`` the
node is measured. Duals: "dXnN" the last late-round dual (max |eta| < 1.6) of the exchange on
teacher data (bench_bab.py's cache), "fitXnN" a ridge-fit residual (bench_bab_bound.py).
Every bound is Lemma 12's (``lp/tv/bab/neuron.py``: the cone relaxation with
``BAB_SLOPE_ITERS`` projected-gradient slopes, exact projection onto the region), so only the
split differs:

- ``node``: the node's own bound;
- ``in1``/``in2``: the largest bound among its 2 / 4 descendants after one / two input splits
  (each the smaller of its own and its parent's)
  (``tree.split``: the edge carrying the largest relaxation error, new ray ``r_j + r_k``);
- ``ne1``/``ne2``: the same after one / two neuron splits, each on the undecided row with the
  largest relaxation error at the (child's) bound maximiser (``neuron.split_scores``);
- ``lo``: the node's largest ``|eta|`` met by a maximise seeded with the node (``--budget`` nodes).

Printed per node and, per depth, the median of ``(bound - lo) / (node - lo)``: the fraction of
the node's excess over its maximum left after the split(s) (1: no progress).

``--tree``: certify the dual scaled to max |eta| = 1 (the hardest case) by a depth-first tree
that splits inputs (``tree.split``) until the cone has at most ``--tail`` undecided rows, then
splits neurons (the row of largest error at the bound maximiser) until every undecided row is
split (the bound is then exact, Lemma 12), against ``certify`` (input splits to exact leaves
of ``|U| <= D``). Printed: nodes, leaves, projections, CPU s. A prototype for the node count:
the neuron part is per-node Python.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from _machine import machine


def _nodes(A, Q, R, fixed, plus):
    """Classification and normals of nodes (R (m, D, D); fixed/plus (m, n))."""
    from relucert.lp.tv.bab import cones

    act, und, Sn, Rn = cones.classify(A, R)
    return act, und, Sn, Rn, cones.normals(Rn), fixed & und, plus


def _bound(A, Q, node, iters):
    """Lemma 12's bound of nodes with any split counts (grouped by count)."""
    from relucert.lp.tv.bab.neuron import region_bound
    from relucert.tolerances import DEFAULT

    act, und, Sn, Rn, G, fixed, plus = node
    m, D = Q.shape[0], A.shape[1]
    val, P = np.zeros(m), np.zeros((m, D))
    cnt = fixed.sum(axis=1)
    for k in np.unique(cnt):
        s = np.flatnonzero(cnt == k)
        v, p, _ = region_bound(A, Q[s], act[s], und[s], Sn[s], G[s], fixed[s], plus[s], DEFAULT.sign_zero,
                               iters)
        val[s], P[s] = v, p
    return val, P


def _neuron_row(A, Q, node, P, val):
    """Per node: the free undecided row with the largest relaxation error at the bound maximiser
    (-1 when none is left)."""
    from relucert.lp.tv.bab import cones
    from relucert.lp.tv.bab.neuron import split_scores

    act, und, Sn, Rn, G, fixed, plus = node
    theta = np.where(val[:, None] > 0, P / np.maximum(val, np.finfo(float).tiny)[:, None], 0.0)
    sc = split_scores(A, Q, und & ~fixed, Sn, G, cones.centre_alpha(Sn), theta)
    sc = np.where(und & ~fixed, sc, -np.inf)
    row = np.argmax(sc, axis=1)
    return np.where(np.isfinite(sc[np.arange(len(row)), row]), row, -1)


def _children(A, Q, R, fixed, plus, kind, iters):
    """Children of nodes (R, fixed, plus) by one input or neuron split: (R, fixed, plus, Q,
    parent index)."""
    from relucert.lp.tv.bab.tree import split

    node = _nodes(A, Q, R, fixed, plus)
    act, und, Sn, Rn, G, fixed, plus = node
    idx = np.arange(R.shape[0])
    if kind == "input":
        c1, c2, _ = split(R, Rn, Sn, Q, und & ~fixed)
        return (np.concatenate([c1, c2]), np.tile(fixed, (2, 1)), np.tile(plus, (2, 1)), np.tile(Q, (2, 1)),
                np.tile(idx, 2))
    val, P = _bound(A, Q, node, iters)
    row = _neuron_row(A, Q, node, P, val)
    keep = row >= 0
    R, fixed, plus, Q, row, idx = R[keep], fixed[keep], plus[keep], Q[keep], row[keep], idx[keep]
    f = fixed.copy()
    f[np.arange(len(row)), row] = True
    p1, p2 = plus.copy(), plus.copy()
    p1[np.arange(len(row)), row] = True
    p2[np.arange(len(row)), row] = False
    return (np.concatenate([R, R]), np.concatenate([f, f]), np.concatenate([p1, p2]), np.concatenate([Q, Q]),
            np.tile(idx, 2))


def lookahead(case: str, descents: int, budget: int, depths: list[int]) -> None:
    from bench_bab_bound import _problem

    from relucert.lp.tv.bab import cones, maximise
    from relucert.lp.tv.bab.tree import prepare, roots, split
    from relucert.tolerances import BAB_SLOPE_ITERS

    X, p = _problem(case)
    prob = prepare(X, p)
    A, q = prob.A, prob.q
    n, D = A.shape
    rng = np.random.default_rng(0)
    R0, s0 = roots(D)
    rows = []
    c0 = time.process_time()
    for _ in range(descents):
        i = rng.integers(len(s0))
        R, sg = R0[i], int(s0[i])
        for depth in range(max(depths) + 1):
            act, und, Sn, Rn = cones.classify(A, R[None])
            if depth in depths:
                Q = (sg * q)[None]
                none = np.zeros((1, n), dtype=bool)
                out = {"depth": depth, "nU": int(und.sum())}
                out["node"] = float(_bound(A, Q, _nodes(A, Q, R[None], none, none), BAB_SLOPE_ITERS)[0][0])
                for kind, tag in (("input", "in"), ("neuron", "ne")):
                    Rk, fk, pk, Qk, inh = R[None], none, none, Q, np.array([out["node"]])
                    for lev in (1, 2):
                        Rk, fk, pk, Qk, par = _children(A, Qk, Rk, fk, pk, kind, BAB_SLOPE_ITERS)
                        # a child keeps the smaller of its own and its parent's bound (Theorem A)
                        inh = np.minimum(_bound(A, Qk, _nodes(A, Qk, Rk, fk, pk), BAB_SLOPE_ITERS)[0], inh[par])
                        out[f"{tag}{lev}"] = float(inh.max()) if inh.size else 0.0
                m = maximise(X, p, seeds=(R[None], np.array([sg], np.int8), np.array([np.inf]), None),
                             max_nodes=budget, progress=False)
                out["lo"] = m.max_value
                rows.append(out)
            if not und.any():
                break
            c1, c2, _ = split(R[None], Rn, Sn, (sg * q)[None], und)
            R = (c1 if rng.random() < 0.5 else c2)[0]
    names = ("node", "in1", "ne1", "in2", "ne2")
    print(f"\n### {case} (n = {X.shape[0]}, d = {X.shape[1]}), {descents} descents, lo from {budget} nodes, "
          f"CPU {time.process_time() - c0:.1f} s")
    print("| depth | undecided | " + " | ".join(names) + " | lo |")
    print("|---:|---:|" + "---:|" * (len(names) + 1))
    for b in rows:
        print(f"| {b['depth']} | {b['nU']} | " + " | ".join(f"{b[k]:.3f}" for k in names) + f" | {b['lo']:.3f} |")
    print("\nmedian (bound - lo) / (node - lo) per depth: | depth | " + " | ".join(names[1:]) + " |")
    for dep in sorted({b["depth"] for b in rows}):
        sel = [b for b in rows if b["depth"] == dep and b["node"] > b["lo"]]
        if sel:
            print(f"| {dep} | " + " | ".join(
                f"{np.median([(b[k] - b['lo']) / (b['node'] - b['lo']) for b in sel]):.3f}" for k in names[1:])
                + " |", flush=True)


def tree(case: str, tail: int, max_nodes: int) -> None:
    """Nodes to certify: input splits, then neuron splits below ``tail`` undecided rows
    (module docstring, ``--tree``)."""
    from bench_bab import _late_duals

    from relucert.lp.tv.bab import certify, maximise
    from relucert.lp.tv.bab.tree import prepare, roots, split
    from relucert.tolerances import BAB_SLOPE_ITERS, DEFAULT

    recs = _late_duals(case, 200.0)
    r = [r for r in recs if r["max_value"] < 1.6][-1]
    X, q = r["X"], r["q"]
    q = q / maximise(X, q, progress=False).max_value
    thr = 1.0 + DEFAULT.dual_feas
    c = time.process_time()
    ref = certify(X, q, progress=False)
    print(f"\n### {case}: certify (input splits, exact leaves |U| <= D): {ref.status.value}, "
          f"{ref.stats.n_nodes:,} nodes, {ref.stats.n_leaves:,} leaves, CPU {time.process_time() - c:.1f} s")
    prob = prepare(X, q)
    A, qq = prob.A, prob.q
    n, D = A.shape
    R0, s0 = roots(D)
    stack = [(R0[i], float(s0[i]), np.zeros(n, bool), np.zeros(n, bool)) for i in range(len(s0))]
    nodes = splits_in = splits_ne = closed = 0
    c = time.process_time()
    batch = 256
    status = "certified"
    while stack:
        if nodes >= max_nodes:
            status = "limit"
            break
        take, stack = stack[-batch:], stack[:-batch]
        R = np.stack([t[0] for t in take])
        sgn = np.array([t[1] for t in take])
        Q = sgn[:, None] * qq[None, :]
        fixed = np.stack([t[2] for t in take])
        plus = np.stack([t[3] for t in take])
        node = _nodes(A, Q, R, fixed, plus)
        act, und, Sn, Rn, G, fixed, plus = node
        val, P = _bound(A, Q, node, BAB_SLOPE_ITERS)
        nodes += len(take)
        free = (und & ~fixed).sum(axis=1)
        unit = P / np.maximum(val, np.finfo(float).tiny)[:, None]
        met = np.einsum("mn,mn->m", Q, np.maximum(unit @ A.T, 0.0))
        if np.any((val > thr) & (met > thr)):
            status = "violated"
            break
        live = np.flatnonzero((val > thr) & (free > 0))
        closed += len(take) - live.size
        ne = live[free[live] <= tail]
        inp = live[free[live] > tail]
        if inp.size:
            c1, c2, _ = split(R[inp], Rn[inp], Sn[inp], Q[inp], und[inp] & ~fixed[inp])
            splits_in += inp.size
            for j, m in enumerate(inp):
                stack.extend([(c1[j], sgn[m], fixed[m], plus[m]), (c2[j], sgn[m], fixed[m], plus[m])])
        if ne.size:
            row = _neuron_row(A, Q[ne], tuple(x[ne] for x in node), P[ne], val[ne])
            splits_ne += ne.size
            for j, m in enumerate(ne):
                f = fixed[m].copy()
                f[row[j]] = True
                for side in (True, False):
                    pl = plus[m].copy()
                    pl[row[j]] = side
                    stack.append((R[m], sgn[m], f, pl))
    print(f"input splits then neuron splits below {tail} undecided: {status}, {nodes:,} nodes "
          f"({splits_in:,} input splits, {splits_ne:,} neuron splits, {closed:,} closed), "
          f"CPU {time.process_time() - c:.1f} s", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="d4n100,d5n200,fit8n500")
    ap.add_argument("--descents", type=int, default=2)
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--depths", default="0,4,8,12")
    ap.add_argument("--tree", default=None, help="nodes to certify with a neuron-split tail on these cases")
    ap.add_argument("--tail", type=int, default=12, help="--tree: neuron splits below this many undecided rows")
    ap.add_argument("--max-nodes", type=int, default=200_000)
    args = ap.parse_args(argv)
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.1f}")
    if args.tree:
        for case in args.tree.split(","):
            tree(case, args.tail, args.max_nodes)
        return 0
    for case in args.cases.split(","):
        lookahead(case, args.descents, args.budget, [int(v) for v in args.depths.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
