"""``tunesmith bench``: list and build benchmarks, run experiments, compare methods."""

from __future__ import annotations

import click

from tunesmith.cli.common import console, emit_json, friendly_errors

__all__ = ["bench"]


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


@click.group()
def bench() -> None:
    """Benchmarks and simulated experiments: list, build, run, plot, table."""


@bench.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@friendly_errors
def list_benchmarks(as_json: bool) -> None:
    """The benchmarks tunesmith knows."""
    from tunesmith import bench as catalogue

    rows = [catalogue.describe(name) for name in catalogue.names()]
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table

    table = Table("name", "description")
    for name, row in zip(catalogue.names(), rows, strict=True):
        text = row if isinstance(row, str) else row.get("description", str(row))
        table.add_row(name, text)
    console().print(table)


@bench.command("build")
@click.argument("name")
@click.option("--out", type=click.Path(dir_okay=False), help="Where to write the table.")
@friendly_errors
def build_benchmark(name: str, out: str | None) -> None:
    """Generate the multi-fidelity table NAME from real training runs."""
    from tunesmith.bench import build

    path = build.build(name, out=out)
    click.echo(f"Wrote benchmark {name!r} to {path}.")


@bench.command("run")
@click.option("--methods", required=True, help="Comma-separated, e.g. RandomSearch,ASHA.")
@click.option("--benchmarks", required=True, help="Comma-separated benchmark names.")
@click.option("--seeds", type=int, default=10, show_default=True, help="Seeds 0..N-1.")
@click.option(
    "--budget",
    type=float,
    default=None,
    help="Simulated seconds per run (default: 20 median full trainings of each benchmark).",
)
@click.option("--max-trials", type=int, default=None, help="Also stop a run at N trials.")
@click.option("--workers", type=int, default=4, show_default=True, help="Simulated workers.")
@click.option("--processes", type=int, default=None, help="Parallel runs (default: CPUs).")
@click.option(
    "--restrict",
    is_flag=True,
    help="Methods suggest only the configs of the benchmark's table (no nearest-neighbour "
    "surrogate); results are labelled METHOD+restricted.",
)
@click.option("--storage", default=None, help="Store URL (default: $TUNESMITH_HOME/bench.db).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@friendly_errors
def run(
    methods, benchmarks, seeds, budget, max_trials, workers, processes, restrict, storage, as_json
):
    """Run every METHOD x BENCHMARK x SEED on the simulator (resumable: studies are named)."""
    from tunesmith.experiments.runner import ExperimentsInterrupted, run_experiments

    try:
        rows = run_experiments(
            _names(methods),
            _names(benchmarks),
            list(range(seeds)),
            budget=budget,
            n_workers=workers,
            storage=storage,
            processes=processes,
            max_trials=max_trials,
            restrict=restrict,
        )
    except (ExperimentsInterrupted, KeyboardInterrupt) as err:
        click.echo(f"Interrupted: {err or 'Ctrl-C'}", err=True)
        raise SystemExit(130) from None
    if as_json:
        emit_json(rows)
        return
    total = sum(r["results"] for r in rows)
    seconds = sum(r["real_seconds"] for r in rows)
    skipped = sum(r["skipped"] for r in rows)
    note = f" ({skipped} had finished before and were not rerun)" if skipped else ""
    click.echo(f"{len(rows)} runs, {total} results, {seconds:.1f} s of computing{note}.")


@bench.command("plot")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="PNG file.")
@click.option("--methods", default="", help="Comma-separated (default: all run).")
@click.option("--benchmarks", default="", help="Comma-separated (default: all run).")
@click.option("--storage", default=None, help="Store URL (default: $TUNESMITH_HOME/bench.db).")
@friendly_errors
def plot(out, methods, benchmarks, storage) -> None:
    """Normalized regret (IQM over seeds, bootstrap band) against simulated time (hypervolume
    regret for benchmarks with several objectives)."""
    from tunesmith.experiments.compare import compare
    from tunesmith.experiments.plot import plot_comparison
    from tunesmith.experiments.runner import default_storage

    comparison = compare(
        storage or default_storage(),
        benchmarks=_names(benchmarks) or None,
        methods=_names(methods) or None,
    )
    plot_comparison(comparison, out)
    click.echo(
        f"Wrote {out}: {len(comparison.methods)} methods on {len(comparison.benchmarks)} "
        "benchmarks."
    )


