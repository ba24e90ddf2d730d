"""Execute one routine notebook with papermill in a fresh kernel, and say where its time went.

The research routine (:mod:`cxresearch.routine`) runs several notebooks at
once, each through :func:`execute`: the kernel starts in the notebooks' folder
(given to the kernel, never by changing this process's working directory),
writes its own log lines to the run's kernel log, and the executed notebook is
written once when it ends (papermill's save after every cell is switched off;
a ``.<name>.running.ipynb`` file says the notebook is running).
:func:`timings` reads back how long the kernel took to start and each cell ran, in
wall-clock seconds and in CPU seconds of the kernel's process (:class:`CPUClock`):
on a shared machine the wall clock says how busy the machine was, the CPU
seconds what the notebook itself cost.
"""
from __future__ import annotations

import os
import re
import secrets
import signal
import threading
import traceback
from datetime import datetime
from pathlib import Path

import nbformat
import papermill
import psutil
from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode
from traitlets.config import Config

from .. import i18n

__all__ = ["execute", "stop_kernels", "allow_kernels", "describe_failure", "traceback_text", "timings", "KernelLoggingToFile",
           "CPUClock", "ROUTINE_KERNEL"]

_TERMINAL_COLOURS = re.compile(r"\x1b\[[0-9;]*m")

#: Module starting a routine notebook's kernel, in place of ``ipykernel_launcher`` (:mod:`cxresearch.kernel`).
ROUTINE_KERNEL = "cxresearch.kernel"
#: Process id of each kernel started with a :class:`CPUClock`, by the clock's key, and the file where its relay
#: writes the id of the kernel it had forked (the relay is the kernel when that file is absent).
_KERNEL_PIDS: dict[str, tuple[int, Path | None]] = {}
#: Set while kernels are being stopped (:func:`stop_kernels`): a kernel launched meanwhile is ended at once.
_STOPPING = threading.Event()


class KernelLoggingToFile(AsyncKernelManager):
    """A kernel manager starting the routine's kernel (:mod:`cxresearch.kernel`), its stdout and stderr going to ``log_file``."""

    log_file = Unicode(help="File receiving the kernel's own output.").tag(config=True)
    clock = Unicode("", help="Key of the CPUClock reading this kernel's CPU time.").tag(config=True)
    server = Unicode("", help="Socket of the kernel server forking the kernel (cxresearch.kernel), if any.").tag(
        config=True)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        kernel_cmd = [ROUTINE_KERNEL if part == "ipykernel_launcher" else part for part in kernel_cmd]
        pid_file = None
        if self.server:  # the relay, which writes the forked kernel's process id to pid_file
            pid_file = Path(f"{self.server}.{self.clock or secrets.token_hex(8)}.pid")
            at = kernel_cmd.index(ROUTINE_KERNEL) + 1
            kernel_cmd[at:at] = ["--via", self.server, str(pid_file)]
        with open(self.log_file, "ab") as log:
            await super()._async_launch_kernel(kernel_cmd, **{**kw, "stdout": log, "stderr": log})
        if self.clock:
            _KERNEL_PIDS[self.clock] = (self.provisioner.pid, pid_file)
        if _STOPPING.is_set():  # launched while the run was being interrupted
            _end(self.provisioner.pid)


class CPUClock:
    """CPU seconds (user + system, all threads) the kernel's process spent starting and in each code cell.

    Its hooks are given to nbclient (``on_cell_start``, ``on_cell_executed``);
    each executed code cell gets ``metadata.cxresearch.cpu_seconds``, and
    :func:`execute` sets the returned notebook's ``metadata.cxresearch.kernel_cpu_seconds``
    (the kernel's own start, before its first cell). Readings that cannot be taken
    (the kernel is gone) are left out, never raised.
    """

    def __init__(self):
        self.key = secrets.token_hex(8)
        self.kernel = None
        self._started = None

    def _now(self) -> float | None:
        try:
            pid, pid_file = _KERNEL_PIDS[self.key]
            if pid_file is not None and pid_file.exists():
                pid = int(pid_file.read_text())
            times = psutil.Process(pid).cpu_times()
        except (KeyError, ValueError, OSError, psutil.Error):
            return None
        return times.user + times.system + times.children_user + times.children_system

    def cell_started(self, cell, cell_index) -> None:
        if cell.cell_type == "code":
            self._started = self._now()
            if self.kernel is None:
                self.kernel = self._started

    def cell_executed(self, cell, cell_index, execute_reply) -> None:
        now = self._now()
        if now is not None and self._started is not None:
            cell.metadata.setdefault("cxresearch", {})["cpu_seconds"] = round(now - self._started, 2)

    def forget(self) -> None:
        """Drop the kernel's process id (the kernel has ended)."""
        _KERNEL_PIDS.pop(self.key, None)


