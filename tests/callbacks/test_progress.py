"""The progress view: what it computes (budgets, ETA, best, rungs), the plain line written to a
pipe, the live view in a pseudo-terminal, and the display in a Jupyter notebook."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import textwrap
import time

import pytest

from tunesmith import ASHA, RandomSearch, StoppingCriterion, Tuner, uniform
from tunesmith.callbacks import ProgressCallback, TunerCallback
from tunesmith.callbacks._progress_data import Budget, Snapshot, budgets, format_line
from tunesmith.stopping import TuningStatus
from tunesmith.testing.inline_backend import InlineBackend

SPACE = {"x": uniform(0, 1), "epochs": 9}


def curve(config, start):
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch}


def failing_curve(config, start):
    if config["x"] > 0.7:
        raise RuntimeError("diverged\nloss is nan")
    yield from curve(config, start)


class Spy(TunerCallback):
    """Takes the progress callback's snapshot after every result."""

    def __init__(self, progress: ProgressCallback):
        self.progress = progress
        self.snaps: list[Snapshot] = []

    def on_trial_result(self, trial, result, decision):
        self.snaps.append(self.progress.snapshot(force=True))


def run(scheduler=None, stop=None, fn=curve, progress=None, **kwargs):
    progress = progress or ProgressCallback(mode="lines", line_interval=3600)
    spy = Spy(progress)
    tuner = Tuner(
        InlineBackend(fn),
        scheduler or RandomSearch(SPACE, metric="loss", random_seed=0),
        stop or StoppingCriterion(max_num_trials_started=6),
        2,
        callbacks=[progress, spy],
        storage="memory",
        **kwargs,
    )
    return tuner, tuner.run(), spy.snaps


# -- what is computed ---------------------------------------------------------------------------


def test_budget_that_binds_first_is_the_bar():
    status = TuningStatus(num_trials_started=10, num_trials_completed=8, cost=3.0)
    criterion = StoppingCriterion(max_num_trials_started=20, max_wallclock_time=100, max_cost=4)
    start = {"elapsed": 0.0}
    found = budgets(criterion, status, elapsed=50.0, running=2, start=start)
    # trials: 8 of 20 done in 50 s -> 75 s left; time: 50 s left; cost: 3 of 4 -> 16.7 s left
    assert [b.label for b in found] == ["cost", "time", "trials"]
    assert found[0].eta == pytest.approx(50 / 3)
    assert found[1].eta == pytest.approx(50.0)
    assert found[2].eta == pytest.approx(75.0)
    assert found[2].amount() == "8/20" and found[1].amount() == "50.0 s/1:40 min"
    # no rate yet for trials: the limit used the most goes first
    found = budgets(criterion, TuningStatus(), elapsed=10.0, running=0, start=start)
    assert [b.label for b in found] == ["time", "trials", "cost"]
    # a callable criterion, or None: no bar
    assert budgets(lambda s: False, status, elapsed=1.0, running=0, start=start) == []
    assert budgets(None, status, elapsed=1.0, running=0, start=start) == []


def test_rate_counts_only_this_run():
    """A resumed study counts its earlier trials in the bar, not in the rate."""
    status = TuningStatus(num_trials_started=12)
    criterion = StoppingCriterion(max_num_trials_started=20)
    start = {"elapsed": 100.0, "trials": 10.0}
    (b,) = budgets(criterion, status, elapsed=110.0, running=0, start=start)
    assert (b.done, b.total) == (12, 20)
    assert b.eta == pytest.approx(8 * 10 / 2)  # 2 trials in this run's 10 s


def test_format_line():
    snap = Snapshot(
        name="study",
        elapsed=12.34,
        budget=Budget("trials", 7, 20, eta=23.0),
        running=2,
        completed=4,
        stopped=1,
        paused=0,
        failed=0,
        results=31,
        trials_per_min=25.0,
        results_per_s=2.5,
        best="loss=0.0123 (trial 4)",
        best_config="lr=0.01, width=32",
        rungs=[(1, 7), (3, 3), (9, 1)],
    )
    assert format_line(snap) == (
        "tunesmith study | trials 7/20 35% | 12.3 s | ETA 23.0 s | 25 trials/min, 2.5 results/s"
        " | running 2, completed 4, stopped 1, paused 0, failed 0, results 31"
        " | best loss=0.0123 (trial 4): lr=0.01, width=32 | rungs 1:7 3:3 9:1"
    )


