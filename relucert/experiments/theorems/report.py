"""The results of a theorem-suite run: one :class:`Record` per (statement, instance),
the counts, the failure reasons, the JSON document and the markdown report."""
from __future__ import annotations

import os
from dataclasses import dataclass

from relucert.results import AtomLocation, jsonable
from relucert.experiments.theorems.outcomes import HOLDS, HYPOTHESIS_FAILS, VERDICTS, VIOLATED, TheoremVerdict

__all__ = ["Record", "SuiteResult"]


@dataclass(frozen=True)
class Record:
    statement: str
    family: str
    index: int
    verdict: TheoremVerdict
    reason: str
    details: dict
    counterexample: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return jsonable(self.__dict__)


@dataclass(frozen=True, eq=False)
class SuiteResult:
    records: tuple
    statements: tuple
    families: tuple
    n_instances: int
    seed: int
    seconds: float
    sweeps: tuple = ()           # (label, LowNoiseResult) where the low-noise hypothesis held
    out_dir: str | None = None

    def counts(self) -> dict:
        out = {s.name: {v: 0 for v in VERDICTS} for s in self.statements}
        for r in self.records:
            out[r.statement][r.verdict] += 1
        return out

    @property
    def n_violated(self) -> int:
        return sum(1 for r in self.records if r.verdict == VIOLATED)

    def failure_reasons(self) -> dict:
        """Per statement: how often each kind of failed hypothesis occurred."""
        out: dict = {}
        for r in self.records:
            if r.verdict == HYPOTHESIS_FAILS:
                kind = r.reason.split(":")[0].split("(")[0].strip()
                out.setdefault(r.statement, {}).setdefault(kind, 0)
                out[r.statement][kind] += 1
        return out

    def p0_summary(self) -> dict:
        """Low-noise statement: how often p_0 is non-degenerate, split by whether the (P_0)
        solution has an atom on a hyperplane."""
        out = {"with boundary atom": [0, 0], "interior atoms only": [0, 0]}
        for r in self.records:
            locs = r.details.get("locations") if r.statement == "low_noise" else None
            if locs is None:
                continue
            key = "with boundary atom" if AtomLocation.BOUNDARY in locs else "interior atoms only"
            out[key][0] += 1
            out[key][1] += int(bool(r.details.get("p0_nondegenerate")))
        return out

    def _p0_table(self) -> list:
        summary = self.p0_summary()
        if not any(v[0] for v in summary.values()):
            return []
        lines = ["", "Minimal-norm certificate of (P_0) (low-noise hypothesis):", "",
                 "| (P_0) solution | instances | p_0 non-degenerate |", "|---|---:|---:|"]
        for key, (total, nd) in summary.items():
            lines.append(f"| {key} | {total} | {nd} |")
        return lines

    def table(self) -> str:
        counts = self.counts()
        w = max([len(s) for s in counts] + [9])
        lines = [f"{'statement':<{w}}  {'holds':>6}  {'hyp. fails':>10}  {'VIOLATED':>8}  {'applies':>8}"]
        for name, c in counts.items():
            total = sum(c.values())
            app = c[HOLDS] + c[VIOLATED]
            lines.append(f"{name:<{w}}  {c[HOLDS]:>6}  {c[HYPOTHESIS_FAILS]:>10}  {c[VIOLATED]:>8}  "
                         f"{app:>3}/{total:<4}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"format": "relucert.theorems/1", "seed": self.seed, "n_instances": self.n_instances,
                         "families": [f.to_dict() for f in self.families],
                         "statements": [{"name": s.name, "claim": s.claim} for s in self.statements],
                         "counts": self.counts(), "failure_reasons": self.failure_reasons(),
                         "p0_summary": self.p0_summary(),
                         "records": [r.to_dict() for r in self.records], "seconds": self.seconds})

    def markdown(self, figures: dict | None = None) -> str:
        """The markdown report (``figures``: caption -> relative path)."""
        counts = self.counts()
        lines = ["# relucert theorem suite", "",
                 f"Seed {self.seed}; {self.n_instances} instance(s) per family; {len(self.records)} checks in "
                 f"{self.seconds:.1f} s.", "",
                 "Verdicts: **holds** (hypotheses and conclusion hold), **hypothesis fails** (the statement "
                 "does not apply; never counted as a confirmation), **VIOLATED** (hypotheses hold, conclusion "
                 "fails; re-verified from the saved data).", "",
                 "| statement | claim | holds | hypothesis fails | VIOLATED | applies |",
                 "|---|---|---:|---:|---:|---:|"]
        for s in self.statements:
            c = counts[s.name]
            total = sum(c.values())
            app = c[HOLDS] + c[VIOLATED]
            lines.append(f"| {s.name} | {s.claim} | {c[HOLDS]} | {c[HYPOTHESIS_FAILS]} | {c[VIOLATED]} | "
                         f"{app}/{total} ({100.0 * app / total if total else 0:.0f}%) |")
        lines += ["", "## Families", "", "| family | d | n | planted atoms | noise levels | lam |",
                  "|---|---:|---:|---:|---|---:|"]
        for f in self.families:
            lines.append(f"| {f.name} | {f.d} | {f.n} | {f.n_atoms} | {', '.join(str(v) for v in f.noise)} | {f.lam:g} |")
        lines += ["", "## How often the hypotheses fail, and why", ""]
        reasons = self.failure_reasons()
        if not reasons:
            lines.append("No hypothesis failed.")
        for name, kinds in reasons.items():
            lines.append(f"- **{name}**: " + "; ".join(f"{k} ({v})" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))
        lines += self._p0_table()
        lines += ["", "## Violations", ""]
        viol = [r for r in self.records if r.verdict == VIOLATED]
        if not viol:
            lines.append("None.")
        for r in viol:
            where = r.counterexample
            if where and self.out_dir:
                where = os.path.relpath(where, self.out_dir)
            lines.append(f"- `{r.statement}` on {r.family}#{r.index}: {r.reason} (counterexample: `{where}`)")
        if self.sweeps:
            lines += ["", "## Low-noise instances where the hypotheses hold", "",
                      "| instance | atoms (location) | c_crit | C | Diracs per lam | loc slope | amp slope | rate asserted (H2) |",
                      "|---|---|---:|---:|---|---:|---:|---|"]
            for label, res in self.sweeps:
                s = res.slopes
                c = res.critical.value
                lines.append(f"| {label} | {', '.join(a.location for a in res.atoms)} | "
                             f"{c:.3g} | {res.noise_scale:.3g} | {[pt.n_diracs for pt in res.sweep]} | "
                             f"{'pinned' if s['loc_err'] is None else format(s['loc_err'], '.3f')} | "
                             f"{'n/a' if s['amp_err'] is None else format(s['amp_err'], '.3f')} | "
                             f"{'yes' if res.certificate.full_rank else 'no'} |")
        if figures:
            lines += ["", "## Figures", ""]
            for caption, rel in figures.items():
                lines.append(f"![{caption}]({rel})")
                lines.append("")
        lines += ["", "## All checks", "", "| statement | instance | verdict | reason |", "|---|---|---|---|"]
        for r in self.records:
            reason = r.reason.replace("|", "/").replace("\n", " ")
            lines.append(f"| {r.statement} | {r.family}#{r.index} | {r.verdict} | {reason} |")
        return "\n".join(lines) + "\n"

