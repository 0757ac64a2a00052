"""nbgrader's Execute preprocessor with the limits a class of submissions needs.

On top of nbgrader's per-cell time limit (``Execute.timeout``) it

- stops at the submission's deadline (``LimitedExecute.deadline``): the cell that runs into it
  (or the first one to start after it) gets a ``SubmissionTimeLimit`` error, every later cell a
  ``NotRun`` one;
- keeps at most ``max_output_bytes`` of output per cell (a flood of prints cannot exhaust the
  grader's memory); the rest is dropped with one notice on stdout;
- survives a dead kernel (``os._exit``, a crash, the memory cap): the cell gets a ``KernelDied``
  error, a new kernel replays the ordinary (non-test) cells before it, and the notebook goes on,
  so the later cells earn what they deserve (after ``max_restarts`` deaths, or a death during
  the replay, the later cells are not run);
- starts the kernels in the sandbox of kit.grade.sandbox (``LimitedExecute.sandbox``); those
  of the student's notebooks see the reference outputs without the hidden cases' expected
  outputs;
- replaces a kernel that ignores the interrupt sent after a cell's time limit (a loop that
  catches KeyboardInterrupt) the same way.

Cells that are not run get an error output (``NotRun``), so a test cell never passes by not
running. Everything before the problem keeps its outputs and its points.
"""
from __future__ import annotations

import copy
import time
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer

from ..paths import HIDDEN_NOTEBOOK, REFERENCE_OUTPUTS
from .sandbox import SandboxedKernelManager

