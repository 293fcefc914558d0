"""The verdicts of the theorem suite and the statements it runs.

Each statement is a small function ``check(ctx) -> Outcome`` whose verdict is one of
:class:`TheoremVerdict`: HOLDS (hypotheses and conclusion hold), HYPOTHESIS_FAILS (the
statement does not apply to the instance, with the reason; never counted as a
confirmation nor as a violation) or VIOLATED (hypotheses hold, conclusion fails).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Callable

from relucert.results import jsonable

__all__ = ["TheoremVerdict", "HOLDS", "HYPOTHESIS_FAILS", "VIOLATED", "VERDICTS", "Outcome", "Statement",
           "holds", "fails", "violated"]


class TheoremVerdict(StrEnum):
    """The verdict of one statement on one instance (values as in the JSON results)."""

    HOLDS = "holds"
    HYPOTHESIS_FAILS = "hypothesis fails"
    VIOLATED = "VIOLATED"


HOLDS = TheoremVerdict.HOLDS
HYPOTHESIS_FAILS = TheoremVerdict.HYPOTHESIS_FAILS
VIOLATED = TheoremVerdict.VIOLATED
VERDICTS = tuple(TheoremVerdict)


@dataclass(frozen=True)
class Outcome:
    """One statement's verdict on one instance, with the reason and the numbers behind it.

    Parameters
    ----------
    verdict : TheoremVerdict or its string value
    reason : str
    details : dict
    """

    verdict: TheoremVerdict
    reason: str
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {tuple(v.value for v in VERDICTS)}; got {self.verdict!r}")
        object.__setattr__(self, "verdict", TheoremVerdict(self.verdict))

    def to_dict(self) -> dict:
        return jsonable({"verdict": self.verdict, "reason": self.reason, "details": self.details})


def holds(reason: str, **details) -> Outcome:
    """The statement applies and its conclusion holds.

    Parameters
    ----------
    reason : str
    **details
        Numbers recorded with the verdict.

    Returns
    -------
    Outcome
    """
    return Outcome(HOLDS, reason, details)


def fails(reason: str, **details) -> Outcome:
    """The statement's hypothesis fails on the instance (``reason`` says which).

    Parameters
    ----------
    reason : str
    **details
        Numbers recorded with the verdict.

    Returns
    -------
    Outcome
    """
    return Outcome(HYPOTHESIS_FAILS, reason, details)


def violated(reason: str, **details) -> Outcome:
    """The hypotheses hold and the conclusion does not.

    Parameters
    ----------
    reason : str
    **details
        Numbers recorded with the verdict.

    Returns
    -------
    Outcome
    """
    return Outcome(VIOLATED, reason, details)


@dataclass(frozen=True)
class Statement:
    """``name``; ``claim``: the statement in words; ``check(ctx) -> Outcome``."""

    name: str
    claim: str
    check: Callable

