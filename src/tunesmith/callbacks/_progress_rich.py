"""The progress view drawn with rich: a live view on a terminal (rich.progress for the bar) and
the same renderable shown in a Jupyter notebook (rich's HTML rendering, in a display updated in
place). Imported only when one of them is used: rich takes ~50 ms to import."""

from __future__ import annotations

import atexit
from typing import Any

from rich.console import Console
from rich.jupyter import JupyterMixin
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table
from rich.text import Text

from tunesmith.callbacks._progress_data import Snapshot, duration

__all__ = ["NotebookView", "TerminalView", "render"]


class _View(JupyterMixin):
    """One frame: the bar (a rich.progress task), the counts, the best result and the rungs."""

    def __init__(self, console: Console | None = None):
        self.progress = Progress(
            TextColumn("[bold]tunesmith[/bold] {task.description}"),
            BarColumn(bar_width=None),
            TaskProgressColumn(),
            TextColumn("{task.fields[amount]}"),
            TextColumn("[cyan]{task.fields[eta]}"),
            TextColumn("{task.fields[rate]}"),
            console=console,
            auto_refresh=False,
            expand=True,
        )
        self.task = self.progress.add_task("", total=None, amount="", eta="", rate="")
        self.snapshot: Snapshot | None = None

    def set(self, snap: Snapshot) -> None:
        self.snapshot = snap
        b = snap.budget
        amount = f"{b.label} {b.amount()}" if b is not None else _elapsed(snap)
        self.progress.update(
            self.task,
            description=snap.name,
            completed=b.done if b is not None else 0,
            total=b.total if b is not None else None,
            amount=amount,
            eta=snap.eta() if b is not None else "",
            rate=snap.rate(),
        )

    def __rich_console__(self, console, options):
        yield self.progress.make_tasks_table(self.progress.tasks)
        snap = self.snapshot
        if snap is None:
            return
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        counts = Text()
        for label, n, style in (
            ("running", snap.running, "green"),
            ("completed", snap.completed, ""),
            ("stopped", snap.stopped, ""),
            ("paused", snap.paused, "yellow" if snap.paused else ""),
            ("failed", snap.failed, "red" if snap.failed else ""),
            ("results", snap.results, ""),
        ):
            counts.append(f"{label} ")
            counts.append(str(n), style=style or "bold")
            counts.append("   ")
        table.add_row("trials", counts)
        if snap.budget is not None:
            table.add_row("elapsed", _elapsed(snap))
        best = snap.best_text()
        if best is not None:
            key = "front" if snap.front is not None else "best"
            value = best.removeprefix("best ") if key == "best" else best
            table.add_row(key, Text(value, style="magenta"))
        if snap.rungs:
            rungs = Text()
            for level, n in snap.rungs:
                rungs.append(f"{level}: ", style="dim")
                rungs.append(f"{n}   ")
            table.add_row("rungs reached", rungs)
        yield table


def render(snap: Snapshot) -> _View:
    """The renderable of ``snap`` (what the live view draws), e.g. to print or record it."""
    view = _View()
    view.set(snap)
    return view


class TerminalView:
    """A rich live view of :class:`_View`, redrawn when :meth:`update` is called (the callback
    limits the rate); what the program prints meanwhile goes above it."""

    def __init__(self, snap: Snapshot, console: Console | None = None):
        from rich.live import Live

        self.view = _View(console)
        self.view.set(snap)
        self.live = Live(self.view, console=console, auto_refresh=False, transient=False)
        self.live.start(refresh=True)  # rich.errors.LiveError if another live view is on
        # a run that ends by an exception does not call on_tuning_end: the terminal gets its
        # cursor back at exit all the same
        atexit.register(self.live.stop)

    def update(self, snap: Snapshot) -> None:
        self.view.set(snap)
        self.live.refresh()

    def print(self, line: str) -> None:
        self.live.console.print(Text(line), soft_wrap=True)

    def close(self, line: str) -> None:
        self.live.refresh()
        self.live.stop()
        atexit.unregister(self.live.stop)
        self.live.console.print(Text(line), soft_wrap=True)


class NotebookView:
    """The same frame in a Jupyter notebook: one display, updated in place (IPython's display
    handles; rich's ``Live`` would need ipywidgets there)."""

    def __init__(self, snap: Snapshot):
        from IPython.display import display

        self.view = _View(Console(force_jupyter=True))
        self.view.set(snap)
        self.handle: Any = display(self.view, display_id=True)

    def update(self, snap: Snapshot) -> None:
        self.view.set(snap)
        self.handle.update(self.view)

    def close(self, line: str) -> None:
        self.handle.update(self.view)
        print(line, flush=True)


def _elapsed(snap: Snapshot) -> str:
    return duration(snap.elapsed)
