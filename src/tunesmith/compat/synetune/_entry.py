"""Starts a Syne Tune training script as Syne Tune's local backend does: ``python -m
tunesmith.compat.synetune._entry [--json] SCRIPT --name value ...`` replaces itself (``exec``,
same process) by ``python SCRIPT --name value ... --st_checkpoint_dir DIR``, where DIR is the
trial's checkpoint folder (``$TUNESMITH_CHECKPOINT_DIR``, kept when a paused trial resumes).
With ``--json`` the config goes as ``--st_config_json_filename FILE`` (``$TUNESMITH_CONFIG``)
instead of arguments.

As with Syne Tune's local backend, DIR exists only once something was written there: an empty
checkpoint folder (a fresh start) is removed first, so a script that tests
``os.path.isdir(checkpoint_dir)`` before loading starts from scratch."""

from __future__ import annotations

import contextlib
import os
import sys


def command(argv: list[str]) -> list[str]:
    """The command line that runs the script for this launcher's arguments ``argv``."""
    as_json = bool(argv) and argv[0] == "--json"
    if as_json:
        argv = argv[1:]
    script, args = argv[0], argv[1:]
    if as_json:
        args = ["--st_config_json_filename", os.environ.get("TUNESMITH_CONFIG", "")]
    checkpoint = os.environ.get("TUNESMITH_CHECKPOINT_DIR")
    if checkpoint:
        args += ["--st_checkpoint_dir", checkpoint]
    return [sys.executable, script, *args]


def drop_empty_checkpoint() -> None:
    """Remove the trial's checkpoint folder if it is empty (Syne Tune's backend creates none)."""
    checkpoint = os.environ.get("TUNESMITH_CHECKPOINT_DIR")
    if checkpoint:
        with contextlib.suppress(OSError):  # not empty (a checkpoint to resume from), or gone
            os.rmdir(checkpoint)


if __name__ == "__main__":
    drop_empty_checkpoint()
    line = command(sys.argv[1:])
    sys.stdout.flush()
    os.execv(line[0], line)
