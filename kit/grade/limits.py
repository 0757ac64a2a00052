"""The limits a submission is graded under, and the environment of the processes that grade it."""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission."""
    cell_timeout: int = 120
    submission_timeout: int = 1200
    memory_mb: int = 4096
    max_output_bytes: int = 1_000_000
    sandbox: bool = True            # kernels in the sandbox (kit.grade.sandbox)
    disk_mb: int = 256              # a sandbox's /tmp, and room for files in its folder
    max_processes: int = 256        # processes and threads of one sandbox
    max_file_mb: int = 256          # largest file a sandboxed process may write


def check_jobs(jobs: int) -> None:
    """ValueError for a --jobs value that is not a number of workers."""
    if jobs < 0:
        raise ValueError(f"--jobs must be >= 0 (0: one more than the cores), got {jobs}")


def default_jobs() -> int:
    """Workers when --jobs is 0: one more than the cores. A worker leaves its core idle while it
    starts and stops kernels and writes its files; the extra worker keeps every core busy then
    (measured with bench/bench_grading.py: about 10% faster than one worker per core on 2 cores)."""
    return (os.cpu_count() or 1) + 1


def check_timeout(limits: Limits) -> int:
    """Seconds one re-run check of the hidden notebook may take (well inside a cell's limit)."""
    return max(2, min(60, limits.cell_timeout // 2))


# Not passed on to grading: PYTHONPATH and PYTHONSTARTUP (a kernel must find the student's cs231n/
# and nothing else), and MALLOC_TRIM_THRESHOLD_, which Dask's nanny sets for its worker and in
# its own process: it turns off glibc's adaptive mmap threshold, so that every large numpy array
# is mapped and unmapped again (a loop of 64x512 by 512x2048 products takes 60% more CPU).
NOT_PASSED_ON = ("PYTHONPATH", "PYTHONSTARTUP", "CS231N_DATASETS", "MALLOC_TRIM_THRESHOLD_")


def worker_env(setup, limits: Limits) -> dict:
    """The environment of a worker and of the kernels it starts, the same wherever it runs (on
    this machine or a Dask worker): this process's without NOT_PASSED_ON, one thread per
    library, the shared dataset."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MALLOC_ARENA_MAX="2", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               KIT_CHECK_TIMEOUT=str(check_timeout(limits)))
    if setup.datasets_dir is not None:
        env["CS231N_DATASETS"] = str(setup.datasets_dir)
    return env