def execute(source: Path, target: Path, parameters: dict, *, cwd: Path, kernel_log: Path, skip_tag: str,
            timeout: int, server: str = "") -> nbformat.NotebookNode:
    """Execute *source* into *target* (written through a temporary name) and return the executed notebook.

    With the routine's ``PLOTLY_RENDERER`` each figure is saved twice in one
    output: as plotly JSON, which JupyterLab draws as a live chart when the
    executed notebook is reopened, and as HTML with plotly.js, which the report
    page embeds (nbconvert prefers HTML).

    Parameters
    ----------
    source, target : Path
        The notebook and where its executed copy goes.
    parameters : dict
        Values for the ``parameters`` cell.
    cwd : Path
        Working directory of the kernel.
    kernel_log : Path
        File receiving the kernel's own stdout and stderr (appended).
    skip_tag : str
        Cells with this tag are left out (widget explorers make no sense in a static report).
    timeout : int
        Seconds one cell may run.
    server : str
        Socket of a :class:`cxresearch.kernel.KernelServer` forking the kernel; empty: the kernel starts afresh.

    Raises
    ------
    papermill.PapermillExecutionError
        When a cell fails (the executed notebook, with the error, stays at the temporary name).
    """
    temporary = target.with_name(f".{target.stem}.running.ipynb")
    notebook = nbformat.read(source, as_version=4)
    notebook.cells = [c for c in notebook.cells if skip_tag not in c.metadata.get("tags", [])]
    notebook = i18n.translate_notebook(notebook)
    nbformat.write(notebook, temporary)
    clock = CPUClock()
    config = Config({KernelLoggingToFile.__name__: {"log_file": str(kernel_log), "clock": clock.key,
                                                    "server": server}})
    try:
        executed = papermill.execute_notebook(
            notebook, str(temporary), parameters=parameters, progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, kernel_manager_class=KernelLoggingToFile, config=config,
            execution_timeout=timeout, resources={"metadata": {"path": str(cwd)}},
            on_cell_start=clock.cell_started, on_cell_executed=clock.cell_executed)
    finally:
        clock.forget()
    if clock.kernel is not None:  # in the returned notebook only: it was written when the kernel ended
        executed.metadata["cxresearch"] = {"kernel_cpu_seconds": round(clock.kernel, 2)}
    os.replace(temporary, target)
    return executed


def stop_kernels() -> None:
    """End every kernel :func:`execute` started, and each it starts until :func:`allow_kernels` (an interrupted
    run stops at once).

    Each gets SIGTERM through the process jupyter_client started (the relay passes it on to the kernel it had
    forked); the notebooks executing in them then fail, and their threads end.
    """
    _STOPPING.set()
    for pid, _ in list(_KERNEL_PIDS.values()):
        _end(pid)


def allow_kernels() -> None:
    """Let :func:`execute` start kernels again (a run starts so)."""
    _STOPPING.clear()


def _end(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:  # ended already
        pass


def describe_failure(exc: Exception) -> dict:
    """Where and why a notebook failed: cell (1-based, in the executed notebook), exception, message."""
    if isinstance(exc, papermill.PapermillExecutionError):
        return {"cell": exc.cell_index + 1, "exception": exc.ename, "message": exc.evalue,
                "source": exc.source.strip().splitlines()[0] if exc.source.strip() else ""}
    return {"cell": None, "exception": type(exc).__name__, "message": str(exc)}


def traceback_text(exc: Exception) -> str:
    """The traceback of a failure as plain text (for the run log), the kernel's for a failed cell."""
    if isinstance(exc, papermill.PapermillExecutionError):
        text = "\n".join(exc.traceback)
    else:
        text = "".join(traceback.format_exception(exc))
    return _TERMINAL_COLOURS.sub("", text).rstrip()


def timings(executed: nbformat.NotebookNode, *, slowest: int = 3) -> dict:
    """Where a notebook's time went: the kernel's start, the cells, the *slowest* cells.

    ``kernel`` and ``cells`` are wall-clock seconds (to the first cell, and of
    every cell), ``kernel_cpu`` and ``cells_cpu`` CPU seconds of the kernel's
    process (None where :class:`CPUClock` could not read them); each of the
    slowest cells (by wall clock) has ``seconds`` and ``cpu``. Cells are numbered
    from 1 in the executed notebook, as failures are.
    """
    started = executed.metadata.get("papermill", {}).get("start_time")
    cells = [(number, cell.metadata.get("papermill", {}), cell.metadata.get("cxresearch", {}).get("cpu_seconds"))
             for number, cell in enumerate(executed.cells, start=1) if cell.cell_type == "code"]
    durations = [(number, meta["duration"], cpu) for number, meta, cpu in cells if meta.get("duration") is not None]
    first = next((meta.get("start_time") for _, meta, _ in cells if meta.get("start_time")), None)
    kernel = _seconds_between(started, first) if started and first else None
    cpus = [cpu for _, _, cpu in durations if cpu is not None]
    ranked = sorted(durations, key=lambda item: item[1], reverse=True)[:slowest]
    return {"kernel": kernel, "kernel_cpu": executed.metadata.get("cxresearch", {}).get("kernel_cpu_seconds"),
            "cells": round(sum(seconds for _, seconds, _ in durations), 2),
            "cells_cpu": round(sum(cpus), 2) if cpus else None,
            "slowest": [{"cell": number, "seconds": round(seconds, 2), "cpu": cpu} for number, seconds, cpu in ranked]}


def _seconds_between(start: str, end: str) -> float:
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 2)
