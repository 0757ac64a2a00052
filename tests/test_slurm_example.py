"""The README's SLURM script (grade_on_slurm.py), run as written with dask-jobqueue on this
machine, which has no batch system: stand-ins for SLURM's sbatch and scancel run each job script
with bash in a session of its own, as SLURM runs it on a compute node, and cancel it. So the
script's options, the job script dask-jobqueue writes from them, the Dask worker it starts with
the recommended settings, and `kit grade --scheduler` on that worker are all real; only the queue
is not. Two changes to the script: one job instead of ten, and this checkout as the kit's folder
on the compute node.
"""
import csv
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit.demo import pipeline as demo
from kit.demo import samples
from kit.paths import ASSIGNMENT, ROOT
from kit.release.build import build_release

pytestmark = pytest.mark.slow

SBATCH = '''#!{python}
"""sbatch stand-in: run the job script with bash in a session of its own; print its job id."""
import shutil, subprocess, sys
from pathlib import Path

jobs = Path({jobs!r})
script = jobs / f"job-{{len(list(jobs.glob('job-*.sh')))}}.sh"
shutil.copy(sys.argv[-1], script)       # dask-jobqueue deletes its file once submitted
with open(script.with_suffix(".log"), "wb") as log:
    job = subprocess.Popen(["bash", str(script)], stdout=log, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, start_new_session=True)
with open(jobs / "ids.txt", "a") as ids:
    print(job.pid, file=ids)
print(f"Submitted batch job {{job.pid}}")
'''

SCANCEL = '''#!{python}
"""scancel stand-in: stop each job's session."""
import os, signal, sys

for job in sys.argv[1:]:
    try:
        os.killpg(int(job), signal.SIGTERM)
    except ProcessLookupError:
        pass
'''


def readme_script() -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(r"```python\n(# grade_on_slurm\.py.*?)```", text, re.S)
    assert found, "the README's SLURM example (grade_on_slurm.py) is gone"
    return found.group(1)


def adapted(script: str) -> str:
    for old, new in [("cluster.scale(jobs=10)", "cluster.scale(jobs=1)"),
                     ('"cd $HOME/kit"', repr(f"cd {ROOT}"))]:
        assert old in script, f"the README's SLURM example has no {old}"
        script = script.replace(old, new)
    return script


def standins(folder: Path, jobs: Path) -> None:
    folder.mkdir()
    for name, text in [("sbatch", SBATCH), ("scancel", SCANCEL)]:
        path = folder / name
        path.write_text(text.format(python=sys.executable, jobs=str(jobs)))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)


def session_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_readme_s_slurm_script_grades_a_class(tmp_path):
    """The job script has the README's options; the reference gets full marks and the untouched
    release none, graded on the job's worker; closing the cluster cancels the job."""
    (tmp_path / "grade_on_slurm.py").write_text(adapted(readme_script()))
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    standins(tmp_path / "bin", jobs)
    released = build_release(tmp_path / "course", tmp_path / "release")
    samples.make_samples(released.folder, tmp_path / "submissions", bugs=())
    # PYTHONPATH stands for the script's place in the kit's folder (the first entry of sys.path)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    run = subprocess.run([sys.executable, str(tmp_path / "grade_on_slurm.py"),
                          str(tmp_path / "submissions"), "--course", str(tmp_path / "course"),
                          "--out", str(tmp_path / "grading")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    logs = "".join(p.read_text() for p in sorted(jobs.glob("job-*.log")))
    assert run.returncode == 0, (run.stdout[-3000:], run.stderr[-3000:], logs[-3000:])
    assert "Grading 2 submission(s) on the Dask cluster at tcp://" in run.stdout

    [script] = jobs.glob("job-*.sh")
    job_script = script.read_text()
    assert "#SBATCH -p standard" in job_script and "#SBATCH -A cs231n" in job_script
    assert "#SBATCH -t 02:00:00" in job_script
    assert re.search(r"^\.venv/bin/python -m distributed\.cli\.dask_worker tcp://\S+ .*"
                     r"--nthreads 8 ", job_script, re.M), job_script

    with open(tmp_path / "grading" / "grades.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"reference", "untouched"}
    extra = demo.extra_credit_offered(tmp_path / "course" / "source" / ASSIGNMENT)
    for student, row in rows.items():
        assert row["status"] == "ok", (student, row["status"])
        assert demo.row_problem(row, extra) is None, (student, row)

    ids = [int(line) for line in (jobs / "ids.txt").read_text().split()]
    assert len(ids) == 1
    deadline = time.time() + 30
    while any(session_alive(job) for job in ids) and time.time() < deadline:
        time.sleep(0.5)
    assert not any(session_alive(job) for job in ids), "closing the cluster left its job running"
