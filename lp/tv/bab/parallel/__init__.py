"""The branch and bound by subtrees on an executor: serial in-process by default, a local
process pool or a Dask cluster through ``relucert._executors`` (issue 14, DESIGN.md
section 11, proofs/parallel_subtrees.md). This package never imports dask."""
from relucert.lp.tv.bab.parallel.coordinator import (
    ParallelStats, TaskRecord, certify_parallel, maximise_parallel, run_parallel,
)
from relucert.lp.tv.bab.parallel.executor import Executor, SerialExecutor, SerialFuture
from relucert.lp.tv.bab.parallel.seeds import UnitRun, search_from

__all__ = ["Executor", "SerialExecutor", "SerialFuture", "UnitRun", "search_from", "ParallelStats", "TaskRecord",
           "certify_parallel", "maximise_parallel", "run_parallel"]
