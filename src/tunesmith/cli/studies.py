"""The commands that read studies (``studies``, ``show``, ``trials``, ``best``) and ``delete``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from tunesmith.cli import common
from tunesmith.cli.common import (
    CLIError,
    NoStoreError,
    emit_json,
    format_counts,
    format_duration,
    format_items,
    format_time,
    format_value,
    friendly_errors,
    hyperparameter_names,
    iso_time,
    json_option,
    metric_label,
    open_store,
    scope_option,
    status_counts,
    storage_option,
    study_or_error,
    where,
)
from tunesmith.ranking import SCOPE_WORDS
from tunesmith.resume import user_metadata
from tunesmith.studies import constraint_attr_of_spec
from tunesmith.trial import TrialStatus

__all__ = ["best", "delete", "show", "studies", "trials"]

#: at most this many hyperparameters get a column of their own; more share one "config" column
_MAX_COLUMNS = 6


def ranked_top(store: Any, study: Any, k: int, scope: str) -> list[dict[str, Any]]:
    """The ``k`` best trials of ``study`` by its metric, ranked as the library ranks them
    (each with ``value``; feasible first in a constrained study). Several metrics: by
    non-dominated front, then crowding distance (each with ``values`` and ``front``)."""
    if len(study.metrics) > 1:
        return store.best(study, k, scope=scope)
    return store.best(
        study,
        k,
        metric=study.metrics[0],
        mode=study.modes[0],
        scope=scope,
        constraint_attr=constraint_attr_of_spec(study.scheduler_spec),
    )


def _summary_top(store: Any, study: Any, scope: str) -> list[dict[str, Any]]:
    """The best trial, or with several metrics the whole Pareto front."""
    if len(study.metrics) > 1:
        return store.pareto_front(study, scope=scope)
    return ranked_top(store, study, 1, scope)


def study_summary(
    study: Any, trials: list[dict[str, Any]], top: list[dict[str, Any]], scope: str
) -> dict[str, Any]:
    """What ``tunesmith studies`` shows of one study (``top``: its best trials, best first;
    with several metrics, ``pareto_front``: the ids of the trials on its front)."""
    summary = {
        "name": study.name,
        "created": iso_time(study.created_time),
        "created_time": study.created_time,
        "metric": study.metric,
        "mode": study.mode,
        "num_trials": len(trials),
        "trials_by_status": status_counts(trials),
    }
    if len(study.metrics) > 1:
        summary["pareto_front"] = [t["trial_id"] for t in top if t["front"] == 0]
    else:
        summary["best_value"] = top[0]["value"] if top else None
        summary["best_trial_id"] = top[0]["trial_id"] if top else None
    summary["scope"] = scope
    return summary


def _trials_table(
    title: str,
    rows: list[dict[str, Any]],
    names: list[str],
    metric: str | list[str],
    *,
    rank: bool,
    scope: str,
):
    """A rich table of ranked trials: rank, id, status, the value of ``metric`` each is ranked
    by (of its last or best report, as ``scope`` says), results, hyperparameters. Several
    metrics: a column per metric (the rows' ``values``) and the non-dominated ``front``."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    if rank:
        table.add_column("#", justify="right")
    table.add_column("trial", justify="right")
    table.add_column("status")
    several = not isinstance(metric, str)
    for name in metric if several else [metric]:
        table.add_column(f"{name} ({SCOPE_WORDS[scope]})", justify="right")
    if several:
        table.add_column("front", justify="right")
    table.add_column("results", justify="right")
    wide = len(names) <= _MAX_COLUMNS
    for name in names if wide else ["config"]:
        table.add_column(name, overflow="fold")
    for i, trial in enumerate(rows, start=1):
        config = trial["config"]
        cells = (
            [format_value(config.get(n)) for n in names] if wide else [format_items(config, names)]
        )
        table.add_row(
            *([str(i)] if rank else []),
            str(trial["trial_id"]),
            trial["status"],
            *(
                [format_value(v) for v in trial["values"]] + [str(trial["front"])]
                if several
                else [format_value(trial["value"])]
            ),
            str(trial["num_results"]),
            *cells,
        )
    return table


@click.command()
@scope_option
@storage_option
@json_option
@friendly_errors
def studies(scope: str, storage: str | None, as_json: bool) -> None:
    """List the studies: name, created, metric and mode, trials by status, best value."""
    try:
        store = open_store(storage)
    except NoStoreError as err:
        if as_json:
            emit_json([])
        else:
            click.echo(f"No studies: {err.message}")
        return
    with store:
        found = [
            (s, study_summary(s, store.trials(s), _summary_top(store, s, scope), scope))
            for s in store.list_studies()
        ]
        location = where(store)
    if as_json:
        emit_json([row for _, row in found])
        return
    if not found:
        click.echo(f"No studies in {location}.")
        return
    from rich.table import Table

    table = Table(title=f"Studies in {location}", title_justify="left")
    table.add_column("study", overflow="fold")
    table.add_column("created", no_wrap=True)
    table.add_column("metric", overflow="fold")
    table.add_column("trials", justify="right")
    table.add_column("by status")
    table.add_column(f"best ({SCOPE_WORDS[scope]})", justify="right")
    for study, row in found:
        table.add_row(
            row["name"],
            format_time(row["created_time"]),
            metric_label(study),
            str(row["num_trials"]),
            format_counts(row["trials_by_status"]),
            format_value(row["best_value"])
            if "best_value" in row
            else f"Pareto front: {len(row['pareto_front'])}",
        )
    common.console().print(table)


@click.command()
@click.argument("name")
@click.option(
    "--top",
    "top_k",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many of the best trials to list.",
)
@scope_option
@storage_option
@json_option
@friendly_errors
def show(name: str, top_k: int, scope: str, storage: str | None, as_json: bool) -> None:
    """Summarize study NAME: trials by status, failures by reason, best value and config,
    number of results, time span, and a table of the best trials."""
    store, study = study_or_error(storage, name)
    several = len(study.metrics) > 1
    with store:
        trials = store.trials(study)
        # several metrics: the whole front (the summary lists it), of which --top are shown
        top = (
            _summary_top(store, study, scope) if several else ranked_top(store, study, top_k, scope)
        )
        location = where(store)
    failures = Counter(
        t["failure_reason"] or "unknown" for t in trials if t["status"] == TrialStatus.FAILED.value
    )
    first = min((t["created_time"] for t in trials), default=None)
    last = max((t["updated_time"] for t in trials), default=None)
    summary = study_summary(study, trials, top, scope)
    summary.update(
        storage=location,
        scheduler=study.scheduler_spec.get("class"),
        seed=study.seed,
        failures_by_reason=dict(failures.most_common()),
        num_results=sum(t["num_results"] for t in trials),
        first_time=first,
        last_time=last,
        duration=None if first is None else last - first,
        best_config=top[0]["config"] if top and not several else None,
        top=top[:top_k],
        metadata=user_metadata(study.metadata),
    )
    if as_json:
        emit_json(summary)
        return
    from rich.table import Table

    names = hyperparameter_names(study, trials)
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    facts.add_row("study", f"{study.name}  ({location})")
    facts.add_row("created", format_time(study.created_time))
    if summary["metadata"]:
        facts.add_row("metadata", format_items(summary["metadata"]))
    facts.add_row("metric", metric_label(study))
    if summary["scheduler"]:
        seed = "" if study.seed is None else f" (seed {study.seed})"
        facts.add_row("scheduler", f"{summary['scheduler']}{seed}")
    facts.add_row("trials", f"{len(trials)}: {format_counts(summary['trials_by_status'])}")
    if failures:
        facts.add_row(
            "failures", ", ".join(f"{r}: {n}" for r, n in summary["failures_by_reason"].items())
        )
    facts.add_row("results", str(summary["num_results"]))
    if first is not None:
        facts.add_row(
            "time span",
            f"{format_time(first)} to {format_time(last)} ({format_duration(last - first)})",
        )
    if several:
        front = summary["pareto_front"]
        facts.add_row(
            "Pareto front",
            f"{len(front)} trials ({SCOPE_WORDS[scope]})"
            if front
            else f"no trial has reported finite values of all of {study.metrics} yet",
        )
    elif top:
        facts.add_row(
            "best",
            f"{study.metrics[0]} = {format_value(top[0]['value'])} "
            f"(trial {top[0]['trial_id']}, {SCOPE_WORDS[scope]}): "
            f"{format_items(top[0]['config'], names)}",
        )
    else:
        facts.add_row("best", f"no finite value of {study.metrics[0]!r} reported yet")
    out = common.console()
    out.print(facts)
    if several and top:
        out.print()
        shown = summary["top"]
        title = f"Pareto front of {metric_label(study)}"
        if len(shown) < len(top):
            title += f": {len(shown)} of {len(top)} (--top), the extremes first"
        out.print(_trials_table(title, shown, names, study.metrics, rank=True, scope=scope))
    elif top:
        out.print()
        title = f"Top {len(top)} by {study.metrics[0]} ({study.modes[0]})"
        out.print(_trials_table(title, top, names, study.metrics[0], rank=True, scope=scope))


def _failure(trial: dict[str, Any]) -> str:
    reason = trial["failure_reason"]
    if not reason:
        return ""
    lines = [line.strip() for line in (trial["failure_detail"] or "").splitlines() if line.strip()]
    if not lines:
        return reason
    detail = lines[-1] if len(lines[-1]) <= 60 else lines[-1][:59] + "…"
    return f"{reason}: {detail}"


@click.command()
@click.argument("name")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in TrialStatus]),
    help="Only trials of this status (repeat the option for several).",
)
@storage_option
@json_option
@friendly_errors
def trials(name: str, statuses: tuple[str, ...], storage: str | None, as_json: bool) -> None:
    """List the trials of study NAME: id, status, config, last reported metrics, failure."""
    store, study = study_or_error(storage, name)
    with store:
        rows = store.trials(study)
    names = hyperparameter_names(study, rows)
    if statuses:
        rows = [t for t in rows if t["status"] in statuses]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        which = f" with status {' or '.join(statuses)}" if statuses else ""
        click.echo(f"Study {name!r} has no trials{which}.")
        return
    from rich.table import Table

    table = Table(title=f"Trials of {name} ({len(rows)})", title_justify="left")
    table.add_column("trial", justify="right")
    table.add_column("status")
    table.add_column("config", overflow="fold")
    table.add_column("last result", overflow="fold")
    table.add_column("failure", overflow="fold")
    for t in rows:
        last = {k: v for k, v in (t["last_result"] or {}).items() if not k.startswith("ts_")}
        table.add_row(
            str(t["trial_id"]),
            t["status"],
            format_items(t["config"], names),
            format_items(last),
            _failure(t),
        )
    common.console().print(table)


