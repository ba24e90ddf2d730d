"""The ``cxresearch`` command: validate a dataset, write demo data, run the research routine.

Exit codes: 0 success, 1 bad input or a failed run, 2 wrong usage.
Errors are printed as plain messages, never as tracebacks.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .errors import CXResearchError

__all__ = ["main"]


def _validate(args) -> int:
    from .dataset import validate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = validate(args.path)
    print(report)
    return 0 if report.ok else 1


def _demo(args) -> int:
    from .synthetic import generate

    out = generate(args.out, customers=args.customers, seed=args.seed, fmt=args.format)
    print(f"Demo dataset written to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cxresearch`` command."""
    parser = argparse.ArgumentParser(prog="cxresearch", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("validate", help="check a dataset folder and list every problem")
    check.add_argument("path", type=Path, help="dataset folder")
    check.set_defaults(handler=_validate)

    demo = commands.add_parser("demo", help="write the synthetic demo dataset (planted personas and answers)")
    demo.add_argument("--out", type=Path, default=Path("data/demo"), help="output folder (default: data/demo)")
    demo.add_argument("--customers", type=int, default=5000, help="number of customers (default: 5000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    demo.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default: csv)")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CXResearchError as exc:
        print(f"cxresearch {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cxresearch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