TIME_LIMIT = "SubmissionTimeLimit"
CELL_TIME_LIMIT = "CellTimeoutError"
KERNEL_DIED = "KernelDied"
KERNEL_STUCK = "KernelStuck"
NOT_RUN = "NotRun"
OUTPUT_NOTICE = "[grader: output limit reached, the rest of this cell's output was dropped]"


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output as a kernel would send it."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class LimitedExecute(Execute):
    """Execute with a submission deadline, an output cap and recovery from dead or stuck kernels."""

    deadline = Float(0.0, help="Epoch time after which no cell runs (0: no deadline).").tag(config=True)
    submission_timeout = Integer(0, help="The submission's time limit in seconds (for messages).").tag(
        config=True)
    max_output_bytes = Integer(1_000_000, help="Output kept per cell, in bytes.").tag(config=True)
    stuck_grace = Integer(10, help="Seconds a kernel has to stop after an interrupt.").tag(config=True)
    max_restarts = Integer(3, help="Kernel deaths per notebook after which later cells are not "
                                   "run.").tag(config=True)
    # A cell's result is its execute reply; outputs still in flight after iopub_timeout seconds
    # (a busy machine) are not worth failing the cell for, as nbgrader's default would.
    iopub_timeout = Integer(10).tag(config=True)
    raise_on_iopub_timeout = Bool(False).tag(config=True)

    sandbox = Bool(False, help="Start the kernels in the sandbox (kit.grade.sandbox).").tag(
        config=True)

    _notebook = ""   # the notebook being executed (nbgrader's unique_key)

    def create_kernel_manager(self):
        if self.sandbox:
            self.kernel_manager_class = SandboxedKernelManager
        km = super().create_kernel_manager()
        if self.sandbox and self._notebook != Path(HIDDEN_NOTEBOOK).stem:
            km.withhold = [REFERENCE_OUTPUTS.as_posix()]   # student code runs in this kernel
        return km

    def preprocess(self, nb, resources=None, km=None):
        self._notebook = (resources or {}).get("unique_key", "")
        self._stop = None            # (ename, evalue) once no further cell may run
        self._cell_timeout = self.timeout
        self._restarts = 0
        return super().preprocess(nb, resources, km)

    def _limit_timeout(self) -> None:
        """This cell's time limit: the cell limit, or less when the deadline is nearer."""
        self.timeout = self._cell_timeout
        if self.deadline:
            remaining = self.deadline - time.time()
            self.timeout = max(1, min(self._cell_timeout or remaining, int(remaining) + 1))

    def _restart(self, index: int) -> bool:
        """Start a new kernel and replay the ordinary code cells before cell `index` that ran
        without error (their outputs are kept from the first run). False when that is impossible
        or the kernel dies again."""
        if self._restarts >= self.max_restarts:
            return False
        self._restarts += 1
        try:
            run_sync(self.km.restart_kernel)(now=True)
            self.kc.stop_channels()
            self.start_new_kernel_client()
        except Exception:  # noqa: BLE001 - no new kernel: the later cells are not run
            return False
        for j in range(index):
            original = self.nb.cells[j]
            if (original.cell_type != "code" or not original.source.strip()
                    or original.metadata.get("nbgrader", {}).get("grade")
                    or any(o.output_type == "error" for o in original.get("outputs", []))):
                continue
            self._limit_timeout()
            try:
                self.execute_cell(copy.deepcopy(original), j, store_history=True)
            except (DeadKernelError, CellTimeoutError):
                return False
            finally:
                self.nb.cells[j] = original
                self.timeout = self._cell_timeout
        return True

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        remaining = self.deadline - time.time() if self.deadline else None
        if self._stop is None and remaining is not None and remaining <= 0:
            # the deadline passed between cells: this is the cell that runs into it
            self._stop = (TIME_LIMIT, self._time_limit_message())
            cell.outputs = [error_output(TIME_LIMIT, self._stop[1])]
            return cell, resources
        if self._stop is not None:
            cell.outputs = [error_output(NOT_RUN, f"not run: {self._stop[1]}")]
            return cell, resources

        self._limit_timeout()
        self._output_bytes = 0
        stuck = False
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.timeout = self._cell_timeout
            cell.outputs.append(error_output(KERNEL_DIED, "the kernel died while running this cell"))
            if not self._restart(index):
                self._stop = (KERNEL_DIED, f"the kernel died in cell {index + 1}")
            return cell, resources
        except CellTimeoutError:
            # the interrupt after the time limit left the kernel busy (no idle message came)
            cell.outputs.append(error_output(CELL_TIME_LIMIT, f"no reply within {self.timeout} s"))
            stuck = True
        finally:
            self.timeout = self._cell_timeout

        if any(o.output_type == "error" and o.get("ename") == CELL_TIME_LIMIT for o in cell.outputs):
            if self.deadline and time.time() >= self.deadline - 0.5:
                self._stop = (TIME_LIMIT, self._time_limit_message())
                cell.outputs = [o for o in cell.outputs if o.get("ename") != CELL_TIME_LIMIT]
                cell.outputs.append(error_output(TIME_LIMIT, self._stop[1]))
            elif stuck or not self._responsive():
                cell.outputs.append(error_output(
                    KERNEL_STUCK, "the kernel ignored the interrupt after the time limit"))
                if not self._restart(index):
                    self._stop = (KERNEL_STUCK, f"the kernel did not stop after the time limit "
                                                f"of cell {index + 1}")
        return cell, resources

    def _time_limit_message(self) -> str:
        return f"the submission's time limit ({self.submission_timeout} s) was reached"

    def _responsive(self) -> bool:
        """Whether the kernel answers within stuck_grace seconds (after a cell was interrupted)."""
        self.timeout = self.stuck_grace
        try:
            return self.wait_for_reply(self.kc.kernel_info()) is not None
        except DeadKernelError:
            return False
        finally:
            self.timeout = self._cell_timeout

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        if msg.get("msg_type") in ("stream", "display_data", "execute_result", "update_display_data"):
            before = self._output_bytes
            self._output_bytes += size
            if self._output_bytes > self.max_output_bytes:
                if before <= self.max_output_bytes:
                    notice = NotebookNode(output_type="stream", name="stdout",
                                          text=f"\n{OUTPUT_NOTICE}\n")
                    outs.append(notice)
                return None
        return super().output(outs, msg, display_id, cell_index)
