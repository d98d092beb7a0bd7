"""LocalBackend with trial functions that workers cannot import by name: defined in a notebook,
the REPL, ``python -c`` or ``python - < script.py`` (sent by value with cloudpickle), and the
clear error for a function that cannot be sent at all.

Workers are always fresh interpreters (``python -c`` started by the backend, the same on Linux
and macOS), so these tests run the backend's real start method: a notebook kernel and Python
processes started the four ways, each running a small study into a SQLite store here.
"""

import os
import pickle
import subprocess
import sys
import textwrap
import threading

import pytest

import tunesmith
from tunesmith import LocalBackend, RandomSearch, StoppingCriterion, Tuner, uniform
from tunesmith.backends._worker import pickle_function
from tunesmith.testing import trainables
from tunesmith.testing.backend_contract import pid_alive

N_TRIALS = 3

#: the trial function and what it uses, as one writes them in a notebook or at the REPL: a
#: global and a helper function; each trial prints a line and reports two steps and its worker's
#: pid. make_train makes a closure of it. No blank line inside a block, one after each (the
#: REPL needs them).
DEFINITIONS = textwrap.dedent(
    """
    import os
    import tunesmith

    OFFSET = 0.25

    def penalty(x):
        return (x - OFFSET) ** 2

    def train(config, scale=2.0):
        print("x is", config["x"])
        for step in (1, 2):
            loss = scale * penalty(config["x"]) / step
            tunesmith.report(step=step, loss=loss, pid=os.getpid())

    def make_train(scale):
        return lambda config: train(config, scale)

    """
)


def _run_code(fn: str) -> str:
    """The run of trial function ``fn`` (an expression); STORAGE and RUN_DIR come before it."""
    return textwrap.dedent(
        f"""
        from tunesmith import LocalBackend, RandomSearch, StoppingCriterion, Tuner, uniform

        result = Tuner(
            LocalBackend({fn}),
            RandomSearch({{"x": uniform(0, 1)}}, metric="loss", random_seed=0),
            StoppingCriterion(max_num_trials_started={N_TRIALS}),
            n_workers=2,
            verbose=0,
            name="interactive",
            storage=STORAGE,
            run_dir=RUN_DIR,
        ).run()
        print("finished:", len(result.trials))

        """
    )


def _paths(tmp_path):
    return f"sqlite:///{tmp_path / 'store.db'}", str(tmp_path / "run")


def _program(tmp_path, fn: str) -> str:
    storage, run_dir = _paths(tmp_path)
    return f"STORAGE = {storage!r}\nRUN_DIR = {run_dir!r}\n" + DEFINITIONS + _run_code(fn)


def _check_stored(tmp_path, tuner_pid: int | None = None) -> None:
    """The study ran N_TRIALS trials in worker processes, each reporting both steps with the
    losses that the notebook's global and helper give, and no worker is left."""
    study = tunesmith.load_study("interactive", storage=_paths(tmp_path)[0])
    trials = study.trials()
    assert len(trials) == N_TRIALS
    assert {t["status"] for t in trials} == {"completed"}, trials
    records = study.records()
    assert len(records) == 2 * N_TRIALS
    for record in records:
        assert record["loss"] == pytest.approx(2.0 * (record["x"] - 0.25) ** 2 / record["step"])
    pids = {int(record["pid"]) for record in records}
    assert tuner_pid not in pids and os.getpid() not in pids  # ran in workers
    assert not any(pid_alive(pid) for pid in pids)  # which did not outlive the tuner


# -- (a) a notebook, run by a Jupyter kernel -------------------------------------------------------


