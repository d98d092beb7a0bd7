"""The commands that write files: ``export`` (records as CSV, Parquet, JSON) and ``plot``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tunesmith.cli.common import (
    CLIError,
    friendly_errors,
    scope_option,
    storage_option,
    study_or_error,
)

__all__ = ["export", "plot"]

_FORMATS = ("csv", "parquet", "json")
_KINDS = ("curves", "best", "parallel", "pareto", "hypervolume")
_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}


@click.command()
@click.argument("name")
@click.option(
    "--format",
    "format_",
    type=click.Choice(_FORMATS),
    default=None,
    help="File format [default: from the suffix of --out].",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write [default: NAME.FORMAT in the current folder].",
)
@storage_option
@friendly_errors
def export(name: str, format_: str | None, out: Path | None, storage: str | None) -> None:
    """Write every reported result of study NAME, one record per report (trial id, status,
    config, metrics), as CSV, Parquet or JSON (a list of records)."""
    if format_ is None and out is None:
        raise click.UsageError(
            "pass --format csv, parquet or json, or --out FILE with one of these suffixes"
        )
    if out is None:
        out = Path(f"{name}.{format_}")
    elif format_ is None:
        format_ = _SUFFIXES.get(out.suffix.lower())
        if format_ is None:
            raise click.UsageError(
                f"cannot tell the format from --out {str(out)!r}; pass --format csv, parquet "
                "or json, or use a suffix .csv, .parquet or .json"
            )
    store, study = study_or_error(storage, name)
    with store:
        path = store.export(study, out, format_)
        count = sum(t["num_results"] for t in store.trials(study))
    click.echo(f"Wrote {count} records of study {name!r} to {path}.")


#: what trials commonly report as their resource, tried in this order when the scheduler names
#: none
_RESOURCE_NAMES = ("epoch", "epochs", "step", "iteration", "training_iteration", "budget")


def _resource_attr(study: Any, records: list[dict[str, Any]]) -> str | None:
    """The scheduler's ``resource_attr`` (e.g. ASHA's ``"epoch"``), else the first of
    :data:`_RESOURCE_NAMES` that every report carries, else None (the report number)."""
    kwargs = (study.scheduler_spec or {}).get("kwargs") or {}
    value = kwargs.get("resource_attr")
    if isinstance(value, str) and value:
        return value
    for name in _RESOURCE_NAMES:
        if records and all(name in row for row in records):
            return name
    return None


@click.command()
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(_KINDS),
    default="curves",
    show_default=True,
    help="curves: the metric of every trial against the resource; best: best value so far; "
    "parallel: parallel coordinates of the configs, colored by the metric; pareto (several "
    "metrics): the Pareto front of the trials; hypervolume (several metrics): the "
    "hypervolume of the results so far.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Image to write: .png, .svg or .pdf [default: NAME-KIND.png].",
)
@click.option("--metric", default=None, help="Metric to plot [default: the study's first].")
@click.option(
    "--mode",
    type=click.Choice(["min", "max"]),
    default=None,
    help="For a metric that is not one of the study's.",
)
@click.option(
    "--resource-attr",
    default=None,
    help="x axis of --kind curves, e.g. epoch [default: the scheduler's resource_attr, else "
    "epoch, step or iteration when every report has it, else the report number].",
)
@click.option(
    "--x",
    "x_axis",
    type=click.Choice(["time", "trials"]),
    default="time",
    show_default=True,
    help="x axis of --kind best: seconds since the study began, or number of trials (for "
    "--kind hypervolume: of results).",
)
@click.option("--log-y", is_flag=True, help="Logarithmic y axis (curves, best).")
@click.option("--dpi", default=120, show_default=True, type=click.IntRange(min=10))
@scope_option
@storage_option
@friendly_errors
def plot(
    name: str,
    kind: str,
    out: Path | None,
    metric: str | None,
    mode: str | None,
    resource_attr: str | None,
    x_axis: str,
    log_y: bool,
    dpi: int,
    scope: str,
    storage: str | None,
) -> None:
    """Plot study NAME to an image file (needs pip install "tunesmith[plot]")."""
    from tunesmith import viz

    viz.import_matplotlib()
    out = out or Path(f"{name}-{kind}.png")
    store, study = study_or_error(storage, name)
    with store:
        if kind in ("pareto", "hypervolume"):
            figure, what = _several_objectives(store, study, kind, x_axis, scope)
        else:
            figure, what = _one_objective(
                store, study, kind, metric, mode, resource_attr, x_axis, log_y
            )
    figure.suptitle(f"{name}", fontsize=10)
    figure.savefig(out, dpi=dpi)
    click.echo(f"Wrote the {kind} plot of study {name!r} ({what}) to {out}.")


def _rows(store: Any, study: Any, x_axis: str) -> list[dict[str, Any]]:
    """The results to plot against ``--x``: timed from the journal, or the stored records."""
    from tunesmith import viz

    if x_axis == "time":
        return viz.timed_results(store.read_events(study))
    return store.records(study)


def _one_objective(
    store: Any,
    study: Any,
    kind: str,
    metric: str | None,
    mode: str | None,
    resource_attr: str | None,
    x_axis: str,
    log_y: bool,
):
    """The figure and a few words on it for ``--kind curves``, ``best`` or ``parallel``."""
    from tunesmith import viz

    metric = metric or study.metrics[0]
    if mode is None:
        if metric in study.metrics:
            mode = study.modes[study.metrics.index(metric)]
        elif kind != "curves":
            raise CLIError(
                f"metric {metric!r} is not one of study {study.name!r}'s metrics "
                f"{study.metrics}; pass --mode min or --mode max to say which values are "
                "better"
            )
    if kind == "curves":
        records = store.records(study)
        resource_attr = resource_attr or _resource_attr(study, records)
        data = viz.training_curves(records, metric, resource_attr, mode=mode)
        figure = viz.plot_training_curves(data, log_y=log_y)
        return figure, f"{len(data.curves)} trials, {data.num_points} points"
    if kind == "best":
        data = viz.best_so_far(_rows(store, study, x_axis), metric, mode, x=x_axis)
        figure = viz.plot_best_so_far(data, log_y=log_y)
        return figure, f"{len(data.values)} {'results' if x_axis == 'time' else 'trials'}"
    from tunesmith.space import space_from_json

    space = space_from_json(study.config_space_json)
    data = viz.parallel_coordinates(store.trials(study), metric, mode, config_space=space)
    figure = viz.plot_parallel_coordinates(data)
    return figure, f"{len(data.trial_ids)} trials, {len(data.axes)} axes"


def _several_objectives(store: Any, study: Any, kind: str, x_axis: str, scope: str):
    """The figure and a few words on it for ``--kind pareto`` or ``hypervolume``."""
    from tunesmith import viz

    if len(study.metrics) < 2:
        raise CLIError(
            f"--kind {kind} needs a study with several metrics, but study {study.name!r} has "
            f"one ({study.metrics[0]!r}); use --kind best or curves"
        )
    if kind == "pareto":
        data = viz.pareto_points(store.records(study), study.metrics, study.modes, scope=scope)
        front = int(data.on_front.sum())
        return viz.plot_pareto_front(data), f"{front} of {len(data.values)} points on the front"
    data = viz.hypervolume_over_time(
        _rows(store, study, x_axis),
        study.metrics,
        study.modes,
        x="time" if x_axis == "time" else "results",
    )
    return viz.plot_hypervolume(data), f"{data.num_results} results"