def test_snapshots_follow_the_run():
    scheduler = ASHA(SPACE, metric="loss", resource_attr="epoch", max_t=9, random_seed=0)
    _, result, snaps = run(scheduler)
    last = snaps[-1]
    assert last.budget.label == "trials" and last.budget.total == 6
    assert last.results == len(result.results)
    best = result.best_result()
    assert last.best == f"loss={best['loss']:.6g} (trial {best['trial_id']})"
    assert last.best_config.startswith("x=")
    assert [level for level, _ in last.rungs] == [*scheduler.rung_levels, 9] == [1, 3, 9]
    reached = {}
    for row in result.results:
        reached[row["trial_id"]] = max(reached.get(row["trial_id"], 0), row["epoch"])
    assert last.rungs == [(lv, sum(r >= lv for r in reached.values())) for lv in [1, 3, 9]]
    assert [s.results for s in snaps] == list(range(1, len(result.results) + 1))


def test_several_objectives_show_the_front_size():
    space = {"x": uniform(0, 1), "epochs": 2}

    def two(config, start):
        for epoch in range(start + 1, 3):
            yield {"epoch": epoch, "a": config["x"], "b": 1 - config["x"] + 0.1 * epoch}

    scheduler = RandomSearch(space, metric=["a", "b"], mode=["min", "min"], random_seed=0)
    _, result, snaps = run(scheduler, fn=two)
    assert snaps[-1].best is None
    assert snaps[-1].front == len(result.pareto_front())
    assert snaps[-1].best_text() == f"Pareto front {snaps[-1].front} trials"


def test_lines_in_a_run(capsys):
    """line_interval=0: a line at every event, then the end; verbose=2 adds trial lines."""
    progress = ProgressCallback(mode="lines", line_interval=0, per_trial=True)
    run(fn=failing_curve, progress=progress, max_failures=10)
    out = capsys.readouterr().out.splitlines()
    status = [x for x in out if x.startswith("tunesmith ")]
    assert status[-1].startswith("tunesmith ") and " done: 6 trials" in status[-1]
    assert re.fullmatch(r"tunesmith \S+ \| trials \d/6 \d+% \| .*", status[-2])
    trial_lines = [x for x in out if x.startswith("trial ")]
    assert len(trial_lines) == 6
    assert any(re.fullmatch(r"trial \d failed \(exception\): .*loss is nan", x) for x in out)
    assert any(
        re.fullmatch(r"trial \d completed after 9 results: loss=\S+ \| x=\S+, epochs=9", x)
        for x in trial_lines
    )


