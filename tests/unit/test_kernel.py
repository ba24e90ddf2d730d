"""The routine's kernel server: kernels forked from one process, each ending with the relay jupyter_client started."""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import socket
import time
from pathlib import Path

import nbformat
import psutil

from cxresearch.kernel import READY, KernelServer
from cxresearch.routine import execution


def _notebook(folder: Path, code: str) -> Path:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, folder / "probe.ipynb")
    return folder / "probe.ipynb"


def _printed(executed) -> str:
    return "".join(out.get("text", "") for cell in executed.cells for out in cell.get("outputs", []))


def test_without_a_server_the_relay_is_the_kernel(tmp_path):
    """A server that is not there (it failed to start) costs the run nothing: the kernel starts afresh."""
    source = _notebook(tmp_path, "import os\nprint('parent', os.getppid())")
    executed = execution.execute(source, tmp_path / "out.ipynb", {}, cwd=tmp_path, kernel_log=tmp_path / "k.log",
                                 skip_tag="interactive", timeout=60, server=str(tmp_path / "absent.sock"))
    assert f"parent {os.getpid()}" in _printed(executed)
    assert executed.metadata["cxresearch"]["kernel_cpu_seconds"] >= 0


def _wait_until_gone(pid: int, patience: float = 60) -> bool:
    """True once *pid* has ended (polling, so as not to depend on the machine's speed)."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def _wait_until_ready(server: KernelServer) -> None:
    """Wait for the server to have loaded its libraries (a loaded machine may take longer than a relay waits)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        for _ in range(600):
            try:
                probe.connect(server.path)
                break
            except OSError:  # not listening yet
                time.sleep(0.1)
        assert probe.recv(len(READY), socket.MSG_WAITALL) == READY   # then nothing: the server forks no kernel


def test_a_forked_kernel_runs_in_its_relays_folder_and_ends_when_its_relay_is_killed(tmp_path):
    """jupyter_client kills a kernel that does not shut down: killing the relay must end the kernel too."""
    server = KernelServer(tmp_path / "kernels.sock", log=tmp_path / "server.log", environment={"CX_PROBE": "1"})

    _wait_until_ready(server)

    async def start_and_kill() -> tuple[int, int, str]:
        manager = execution.KernelLoggingToFile(log_file=str(tmp_path / "k.log"), server=server.path,
                                                clock="probe")
        await manager.start_kernel(cwd=str(tmp_path), env={**os.environ, "CX_RELAYED": "yes"})
        client = manager.client()
        client.start_channels()
        await client.wait_for_ready(timeout=120)
        reply = await client.execute_interactive("import os; print(os.getcwd(), os.environ.get('CX_RELAYED'))",
                                                 output_hook=lambda message: printed.append(
                                                     message["content"].get("text", "")), timeout=60)
        client.stop_channels()
        kernel = int(Path(f"{server.path}.probe.pid").read_text())
        relay = manager.provisioner.pid
        os.kill(relay, signal.SIGKILL)
        await manager.cleanup_resources()
        return kernel, relay, reply["content"]["status"]

    printed: list[str] = []
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as thread:  # its own event loop, whatever this thread runs
            kernel, relay, status = thread.submit(asyncio.run, start_and_kill()).result()
        assert status == "ok" and "".join(printed).split() == [str(tmp_path), "yes"]
        assert kernel != relay
        assert _wait_until_gone(kernel)
    finally:
        server.stop()
    assert server.cpu > 0


def test_where_processes_cannot_be_watched_no_server_starts(tmp_path, monkeypatch):
    """On macOS (no pidfd_open) the run's kernels start afresh, as before the kernel server."""
    monkeypatch.delattr("os.pidfd_open")
    server = KernelServer(tmp_path / "kernels.sock", log=tmp_path / "server.log", environment={})
    server.stop()
    assert server.path == "" and server.cpu is None and not (tmp_path / "kernels.sock").exists()
