"""Execute one routine notebook with papermill in a fresh kernel, and say where its time went.

The research routine (:mod:`cxresearch.routine`) runs several notebooks at
once, each through :func:`execute`: the kernel starts in the notebooks' folder
(given to the kernel, never by changing this process's working directory),
writes its own log lines to the run's kernel log, and the executed notebook is
written once when it ends (papermill's save after every cell is switched off;
a ``.<name>.running.ipynb`` file says the notebook is running).
:func:`timings` reads back how long the kernel took to start and each cell ran.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode
from traitlets.config import Config

from .. import i18n

__all__ = ["execute", "describe_failure", "timings", "KernelLoggingToFile"]


class KernelLoggingToFile(AsyncKernelManager):
    """A kernel manager whose kernel writes its stdout and stderr to ``log_file`` instead of the terminal."""

    log_file = Unicode(help="File receiving the kernel's own output.").tag(config=True)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        with open(self.log_file, "ab") as log:
            await super()._async_launch_kernel(kernel_cmd, **{**kw, "stdout": log, "stderr": log})


def execute(source: Path, target: Path, parameters: dict, *, cwd: Path, kernel_log: Path, skip_tag: str,
            timeout: int) -> nbformat.NotebookNode:
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
    config = Config({KernelLoggingToFile.__name__: {"log_file": str(kernel_log)}})
    executed = papermill.execute_notebook(notebook, str(temporary), parameters=parameters, progress_bar=False,
                                          log_output=False, request_save_on_cell_execute=False,
                                          kernel_manager_class=KernelLoggingToFile, config=config,
                                          execution_timeout=timeout, resources={"metadata": {"path": str(cwd)}})
    os.replace(temporary, target)
    return executed


def describe_failure(exc: Exception) -> dict:
    """Where and why a notebook failed: cell (1-based, in the executed notebook), exception, message."""
    if isinstance(exc, papermill.PapermillExecutionError):
        return {"cell": exc.cell_index + 1, "exception": exc.ename, "message": exc.evalue,
                "source": exc.source.strip().splitlines()[0] if exc.source.strip() else ""}
    return {"cell": None, "exception": type(exc).__name__, "message": str(exc)}


def timings(executed: nbformat.NotebookNode, *, slowest: int = 3) -> dict:
    """Seconds the kernel took to start (to its first cell), the cells took, and the *slowest* cells.

    Cells are numbered from 1 in the executed notebook, as failures are.
    """
    started = executed.metadata.get("papermill", {}).get("start_time")
    cells = [(number, cell.metadata.get("papermill", {})) for number, cell in enumerate(executed.cells, start=1)
             if cell.cell_type == "code"]
    durations = [(number, meta["duration"]) for number, meta in cells if meta.get("duration") is not None]
    first = next((meta.get("start_time") for _, meta in cells if meta.get("start_time")), None)
    kernel = _seconds_between(started, first) if started and first else None
    ranked = sorted(durations, key=lambda item: item[1], reverse=True)[:slowest]
    return {"kernel": kernel, "cells": round(sum(seconds for _, seconds in durations), 2),
            "slowest": [{"cell": number, "seconds": round(seconds, 2)} for number, seconds in ranked]}


def _seconds_between(start: str, end: str) -> float:
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 2)