def test_verbose_chooses_the_view(capsys):
    def tuner(verbose, callbacks=()):
        return Tuner(
            InlineBackend(curve),
            RandomSearch(SPACE, metric="loss", random_seed=0),
            StoppingCriterion(max_num_trials_started=2),
            verbose=verbose,
            callbacks=list(callbacks),
            storage="memory",
        )

    assert tuner(0)._default_callbacks() == []
    (default,) = tuner(1)._default_callbacks()
    assert isinstance(default, ProgressCallback) and default.mode == "lines"
    assert not default.per_trial and tuner(2)._default_callbacks()[0].per_trial
    own = ProgressCallback(mode="lines")
    assert tuner(1, [own])._default_callbacks() == []  # the user's own replaces it
    tuner(1).run()
    assert capsys.readouterr().out.count("\n") == 1  # the end's line: a short run, no other


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mode": "tty"}, "`mode` must be one of ['auto', 'terminal', 'notebook', 'lines'], "),
        ({"refresh_per_second": 0}, "`refresh_per_second` must be a number > 0, but got "),
        ({"line_interval": -1}, "`line_interval` must be a number >= 0, but got line_interval=-1"),
        ({"line_interval": "30"}, "`line_interval` must be a number >= 0, but got "),
        ({"delay": -0.5}, "`delay` must be a number >= 0, but got delay=-0.5"),
        ({"delay": float("nan")}, "`delay` must be a number >= 0, but got delay=nan"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as err:
        ProgressCallback(**kwargs)
    assert str(err.value).startswith(message)


def test_resumed_study_counts_its_earlier_rungs(tmp_path):
    storage = f"sqlite:///{tmp_path / 'store.db'}"

    def scheduler():
        return ASHA(SPACE, metric="loss", resource_attr="epoch", max_t=9, random_seed=0)

    kwargs = {"name": "resumed", "storage": storage, "run_dir": tmp_path / "run"}
    first = Tuner(
        InlineBackend(curve),
        scheduler(),
        StoppingCriterion(max_num_trials_started=4),
        verbose=0,
        **kwargs,
    ).run()
    progress = ProgressCallback(mode="lines", line_interval=3600)
    seen = []

    class AtStart(TunerCallback):
        def on_tuning_start(self, tuner):
            seen.append(progress.snapshot(force=True))

    Tuner(
        InlineBackend(curve),
        scheduler(),
        StoppingCriterion(max_num_trials_started=6),
        callbacks=[progress, AtStart()],
        **kwargs,
    ).run()
    snap = seen[0]
    assert snap.budget.done == 4 and snap.budget.total == 6 and snap.budget.eta is None
    assert snap.rungs[0] == (1, len(first.trials))
    assert snap.best is not None


# -- the views, as a user sees them -------------------------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import sys
    import time
    import tunesmith
    from tunesmith import ASHA, LocalBackend, StoppingCriterion, Tuner, uniform
    from tunesmith.callbacks import ProgressCallback


    def train(config):
        if "--slow" in sys.argv:  # a run longer than the terminal view's delay (0.5 s)
            time.sleep(0.3)
        for epoch in range(1, 10):
            tunesmith.report(epoch=epoch, loss=config["x"] + 1.0 / epoch)


    if __name__ == "__main__":
        every = ProgressCallback(mode="lines", line_interval=0, per_trial=True)
        callbacks = [every] if "--every" in sys.argv else []
        tuner = Tuner(
            LocalBackend(train),
            ASHA({"x": uniform(0, 1)}, metric="loss", resource_attr="epoch", max_t=9,
                 random_seed=0),
            StoppingCriterion(max_num_trials_started=6),
            n_workers=2,
            storage="memory",
            verbose=int(sys.argv[1]),
            callbacks=callbacks,
        )
        print("best", tuner.run().best_config())
    """
)


def _script(tmp_path):
    path = tmp_path / "tune.py"
    path.write_text(SCRIPT)
    return path


def test_pipe_gets_plain_lines(tmp_path):
    out = subprocess.run(
        [sys.executable, str(_script(tmp_path)), "2", "--every"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "\x1b[" not in out  # no terminal codes in a log
    lines = out.splitlines()
    status = [x for x in lines if x.startswith("tunesmith tune-")]
    assert len(status) >= 6
    pattern = (
        r"tunesmith tune-\S+ \| trials \d/6 \d+% \| \d+\.\d s \| ETA (-|\S+ s) \| "
        r"(rate -|\S+ trials/min, \S+ results/s) \| running \d, completed \d, stopped \d, "
        r"paused \d, failed 0, results \d+( \| best loss=\S+ \(trial \d\): x=\S+)?"
        r" \| rungs 1:\d 3:\d 9:\d"
    )
    for line in status[:-1]:
        assert re.fullmatch(pattern, line), line
    assert re.fullmatch(r"tunesmith tune-\S+ done: 6 trials .*", status[-1])
    assert len([x for x in lines if re.match(r"trial \d (completed|stopped) after", x)]) == 6
    assert lines[-1].startswith("best {'x': ")


def _read_pty(fd: int, proc: subprocess.Popen, deadline: float) -> bytes:
    chunks = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    return b"".join(chunks)


def test_terminal_gets_the_live_view(tmp_path):
    import pty

    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, str(_script(tmp_path)), "1", "--slow"],
        cwd=tmp_path,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    try:
        raw = _read_pty(primary, proc, time.monotonic() + 120)
        assert proc.wait(timeout=60) == 0, raw.decode(errors="replace")
    finally:
        os.close(primary)
        if proc.poll() is None:
            proc.kill()
    out = raw.decode(errors="replace")
    assert "\x1b[" in out  # drawn with terminal codes
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    assert "━" in plain  # rich.progress's bar
    assert re.search(r"tunesmith tune-\S+ +━+ +100% trials 6/6 ETA 0\.0 s", plain), plain
    assert re.search(r"trials +running 0 +completed \d +stopped \d +paused 0 +failed 0", plain)
    assert re.search(r"best +loss=\S+ \(trial \d\): x=", plain)
    assert re.search(r"rungs reached +1: 6 +3: \d +9: \d", plain)
    assert re.search(r"done: 6 trials \(.*\) in \S+ s; best loss=", plain)
    assert "best {'x': " in plain


def test_notebook_gets_a_display_updated_in_place(tmp_path):
    reason = "the notebook test needs nbclient, nbformat and ipykernel (pip install -e '.[dev]')"
    nbformat = pytest.importorskip("nbformat", reason=reason)
    nbclient = pytest.importorskip("nbclient", reason=reason)
    pytest.importorskip("ipykernel", reason=reason)
    code = SCRIPT.split('if __name__ == "__main__":')[0] + textwrap.dedent(
        """
        tuner = Tuner(
            LocalBackend(train),
            ASHA({"x": uniform(0, 1)}, metric="loss", resource_attr="epoch", max_t=9,
                 random_seed=0),
            StoppingCriterion(max_num_trials_started=4),
            n_workers=2,
            storage="memory",
            name="nb",
        )
        print("best", tuner.run().best_config())
        """
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code)]
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    outputs = client.execute().cells[0].outputs
    displays = [o for o in outputs if o["output_type"] == "display_data"]
    assert len(displays) == 1  # one display, updated in place
    html = displays[0]["data"]["text/html"]
    text = re.sub(r"<[^>]+>", "", html)
    assert "tunesmith nb" in text and "100%" in text and "trials 4/4" in text
    assert "rungs reached" in text
    assert re.search(r"best\s+loss=", text)
    printed = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "done: 4 trials" in printed and "best {'x': " in printed


def test_a_run_shorter_than_the_delay_draws_no_view(capsys, monkeypatch):
    """The terminal view appears only after ``delay`` seconds of the run: a shorter run prints
    its final line alone (and never imports rich's view for it)."""
    from tunesmith.callbacks import _progress_rich

    def never(*args, **kwargs):
        raise AssertionError("the view was drawn before its delay")

    monkeypatch.setattr(_progress_rich, "TerminalView", never)
    progress = ProgressCallback(mode="terminal", delay=3600, per_trial=True)
    run(stop=StoppingCriterion(max_num_trials_started=2), progress=progress, name="t")
    assert progress.mode == "terminal"
    lines = capsys.readouterr().out.splitlines()
    assert [x.split(" after ")[0] for x in lines[:2]] == ["trial 0 completed", "trial 1 completed"]
    assert lines[2].startswith("tunesmith t done: 2 trials") and len(lines) == 3


def test_a_second_live_view_falls_back_to_lines(capsys, monkeypatch):
    """rich < 14 allows one live view per console (LiveError): a second run's view (a tuner in
    another thread) then prints lines instead of failing."""
    from rich.errors import LiveError

    from tunesmith.callbacks import _progress_rich

    def refuse(*args, **kwargs):
        raise LiveError("Only one live display may be active at once")

    monkeypatch.setattr(_progress_rich, "TerminalView", refuse)
    progress = ProgressCallback(mode="terminal", delay=0)
    run(stop=StoppingCriterion(max_num_trials_started=2), progress=progress, name="t")
    assert progress.mode == "lines"
    assert capsys.readouterr().out.startswith("tunesmith t done: 2 trials")
