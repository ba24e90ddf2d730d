"""The kernel of a routine notebook: ``python -m cxresearch.kernel -f CONNECTION_FILE``.

It is ipykernel's own launcher (``ipykernel_launcher``) without one optional
import nobody in the kernel uses: jsonschema's IRI format checker
``rfc3987_syntax`` builds about forty grammars when imported (1-2 CPU seconds),
and the first figure a kernel shows imports it (plotly imports nbformat,
nbformat jsonschema). Nothing in a routine notebook checks IRIs; the notebook
format's schema has no IRI field. :func:`cxresearch.routine.execution.execute`
starts its kernels this way.

The module sits at the package's top, not in :mod:`cxresearch.routine`, so that
starting the kernel imports nothing heavy (``cxresearch`` itself is light,
``cxresearch.routine`` imports pandas): ipykernel binds the ports it was given
at once, before another process can take them.
"""
from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["UNUSED_OPTIONAL_IMPORTS", "skip_unused_imports"]

#: Optional imports of libraries the kernel uses that the kernel itself never needs (see the module's docstring).
UNUSED_OPTIONAL_IMPORTS = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Make :data:`UNUSED_OPTIONAL_IMPORTS` fail as if not installed (unless already imported)."""
    for name in UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)


if __name__ == "__main__":
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():  # as ipykernel_launcher: the notebooks' folder later
        del sys.path[0]
    skip_unused_imports()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
