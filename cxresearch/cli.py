"""The ``cxresearch`` command: validate a dataset, write demo data, import an export, run the routine.

Exit codes: 0 success, 1 bad input or a failed run, 2 wrong usage, 141 output
closed early (``cxresearch validate | head``, as a shell's SIGPIPE).
Errors are printed as plain messages, never as tracebacks.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from pathlib import Path

from .errors import CXResearchError, DataWarning, ParameterError
from .i18n import LANGUAGES

__all__ = ["main"]


def _validate(args) -> int:
    from .capabilities import supported
    from .dataset import load_dataset, validate
    from .i18n import _, using
    from .settings import report_language

    with using(args.lang or report_language(args.path)):
        if args.engine is not None:
            from .sql.routine import check_on_engine

            report = check_on_engine(args.path, engine=args.engine or None, progress=lambda line: None).report
            print(report)
            return 0 if report.ok else 1
        report = validate(args.path)
        print(report)
        if not report.ok:
            return 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # the report above lists them already
            analyses = supported(load_dataset(args.path))
        print("\n" + _("What this dataset supports:"))
        for row in analyses.itertuples():
            print(f"  {_('yes') if row.available else _('no'):3}  {row.analysis}"
                  + ("" if row.available else f": {row.missing}"))
    return 0


def _demo(args) -> int:
    from .synthetic import generate

    out = generate(args.out, customers=args.customers, random_state=args.seed, fmt=args.format)
    print(f"Demo dataset written to {out}")
    return 0


def _import(args) -> int:
    from .dataset import write_dataset
    from .recipes import load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = load(args.recipe, args.source)
    out = write_dataset(dataset, args.out, comment=f"Written by `cxresearch import {args.recipe}` from {args.source}")
    sizes = ", ".join(f"{table} {len(frame):,} rows" for table, frame in dataset.tables.items())
    print(f"Imported {dataset.name} into {out}: {sizes}.")
    print(f"Run the routine on it with: cxresearch run {out}")
    return 0


def _run(args) -> int:
    if args.engine is not None:
        return _run_on_engine(args)
    from .routine import NOTEBOOKS_DIR, RoutineParameters, run
    from .routine.runs import RUN_LOG, RunInterrupted, failure_sentence, last_good_sentence

    overrides = dict(args.parameter)
    for name, parameter in (("period_start", "period_start"), ("period_end", "period_end"),
                            ("personas", "personas"), ("seed", "random_state")):
        if getattr(args, name) is not None:
            overrides[parameter] = str(getattr(args, name))
    parameters = RoutineParameters.from_strings({"data_dir": str(args.data_dir), **overrides})
    terminated = signal.signal(signal.SIGTERM, _interrupt)   # a cron job's timeout: recorded as an interrupted run
    try:
        result = run(parameters, reports_dir=args.reports, notebooks_dir=args.notebooks or NOTEBOOKS_DIR,
                     progress=lambda line: print(line, flush=True), language=args.lang,
                     memory_limit=None if args.memory_limit is None else round(args.memory_limit * 2**30))
    except RunInterrupted as exc:
        print(f"cxresearch run: interrupted; {last_good_sentence(args.reports)}.\n"
              f"Run log: {exc.run.folder / RUN_LOG}", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, terminated)
    if not result.ok:
        error = result.manifest["error"]
        print(f"cxresearch run: failed: {failure_sentence(error)}", file=sys.stderr)
        if error["step"] == "input":
            print(error["message"], file=sys.stderr)   # every problem of every file, written for people
        print(f"Run log: {result.folder / RUN_LOG}\nMeanwhile {last_good_sentence(args.reports)}.", file=sys.stderr)
        return 1
    print(f"Summary page: {result.summary_page}\nAll runs: {result.folder.parent / 'index.html'}")
    return 0


def _interrupt(signum, frame) -> None:
    """Handle SIGTERM as Ctrl-C: the run ends its kernels and records itself as interrupted."""
    raise KeyboardInterrupt


def _run_on_engine(args) -> int:
    from .i18n import _, using
    from .settings import report_language
    from .sql.routine import MANIFEST, NOT_ON_ENGINE, run_on_engine

    parameters = dict(args.parameter)
    window = {name: parameters.pop(name) for name in ("intervention_window",) if name in parameters}
    unsupported = [flag for flag, value in (("--period-start", args.period_start), ("--period-end", args.period_end),
                                            ("--parameter " + ", ".join(parameters), parameters),
                                            ("--notebooks", args.notebooks))
                   if value]
    if unsupported:
        raise ParameterError(f"{', '.join(unsupported)} set the notebook pages, which do not run with --engine yet; "
                             "leave them out, or run without --engine.")
    with using(args.lang or report_language(args.data_dir)):
        personas = {"n_personas": int(args.personas) if str(args.personas or "auto").isdigit() else "auto"}
        out = run_on_engine(args.data_dir, args.reports, engine=args.engine or None, **personas,
                            **({} if args.seed is None else {"random_state": args.seed}),
                            **window,
                            progress=lambda line: print(line, flush=True))
        print(_("Aggregates written to %(folder)s (what was computed, from where: %(manifest)s).")
              % {"folder": out, "manifest": MANIFEST})
        print(_("Not computed on the engine yet:"))
        for what, why in NOT_ON_ENGINE.items():
            print(f"  - {what}: {why}")
    return 0


def _name_value(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected name=value; got {text!r}")
    return name.strip(), value


def _gigabytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of GB above 0, such as 8 or 0.5; got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cxresearch`` command."""
    parser = argparse.ArgumentParser(prog="cxresearch", description=__doc__.splitlines()[0].replace("``", ""))  # reST markup out
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("validate", help="check a dataset folder and list every problem")
    check.add_argument("path", type=Path, help="dataset folder")
    check.add_argument("--lang", "--language", dest="lang", choices=LANGUAGES,
                       help="language of the report (default: the dataset's `language:`, else en)")
    check.add_argument("--engine", nargs="?", const="", choices=("", "duckdb", "spark"), metavar="duckdb|spark",
                       help="check the events, surveys, reviews and customers where they live (dataset.yml's "
                            "tables:), in DuckDB or Spark, instead of loading the folder (default engine: the "
                            "dataset's `engine:`, else duckdb)")
    check.set_defaults(handler=_validate)

    demo = commands.add_parser("demo", help="write the synthetic demo dataset (planted personas and answers)")
    demo.add_argument("--out", type=Path, default=Path("data/demo"), help="output folder (default: data/demo)")
    demo.add_argument("--customers", type=int, default=5000, help="number of customers (default: 5000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    demo.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default: csv)")
    demo.set_defaults(handler=_demo)

    recipes = commands.add_parser("import", help="read a public export with a recipe, write it as a dataset folder")
    recipes.add_argument("recipe", help="recipe name: olist, bpic2012, airline, clothing, telco, dunnhumby, "
                         "cdnow, olist_funnel, bank_marketing or online_shoppers")
    recipes.add_argument("source", type=Path, help="folder of the original export")
    recipes.add_argument("--out", type=Path, required=True, help="new dataset folder (Parquet tables + dataset.yml)")
    recipes.set_defaults(handler=_import)

    routine = commands.add_parser("run", help="run the research routine: execute the notebooks, write the reports")
    routine.add_argument("data_dir", type=Path, help="dataset folder")
    routine.add_argument("--reports", type=Path, default=Path("reports"), help="reports folder (default: reports)")
    routine.add_argument("--period-start", metavar="DATE", help="first day of the period (ISO date, included)")
    routine.add_argument("--period-end", metavar="DATE", help="end of the period (ISO date, excluded)")
    routine.add_argument("--personas", metavar="auto|N", help="number of personas (default: auto)")
    routine.add_argument("--seed", type=int, help="random seed (default: 42)")
    routine.add_argument("-p", "--parameter", metavar="NAME=VALUE", type=_name_value, action="append", default=[],
                         help="any other notebook parameter (repeatable)")
    routine.add_argument("--lang", "--language", dest="lang", choices=LANGUAGES,
                         help="language of the pages (default: the dataset's `language:`, else en)")
    routine.add_argument("--engine", nargs="?", const="", choices=("", "duckdb", "spark"), metavar="duckdb|spark",
                         help="check the tables and compute the heavy aggregations in DuckDB or Spark, where the "
                              "tables live, instead of running the notebooks (default engine: the dataset's "
                              "`engine:`, else duckdb; docs/SCALE.md)")
    routine.add_argument("--memory-limit", type=_gigabytes, metavar="GB",
                         help="memory the pages may use together, in GB: pages wait rather than run side by side "
                              "beyond it (default: what the machine has available)")
    routine.add_argument("--notebooks", type=Path,
                         help="folder of the routine's notebooks (default: the project's notebooks/)")
    routine.set_defaults(handler=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ParameterError as exc:
        print(f"cxresearch {args.command}: {exc}", file=sys.stderr)
        return 2
    except CXResearchError as exc:
        print(f"cxresearch {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cxresearch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped reading (| head): what is left to print goes nowhere, without a traceback at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
