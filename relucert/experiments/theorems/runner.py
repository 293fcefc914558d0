"""Running the theorem suite: every statement on every instance, with violations
re-verified from saved data before they are reported (proofs/theorem_suite.md)."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from relucert._atomic import write_text
from relucert.errors import RelucertError
from relucert.results import jsonable
from relucert.tolerances import Tolerances, resolve
from relucert.experiments.parameters import SUITE_LAMS
from relucert.experiments.rescaled import Solver
from relucert.experiments.theorems.context import Context
from relucert.experiments.theorems.instances import DEFAULT_FAMILIES, Instance, load_instance, make_instance
from relucert.experiments.theorems.outcomes import HYPOTHESIS_FAILS, VIOLATED, Outcome, Statement, fails
from relucert.experiments.theorems.report import Record, SuiteResult
from relucert.experiments.theorems.statements import STATEMENTS

__all__ = ["run_suite"]


def _save_counterexample(out_dir: str, statement: Statement, inst: Instance, ctx: Context, outcome: Outcome,
                         first: Outcome) -> str:
    """Write data, solutions and report of a confirmed violation; returns the folder."""
    folder = os.path.join(out_dir, "counterexamples", f"{statement.name}-{inst.family.name}-{inst.index}")
    os.makedirs(folder, exist_ok=True)
    inst.save(os.path.join(folder, "data.npz"))
    done = ctx.computed()
    if "solution" in done:
        _write_json(os.path.join(folder, "solution.json"), done["solution"].to_dict())
    if "alt_solution" in done:
        _write_json(os.path.join(folder, "solution_second_method.json"), done["alt_solution"].to_dict())
    if "report" in done:
        _write_json(os.path.join(folder, "certificate_report.json"), done["report"].to_dict())
    if "p0_solution" in done:
        _write_json(os.path.join(folder, "p0_solution.json"), done["p0_solution"].to_dict())
    if "p0" in done:
        _write_json(os.path.join(folder, "p0_certificate.json"), done["p0"].p0.to_dict())
    if "lownoise" in done:
        _write_json(os.path.join(folder, "lownoise.json"), done["lownoise"].to_dict())
    report = {"statement": statement.name, "claim": statement.claim, "instance": inst.label,
              "first_check": first.to_dict(), "re_verification": outcome.to_dict()}
    _write_json(os.path.join(folder, "report.json"), report)
    write_text(os.path.join(folder, "README.md"),
               f"# Counterexample: {statement.name} on {inst.label}\n\n"
               f"Claim: {statement.claim}.\n\nFirst check: {first.reason}\n\n"
               f"Re-verified from data.npz (new arrangement, new solves): {outcome.reason}\n")
    return folder


def _write_json(path: str, doc: dict) -> None:
    write_text(path, json.dumps(jsonable(doc), indent=1, allow_nan=True) + "\n")


def _run_one(statement: Statement, ctx: Context) -> Outcome:
    try:
        out = statement.check(ctx)
    except (RelucertError, ValueError, ArithmeticError) as exc:
        return fails(f"numerically unresolved: {type(exc).__name__}: {exc}")
    if not isinstance(out, Outcome):
        raise TypeError(f"statement {statement.name!r} returned {type(out).__name__}, not an Outcome")
    return out


def run_suite(*, solver: Solver, alt_solver: Solver | None = None, families=DEFAULT_FAMILIES,
              n_instances: int = 3, seed: int = 0, statements=STATEMENTS, out_dir: str | None = None,
              tol: Tolerances | None = None, lams=SUITE_LAMS, progress: bool | None = None) -> SuiteResult:
    """Run every statement on ``n_instances`` instances of every family.

    Violations are re-verified (the instance is saved and re-loaded, and the statement
    checked again with a fresh :class:`Context`); confirmed ones are saved under
    ``out_dir/counterexamples`` (a temporary folder is used when ``out_dir`` is None).

    Parameters
    ----------
    solver : Solver
        ``solver(X, y, lam) -> Solution`` (:func:`relucert.experiments.rescaled.default_solver`).
    alt_solver : Solver, optional
        A second, independent method for the uniqueness statement.
    families : sequence of Family
    n_instances : int
        Instances per family.
    seed : int
    statements : sequence of Statement
    out_dir : str, optional
        Where confirmed counterexamples go.
    tol : Tolerances, optional
    lams : sequence of float
        The low-noise statement's lams.
    progress : bool or None
        Progress bar on stderr (None: when stderr is a terminal).

    Returns
    -------
    SuiteResult
    """
    from tqdm import tqdm

    tol = resolve(tol)
    start = time.perf_counter()
    scratch = out_dir if out_dir is not None else tempfile.mkdtemp(prefix="relucert-theorems-")
    records = []
    sweeps = []
    jobs = [(f, i) for f in families for i in range(n_instances)]
    bar = tqdm(jobs, desc="theorems", disable=None if progress is not False else True, file=sys.stderr)
    for family, index in bar:
        inst = make_instance(family, index, seed)
        bar.set_postfix(instance=inst.label)
        ctx = Context(inst, solver, alt_solver=alt_solver, tol=tol, lams=lams)
        for st in statements:
            t0 = time.perf_counter()
            out = _run_one(st, ctx)
            path = None
            if out.verdict == VIOLATED:
                out, path = _reverify(st, inst, out, solver, alt_solver, tol, lams, scratch)
            records.append(Record(statement=st.name, family=family.name, index=index, verdict=out.verdict,
                                  reason=out.reason, details=out.details, counterexample=path,
                                  seconds=time.perf_counter() - t0))
            if st.name == "low_noise" and out.verdict != HYPOTHESIS_FAILS and "lownoise" in ctx.computed():
                sweeps.append((inst.label, ctx.computed()["lownoise"]))
    return SuiteResult(records=tuple(records), statements=tuple(statements), families=tuple(families),
                       n_instances=n_instances, seed=seed, seconds=time.perf_counter() - start,
                       sweeps=tuple(sweeps), out_dir=out_dir)


def _reverify(st: Statement, inst: Instance, first: Outcome, solver, alt_solver, tol, lams, out_dir):
    """Save the instance, reload it and check again from scratch."""
    folder = os.path.join(out_dir, "counterexamples")
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{st.name}-{inst.family.name}-{inst.index}.npz")
    inst.save(tmp)
    again = load_instance(tmp)
    os.remove(tmp)
    ctx = Context(again, solver, alt_solver=alt_solver, tol=tol, lams=lams)
    second = _run_one(st, ctx)
    if second.verdict != VIOLATED:
        return fails(f"numerically unresolved: the first check said VIOLATED ({first.reason}) but the "
                     f"re-verification from the saved data says {second.verdict.value!r} ({second.reason})",
                     **first.details), None
    return second, _save_counterexample(out_dir, st, again, ctx, second, first)
