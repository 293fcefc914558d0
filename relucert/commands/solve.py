"""``relucert solve DATA --lam L``: the exact global optimum and its certificate."""
from __future__ import annotations

from relucert.commands._common import (add_common_options, add_data_argument, add_device_option,
                                       add_oracle_options, add_qp_backend_option, check_outputs,
                                       load_data_from_args, parse_lam, positive_int, progress_flag,
                                       record_data, tolerances_from_args)
from relucert.commands._library import check_plot, load_solver
from relucert.commands._output import exit_code, text_stream, write_json

__all__ = ["register", "run", "print_summary", "TOL_FLAGS"]

#: Tolerances with their own flag on ``solve`` (any other: ``--tol NAME=VALUE``).
TOL_FLAGS = ("obj_gap",)


def register(sub) -> None:
    """Add the ``solve`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    p = sub.add_parser("solve", help="solve TV-regularised training exactly (lam = 0: interpolation)",
                       description="Compute the global optimum of 0.5||f(X) - y||^2 + lam ||mu||_TV over "
                                   "infinite-width shallow ReLU networks (lam = 0: minimal-TV "
                                   "interpolation) with a duality-gap certificate. DATA is .npz "
                                   "(X, y) or .csv (last column y).")
    add_data_argument(p)
    p.add_argument("--lam", type=parse_lam, required=True, metavar="L", help="regularisation weight (>= 0)")
    p.add_argument("--method", choices=["exchange", "socp"], default="exchange",
                   help="exchange (default, HiGHS + exact oracle) or socp (clarabel cross-check)")
    p.add_argument("--plot", metavar="FILE", default=None, help="draw the fit (d = 1 or 2; refused before the solve for d >= 3)")
    add_device_option(p, "batched region scans run (d >= 4)")
    add_oracle_options(p)
    add_qp_backend_option(p)
    p.add_argument("--max-chambers", type=positive_int, default=None, metavar="N",
                   help="refuse when the estimated number of dual regions exceeds this (enumeration only)")
    add_common_options(p, tol=TOL_FLAGS)
    p.set_defaults(func=run)


def print_summary(sol, file=None) -> None:
    """Print the neuron table and the certificate summary.

    Parameters
    ----------
    sol : relucert.solution.Solution
    file : file object, optional
        Where to print (default stdout).
    """
    out = file or sys.stdout
    d = sol.X.shape[1]
    problem = "(P_0) minimal-TV interpolation" if sol.lam == 0 else f"(P_lam), lam = {sol.lam:g}"
    print(f"{problem}: n = {sol.X.shape[0]}, d = {d}, method = {sol.method}", file=out)
    print(f"status: {sol.status.value}", file=out)
    print(f"{sol.n_atoms} neurons  f(x) = sum_k a_k relu(<w_k, x> + b_k),  ||(w_k, b_k)|| = 1", file=out)
    head = "  k  " + "  ".join(f"{'w' + str(j + 1):>12}" for j in range(d)) + f"  {'b':>12}  {'a':>14}"
    print(head, file=out)
    for k in range(sol.n_atoms):
        w = "  ".join(f"{v:12.6f}" for v in sol.weights[k])
        print(f"{k:3d}  {w}  {sol.biases[k]:12.6f}  {sol.amplitude[k]:14.8f}", file=out)
    print("certificate:", file=out)
    print(f"  objective            {sol.objective:.15g}", file=out)
    print(f"  TV norm              {sol.tv_norm:.15g}", file=out)
    print(f"  max |eta| (found)    {sol.max_abs_certificate:.15g}", file=out)
    bound = sol.info.get("certified_upper_bound_eta")
    if bound is not None:
        print(f"  max |eta| <=         {bound:.15g} (certified bound)", file=out)
    rel = sol.info.get("relative_gap", sol.duality_gap / max(1.0, abs(sol.objective)))
    print(f"  duality gap          {sol.duality_gap:.3e} (relative {rel:.3e}, internal units)", file=out)
    print(f"  lower bound          {sol.certified_lower_bound:.15g} (certified: D(p / max(1, bound)))", file=out)
    print(f"  certified rel. gap   {sol.certified_rel_gap:.3e} (= (objective - lower bound) / objective)", file=out)
    oracle = sol.info.get("oracle", "enumerate")
    regions = (f"{sol.n_chambers}" if oracle == "enumerate"
               else "not enumerated (branch and bound over cones)")
    print(f"  oracle               {oracle}", file=out)
    print(f"  dual regions         {regions}", file=out)
    t = sol.timings.get("total")
    if t is not None:
        print(f"  time                 {t:.3f} s", file=out)
    if not sol.success:
        print(f"NOT OPTIMAL: {sol.info.get('message', sol.status.value)}", file=out)


def run(args) -> int:
    """Run ``relucert solve``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0 optimal, 1 not optimal (status LIMIT or INACCURATE).
    """
    solve = load_solver()
    data = load_data_from_args(args)
    check_outputs(args)
    check_plot(args, d=data["X"].shape[1])
    sol = solve(data["X"], data["y"], args.lam, method=args.method, device=args.device,
                tol=tolerances_from_args(args), progress=progress_flag(args), max_chambers=args.max_chambers,
                oracle=args.oracle, time_limit=args.time_limit, n_jobs=args.jobs, scheduler=args.scheduler,
                qp_backend=args.qp_backend)
    print_summary(sol, file=text_stream(args))
    if args.json:
        doc = record_data(sol.to_dict(), data, args.data)
        doc.pop("info", None)
        doc["n_atoms"] = sol.n_atoms
        doc["info"] = {k: v for k, v in sol.info.items() if k != "history"}
        write_json(args.json, doc)
    if args.plot:
        from relucert.plot_solution import plot_solution

        plot_solution(sol, args.plot)
        print(f"plot written to {args.plot}", file=text_stream(args))
    return exit_code(sol.success)  # LIMIT / INACCURATE: 1 (print_summary says NOT OPTIMAL)