@click.command()
@click.argument("name")
@click.option(
    "--k",
    "k",
    default=None,
    type=click.IntRange(min=1),
    help="How many of the best configs to list [default: 1; several metrics: the whole front].",
)
@click.option("--metric", default=None, help="Rank by this metric [default: the study's first].")
@click.option(
    "--mode",
    type=click.Choice(["min", "max"]),
    default=None,
    help="For a metric that is not one of the study's.",
)
@scope_option
@storage_option
@json_option
@friendly_errors
def best(
    name: str,
    k: int | None,
    metric: str | None,
    mode: str | None,
    scope: str,
    storage: str | None,
    as_json: bool,
) -> None:
    """Print the best config(s) of study NAME, best first. For a study with several metrics
    (unless --metric picks one): its Pareto front, the extremes first (all of it unless --k
    is given)."""
    store, study = study_or_error(storage, name)
    if metric is None and len(study.metrics) > 1:
        with store:
            rows = store.pareto_front(study, scope=scope)
            names = hyperparameter_names(study, rows)
        rows = rows if k is None else rows[:k]
        if as_json:
            emit_json(rows)
        elif not rows:
            click.echo(
                f"No trial of study {name!r} has reported finite values of all of "
                f"{study.metrics} yet."
            )
        else:
            title = f"Pareto front of {name}: {metric_label(study)}"
            table = _trials_table(title, rows, names, study.metrics, rank=True, scope=scope)
            common.console().print(table)
        return
    k = 1 if k is None else k
    with store:
        metric = metric or study.metrics[0]
        if mode is None and metric not in study.metrics:
            raise CLIError(
                f"metric {metric!r} is not one of study {name!r}'s metrics {study.metrics}; "
                "pass --mode min or --mode max to say which values are better"
            )
        rows = store.best(
            study,
            k,
            metric=metric,
            mode=mode,
            scope=scope,
            constraint_attr=constraint_attr_of_spec(study.scheduler_spec),
        )
        names = hyperparameter_names(study, rows)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(f"No trial of study {name!r} has reported a finite value of {metric!r} yet.")
        return
    mode = mode or study.modes[study.metrics.index(metric)]
    title = f"Best {len(rows)} of {name} by {metric} ({mode})"
    common.console().print(_trials_table(title, rows, names, metric, rank=True, scope=scope))


@click.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@storage_option
@friendly_errors
def delete(name: str, yes: bool, storage: str | None) -> None:
    """Delete study NAME with its journal, trials and results (asks first, unless --yes)."""
    store, study = study_or_error(storage, name)
    with store:
        rows = store.trials(study)
        what = (
            f"study {name!r} ({len(rows)} trials, {sum(t['num_results'] for t in rows)} results) "
            f"from {where(store)}"
        )
        if not yes:
            if not common.stdin_is_interactive():
                raise CLIError(
                    f"not deleting {what}: delete asks for confirmation and the standard input "
                    "is not a terminal; pass --yes to delete without asking"
                )
            click.confirm(f"Delete {what}? This cannot be undone", abort=True)
        store.delete_study(study)
    click.echo(f"Deleted {what}.")
    run_dir = study.metadata.get("run_dir")
    if isinstance(run_dir, str) and Path(run_dir).is_dir():
        click.echo(f"Its trial folders (checkpoints, logs) are still in {run_dir}.")