@bench.command("table")
@click.option(
    "--budgets", default="0.25,0.5,1.0", show_default=True, help="Fractions of the budget."
)
@click.option("--methods", default="", help="Comma-separated (default: all run).")
@click.option("--benchmarks", default="", help="Comma-separated (default: all run).")
@click.option(
    "--versus",
    default=None,
    metavar="METHOD",
    help="Also test each method's anytime values over seeds against METHOD's (one-sided "
    "Mann-Whitney U: p of 'lower than METHOD').",
)
@click.option("--storage", default=None, help="Store URL (default: $TUNESMITH_HOME/bench.db).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@friendly_errors
def table(budgets, methods, benchmarks, versus, storage, as_json) -> None:
    """Normalized regret (IQM over seeds; hypervolume regret for benchmarks with several
    objectives) and average ranks at budget fractions; with --versus, one-sided Mann-Whitney
    tests against a method."""
    from tunesmith.experiments.compare import compare, rank_table
    from tunesmith.experiments.runner import default_storage

    fractions = [float(f) for f in _names(budgets)]
    comparison = compare(
        storage or default_storage(),
        benchmarks=_names(benchmarks) or None,
        methods=_names(methods) or None,
    )
    data = rank_table(comparison, fractions, versus=versus)
    if as_json:
        emit_json(data)
        return
    from rich.table import Table

    sections = [
        (
            f"at {fraction:g} of each benchmark's budget",
            data["values"][str(fraction)],
            data["average_rank"][str(fraction)],
            None,
        )
        for fraction in data["fractions"]
    ]
    sections.append(
        (
            "anytime: mean over the whole budget [95 % bootstrap interval over seeds]",
            data["anytime"]["values"],
            data["anytime"]["average_rank"],
            data["anytime"]["interval"],
        )
    )
    for title, values, ranks, intervals in sections:
        out = Table(title=title)
        out.add_column("method")
        for benchmark in comparison.benchmarks:
            out.add_column(benchmark, justify="right")
        out.add_column("avg rank", justify="right")
        for method in comparison.methods:
            cells = []
            for b in comparison.benchmarks:
                if method not in values[b]:
                    cells.append("-")
                    continue
                cell = f"{values[b][method]:.4g}"
                if intervals is not None:
                    lo, hi = intervals[b][method]
                    cell += f" [{lo:.3g}, {hi:.3g}]"
                cells.append(cell)
            out.add_row(method, *cells, f"{ranks.get(method, float('nan')):.2f}")
        console().print(out)
    if versus is not None:
        _print_tests(comparison, data["anytime"])


def _print_tests(comparison, anytime) -> None:
    from rich.table import Table

    tests, seeds = anytime["p_lower"], anytime["seeds"]
    out = Table(
        title=f"one-sided Mann-Whitney p that a method's anytime values over seeds are lower "
        f"than {anytime['versus']}'s (seeds: method/{anytime['versus']})"
    )
    out.add_column("method")
    for benchmark in tests:
        out.add_column(benchmark, justify="right")
    for method in comparison.methods:
        if method == anytime["versus"]:
            continue
        cells = []
        for benchmark, p_values in tests.items():
            if method not in p_values:
                cells.append("-")
                continue
            n, n_versus = seeds[benchmark][method], seeds[benchmark][anytime["versus"]]
            cells.append(f"{p_values[method]:.3g} ({n}/{n_versus})")
        out.add_row(method, *cells)
    console().print(out)
