"""nbgrader's Execute preprocessor with the limits a class of submissions needs.

On top of nbgrader's per-cell time limit (``Execute.timeout``) it

- stops at the submission's deadline (``LimitedExecute.deadline``): the cell that runs into it and
  every later cell get a ``SubmissionTimeLimit`` error;
- keeps at most ``max_output_bytes`` of output per cell (a flood of prints cannot exhaust the
  grader's memory); the rest is dropped with one notice on stdout;
- survives a dead kernel (``os._exit``, a crash, the memory cap): the cell gets a ``KernelDied``
  error and the later cells are not run;
- gives up on a kernel that ignores the interrupt sent after a cell's time limit (a loop that
  catches KeyboardInterrupt): later cells are not run.

Cells that are not run get an error output (``NotRun``), so a test cell never passes by not
running. Everything before the problem keeps its outputs and its points.
"""
from __future__ import annotations

import time

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer

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

    def preprocess(self, nb, resources=None, km=None):
        self._stop = None            # (ename, evalue) once no further cell may run
        self._cell_timeout = self.timeout
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        remaining = self.deadline - time.time() if self.deadline else None
        if self._stop is None and remaining is not None and remaining <= 0:
            self._stop = (TIME_LIMIT, self._time_limit_message())
        if self._stop is not None:
            cell.outputs = [error_output(NOT_RUN, f"not run: {self._stop[1]}")]
            return cell, resources

        self.timeout = self._cell_timeout
        if remaining is not None:
            self.timeout = max(1, min(self._cell_timeout or remaining, int(remaining) + 1))
        self._output_bytes = 0
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stop = (KERNEL_DIED, f"the kernel died while running cell {index}")
            cell.outputs.append(error_output(KERNEL_DIED, self._stop[1]))
            return cell, resources
        finally:
            self.timeout = self._cell_timeout

        if any(o.output_type == "error" and o.get("ename") == CELL_TIME_LIMIT for o in cell.outputs):
            if self.deadline and time.time() >= self.deadline - 0.5:
                self._stop = (TIME_LIMIT, self._time_limit_message())
                cell.outputs = [o for o in cell.outputs if o.get("ename") != CELL_TIME_LIMIT]
                cell.outputs.append(error_output(TIME_LIMIT, self._stop[1]))
            elif not self._responsive():
                self._stop = (KERNEL_STUCK, f"the kernel did not stop after the time limit of "
                                            f"cell {index}")
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
