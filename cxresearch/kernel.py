"""The kernel of a routine notebook: ``python -m cxresearch.kernel -f CONNECTION_FILE``.

It is ipykernel's own launcher (``ipykernel_launcher``) without one optional
import nobody in the kernel uses: jsonschema's IRI format checker
``rfc3987_syntax`` builds about forty grammars when imported (1-2 CPU seconds),
and the first figure a kernel shows imports it (plotly imports nbformat,
nbformat jsonschema). Nothing in a routine notebook checks IRIs; the notebook
format's schema has no IRI field. :func:`cxresearch.routine.execution.execute`
starts its kernels this way.

A run starts six kernels, and each would import the same libraries (IPython,
pandas, scipy.stats, scikit-learn, plotly: about 4 CPU seconds a kernel).
:func:`serve` imports them once, in a *kernel server*, and forks a kernel
for each request on its Unix socket; ``python -m cxresearch.kernel --via
SOCKET PID_FILE -f CONNECTION_FILE`` (:func:`relay`) is what jupyter_client
starts instead of the kernel: it hands the server its standard streams,
working directory, environment and arguments, writes the forked kernel's
process id to *PID_FILE*, passes signals on and ends with the kernel's exit
status. The forked kernel ends with the relay. Without a server (it failed or
was never started) the relay becomes the ordinary kernel. No module of
cxresearch is imported before the fork: a kernel reads its environment
(language, snapshot) and draws its salts itself.

The module sits at the package's top, not in :mod:`cxresearch.routine`, so that
starting the kernel imports nothing heavy (``cxresearch`` itself is light,
``cxresearch.routine`` imports pandas): ipykernel binds the ports it was given
at once, before another process can take them.
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["UNUSED_OPTIONAL_IMPORTS", "PRELOADED", "SERVER_WAIT", "skip_unused_imports", "KernelServer", "serve",
           "relay"]

#: Optional imports of libraries the kernel uses that the kernel itself never needs (see the module's docstring).
UNUSED_OPTIONAL_IMPORTS = ("rfc3987_syntax",)
#: Libraries the kernel server imports once for all its kernels: what the routine's notebooks import (not cxresearch).
PRELOADED = ("ipykernel.kernelapp", "IPython.display", "numpy", "pandas", "pyarrow.parquet", "pyarrow.compute",
             "scipy.stats", "scipy.optimize", "scipy.spatial.distance", "statsmodels.stats.proportion",
             "statsmodels.stats.multitest", "statsmodels.stats.correlation_tools", "sklearn.cluster",
             "sklearn.mixture", "sklearn.decomposition", "sklearn.feature_extraction.text", "sklearn.metrics",
             "sklearn.compose", "sklearn.impute", "sklearn.pipeline", "sklearn.preprocessing", "plotly.graph_objects",
             "plotly.subplots", "plotly.io", "nbformat", "jinja2", "ipywidgets", "duckdb", "yaml", "babel.dates",
             "babel.numbers")


#: Seconds a relay waits for the kernel server (still importing :data:`PRELOADED`) before starting its kernel itself.
SERVER_WAIT = 30
#: The server's first words to a relay: it is listening and its libraries are loaded.
READY = b"ready\n"


def skip_unused_imports() -> None:
    """Make :data:`UNUSED_OPTIONAL_IMPORTS` fail as if not installed (unless already imported)."""
    for name in UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)


def _launch(argv: list[str]) -> None:
    """Run ipykernel with *argv* (``-f CONNECTION_FILE``), as ``ipykernel_launcher`` does."""
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():  # as ipykernel_launcher: the notebooks' folder later
        del sys.path[0]
    skip_unused_imports()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv)


class KernelServer:
    """A kernel server (:func:`serve`) on the Unix socket *path*, started now; :meth:`stop` ends it.

    Its output goes to *log*; *environment* is added to this process's for it
    (what the preloaded libraries read when imported, such as ``PLOTLY_RENDERER``).
    ``cpu`` is, once stopped, the CPU seconds it spent itself (its kernels' are theirs).
    Where processes cannot be watched (``os.pidfd_open``: Linux only) no server
    starts, ``path`` is empty and the kernels start afresh.
    """

    def __init__(self, path, *, log, environment: dict[str, str]):
        self.path, self.cpu, self._process = (str(path) if hasattr(os, "pidfd_open") else ""), None, None
        if not self.path:
            return
        with open(log, "ab") as stream:
            self._process = subprocess.Popen([sys.executable, "-m", __name__, "--serve", self.path],
                                             stdin=subprocess.DEVNULL, stdout=stream, stderr=stream,
                                             env={**os.environ, **environment}, start_new_session=True)

    def stop(self) -> None:
        """End the server (its kernels have ended) and read its CPU seconds."""
        if self._process is None:
            return
        import psutil

        with contextlib.suppress(psutil.Error):
            spent = psutil.Process(self._process.pid).cpu_times()
            self.cpu = round(spent.user + spent.system, 2)
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def serve(path: str) -> None:
    """Serve kernels on the Unix socket *path*: import :data:`PRELOADED` once, fork a kernel per request.

    Each request comes from :func:`relay`. The server answers with the
    kernel's process id, then with its exit status when it ends; it stops on
    SIGTERM or when the process that started it ends (its kernels end with their relays).
    """
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():  # as _launch, once for every kernel
        del sys.path[0]
    starter = os.pidfd_open(os.getppid())
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)  # relays wait in the backlog while the libraries load
    skip_unused_imports()
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional library: the kernel imports what it needs itself
            pass
    gc.freeze()  # the libraries' objects stay shared with the kernels, never copied by a collection
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    kernels: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection to its relay)
    while True:
        ready, _, _ = select.select([listener, starter, *kernels], [], [])
        for source in ready:
            if source == starter:
                sys.exit(0)
            elif source is listener:
                connection, _ = listener.accept()
                try:
                    connection.sendall(READY)
                    pid = _fork_kernel(connection, listener)
                except (OSError, ValueError):  # the relay gave up waiting and became the kernel itself
                    connection.close()
                    continue
                kernels[os.pidfd_open(pid)] = (pid, connection)
                with contextlib.suppress(OSError):  # a relay gone now takes its kernel with it
                    connection.sendall(f"{pid}\n".encode())
            else:
                pid, connection = kernels.pop(source)
                os.close(source)
                status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
                with connection, contextlib.suppress(OSError):
                    connection.sendall(f"{status}\n".encode())


def _fork_kernel(connection: socket.socket, listener: socket.socket) -> int:
    """Fork a kernel for the relay on *connection*; return its process id (in the server)."""
    message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while message and not message.endswith(b"\n"):
        message += connection.recv(1 << 16)
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise ValueError("no request: the relay gave up")
    request = json.loads(message)
    relay_pid = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    code = 1
    try:
        listener.close()
        connection.close()
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _end_with(relay_pid)
        parent = os.environ.get("JPY_PARENT_PID")  # ipykernel reads it when imported: in the server, not here
        argv = [*request["argv"], *([f"--IPKernelApp.parent_handle={parent}"] if parent else [])]
        sys.argv = [sys.argv[0], *argv]
        _launch(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            with contextlib.suppress(OSError, ValueError):  # a closed stream has nothing left to write
                stream.flush()
        os._exit(code)


def _end_with(pid: int) -> None:
    """End this process when the process *pid* ends (the kernel's relay, which jupyter_client may kill)."""
    watched = os.pidfd_open(pid)

    def wait() -> None:
        select.select([watched], [], [])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=wait, daemon=True).start()


def relay(path: str, pid_file: str, argv: list[str]) -> None:
    """Have the kernel server at *path* fork the kernel; wait for it, passing signals on; exit with its status.

    Without a server at *path*, or when it is not ready within :data:`SERVER_WAIT` seconds, become the
    ordinary kernel instead.
    """
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(SERVER_WAIT)
    try:
        connection.connect(path)
        if connection.recv(len(READY), socket.MSG_WAITALL) != READY:
            raise OSError("the kernel server ended")
    except OSError:  # socket.timeout too
        connection.close()
        _launch(argv)
        return
    connection.settimeout(None)
    request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode() + b"\n"
    socket.send_fds(connection, [request], [0, 1, 2])
    replies = connection.makefile("r")
    pid = int(replies.readline())
    Path(pid_file).write_text(str(pid))
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, lambda received, _frame: os.kill(pid, received))
    status = replies.readline()
    sys.exit(int(status) if status.strip() else 1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2])
    elif sys.argv[1:2] == ["--via"]:
        relay(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        _launch(sys.argv[1:])
