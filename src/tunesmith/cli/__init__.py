"""The ``tunesmith`` command: look at, export, plot and delete stored studies.

``main`` is a click group whose subcommands are loaded when used: a module adds its own
(e.g. ``tunesmith bench ...``) with one line in :data:`COMMANDS`, ``"name": "module:object"``,
or at run time with ``main.add_command(group)``. Run ``tunesmith --help``.
"""

from __future__ import annotations

import importlib

import click

from tunesmith import __version__

__all__ = ["COMMANDS", "main"]

#: subcommand name -> "module:attribute" of its click command, imported when first needed
COMMANDS = {
    "studies": "tunesmith.cli.studies:studies",
    "show": "tunesmith.cli.studies:show",
    "trials": "tunesmith.cli.studies:trials",
    "best": "tunesmith.cli.studies:best",
    "delete": "tunesmith.cli.studies:delete",
    "export": "tunesmith.cli.files:export",
    "plot": "tunesmith.cli.files:plot",
    "bench": "tunesmith.experiments.cli:bench",
    "dashboard": "tunesmith.dashboard.cli:dashboard",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when the subcommand is used (or
    listed by ``--help``), so ``tunesmith show`` does not pay for matplotlib or a benchmark."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy, *(n for n in super().list_commands(ctx) if n not in self.lazy)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name]!r} is not a click command")
        self.commands[cmd_name] = command
        return command


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="tunesmith")
def main() -> None:
    """Look at, export, plot and delete the studies in a tunesmith store.

    Every command reads the store given by --storage URL, by default the SQLite file
    $TUNESMITH_HOME/tunesmith.db ($TUNESMITH_HOME defaults to ./tunesmith-results).
    """