def test_notebook_function_runs_on_local_backend(tmp_path):
    reason = "the notebook test needs nbclient, nbformat and ipykernel (pip install -e '.[dev]')"
    nbformat = pytest.importorskip("nbformat", reason=reason)
    nbclient = pytest.importorskip("nbclient", reason=reason)
    pytest.importorskip("ipykernel", reason=reason)
    storage, run_dir = _paths(tmp_path)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(DEFINITIONS.strip()),
        nbformat.v4.new_code_cell(
            f"STORAGE = {storage!r}\nRUN_DIR = {run_dir!r}\n" + _run_code("train").strip()
        ),
        # the workers are gone when run() returns, while the kernel still lives
        nbformat.v4.new_code_cell(
            "from tunesmith.testing.backend_contract import live_descendants\n"
            "assert live_descendants() == set(), live_descendants()\n"
            "import sys; print('main file:', getattr(sys.modules['__main__'], '__file__', None))"
        ),
    ]
    path = tmp_path / "tune.ipynb"
    nbformat.write(notebook, path)
    # the kernel is this interpreter (jupyter_client runs the "python3" kernel with it)
    client = nbclient.NotebookClient(
        nbformat.read(path, as_version=4),
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    executed = client.execute()
    out = "".join(
        o.get("text", "") for cell in executed.cells for o in cell.get("outputs", ()) if "text" in o
    )
    assert f"finished: {N_TRIALS}" in out
    assert "[trial 0] x is " in out  # what trials print shows in the notebook
    assert "main file: None" in out  # a notebook: workers cannot import its __main__
    _check_stored(tmp_path)


# -- (b) python -c, (c) python - < script.py, and the REPL -----------------------------------------


def _run(args, tmp_path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def _check_process(proc: subprocess.CompletedProcess, tmp_path) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert f"finished: {N_TRIALS}" in proc.stdout, proc.stdout + proc.stderr
    assert "[trial 0] x is " in proc.stdout
    _check_stored(tmp_path)


def test_python_dash_c(tmp_path):
    _check_process(_run(["-c", _program(tmp_path, "make_train(2.0)")], tmp_path), tmp_path)


def test_python_reading_the_script_from_stdin(tmp_path):
    script = tmp_path / "tune.py"
    script.write_text(_program(tmp_path, "train"))  # no `if __name__ == "__main__":` needed
    with script.open() as stdin:
        _check_process(_run(["-"], tmp_path, stdin=stdin), tmp_path)


def test_script_file_without_main_guard_with_import_main_false(tmp_path):
    # a script file that tunes at top level (notebook-style code saved as a file): workers that
    # imported it would run the tuning again, so with import_main=False they do not, and the
    # function comes by value
    program = _program(tmp_path, "train").replace(
        "LocalBackend(train)", "LocalBackend(train, import_main=False)"
    )
    script = tmp_path / "tune.py"
    script.write_text(program + "print('main ran in', os.getpid())\n")
    proc = _run([str(script)], tmp_path)
    _check_process(proc, tmp_path)
    assert proc.stdout.count("main ran in") == 1


def test_repl(tmp_path):
    # an interactive session fed line by line (-i forces the REPL although stdin is a pipe); a
    # failing statement there prints a traceback and goes on, hence the check of stderr
    _check_process(_run(["-q", "-i"], tmp_path, input=_program(tmp_path, "train")), tmp_path)


# -- what is sent how ------------------------------------------------------------------------------


def test_importable_function_is_sent_by_reference():
    data = pickle_function(trainables.three_reports)
    assert data == pickle.dumps(trainables.three_reports, protocol=pickle.HIGHEST_PROTOCOL)


def test_lambda_and_closure_from_an_importable_module(tmp_path):
    offset = 0.5
    fn = lambda config: {"loss": (config["x"] - offset) ** 2}  # noqa: E731
    result = Tuner(
        LocalBackend(fn, echo_output=False),
        RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=2),
        n_workers=1,
        verbose=0,
        run_dir=tmp_path / "run",
    ).run()
    assert len(result.trials) == 2
    for trial in result.trials.values():
        assert trial.last_result["loss"] == pytest.approx((trial.config["x"] - 0.5) ** 2)


# -- (d) a function that cannot be sent: a clear error before any trial ----------------------------


def test_function_that_cannot_be_sent_is_a_clear_error():
    lock = threading.Lock()

    def train(config):
        with lock:
            tunesmith.report(loss=1.0)

    with pytest.raises(TypeError) as info:
        LocalBackend(train)
    message = str(info.value)
    assert "cannot send the trial function" in message
    assert "test_function_that_cannot_be_sent_is_a_clear_error.<locals>.train" in message
    assert "the variable `lock` of the enclosing function (a _thread.lock)" in message
    assert "Make such objects inside the function" in message


def test_notebook_global_that_cannot_be_sent_fails_before_any_trial(tmp_path):
    program = textwrap.dedent(
        """
        import threading
        from tunesmith import LocalBackend, RandomSearch, Tuner, uniform

        LOCK = threading.Lock()

        def helper():
            with LOCK:
                return 1.0

        def train(config):
            return {"loss": helper()}

        Tuner(
            LocalBackend(train),
            RandomSearch({"x": uniform(0, 1)}, metric="loss"),
            None,
            verbose=0,
            run_dir="run",
        ).run()
        """
    )
    proc = _run(["-c", program], tmp_path)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("TypeError: LocalBackend cannot send the trial function 'train'")
    assert "it uses the global `helper` (a function), which cannot be pickled" in last
    assert "_thread.lock" in last
    assert "multiprocessing" not in proc.stderr  # raised here, not in a worker
    assert not (tmp_path / "run").exists()  # before the tuner, so before any trial
