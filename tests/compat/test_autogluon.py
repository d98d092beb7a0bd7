# ruff: noqa: E501  (the seed's tutorial code is kept as written, long lines included)
"""tunesmith.compat.autogluon: the seed's tutorial code (AutoGluon's FIFO/Hyperband toy and
random search vs RL) runs with only its import line changed, as a top-level script without a
main guard; the front end makes the decisions of the native calls it maps to; bad arguments
fail as in AutoGluon (AssertionError, here also TypeError/ValueError) with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import tunesmith.compat.autogluon as ag
from tunesmith import (
    FIFOScheduler,
    HyperbandScheduler,
    LocalBackend,
    RLScheduler,
    StoppingCriterion,
    Tuner,
    loguniform,
    uniform,
)
from tunesmith.searchers import RandomSearcher

#: seed 001's code, with `import autogluon.core as ag` changed and nothing else (the 3-D plot of
#: the reward surface is left out: `fig.gca(projection='3d')` is gone from matplotlib >= 3.6;
#: num_trials is smaller to keep the test short)
TOY = """
import numpy as np
import tunesmith.compat.autogluon as ag

@ag.args(
    lr=ag.space.Real(1e-3, 1e-2, log=True),
    wd=ag.space.Real(1e-3, 1e-2),
    epochs=10)
def train_fn(args, reporter):
    for e in range(args.epochs):
        dummy_accuracy = 1 - np.power(1.8, -np.random.uniform(e, 2*e))
        reporter(epoch=e+1, accuracy=dummy_accuracy, lr=args.lr, wd=args.wd)

scheduler = ag.scheduler.FIFOScheduler(train_fn,
                                       resource={'num_cpus': 2, 'num_gpus': 0},
                                       num_trials=20,
                                       reward_attr='accuracy',
                                       time_attr='epoch')
scheduler.run()
scheduler.join_jobs()

scheduler.get_training_curves(plot=True, use_legend=False)
print("FIFO", len(scheduler.training_history), sorted({len(v) for v in scheduler.training_history.values()}))

scheduler = ag.scheduler.HyperbandScheduler(train_fn,
                                            resource={'num_cpus': 2, 'num_gpus': 0},
                                            num_trials=100,
                                            reward_attr='accuracy',
                                            time_attr='epoch',
                                            grace_period=1,
                                            reduction_factor=3,
                                            type='stopping')
scheduler.run()
scheduler.join_jobs()

scheduler.get_training_curves(plot=True, use_legend=False)
print("HB", len(scheduler.training_history), sorted({len(v) for v in scheduler.training_history.values()}))
"""

RL = """
import numpy as np
import tunesmith.compat.autogluon as ag

import matplotlib.pyplot as plt
from mpl_toolkits.mplot3d import Axes3D

def gaussian2d(x, y, x0, y0, xalpha, yalpha, A):
    return A * np.exp( -((x-x0)/xalpha)**2 -((y-y0)/yalpha)**2)

x, y = np.linspace(0, 99, 100), np.linspace(0, 99, 100)
X, Y = np.meshgrid(x, y)

Z = np.zeros(X.shape)
ps = [(20, 70, 35, 40, 1),
      (80, 40, 20, 20, 0.7)]
for p in ps:
    Z += gaussian2d(X, Y, *p)

@ag.args(
    x=ag.space.Categorical(*list(range(100))),
    y=ag.space.Categorical(*list(range(100))),
)
def rl_simulation(args, reporter):
    x, y = args.x, args.y
    reporter(accuracy=Z[y][x])

random_scheduler = ag.scheduler.FIFOScheduler(rl_simulation,
                                              resource={'num_cpus': 1, 'num_gpus': 0},
                                              num_trials=NUM_TRIALS,
                                              reward_attr="accuracy",
                                              resume=False)
random_scheduler.run()
random_scheduler.join_jobs()
print('Best config: {}, best reward: {}'.format(random_scheduler.get_best_config(), random_scheduler.get_best_reward()))

rl_scheduler = ag.scheduler.RLScheduler(rl_simulation,
                                        resource={'num_cpus': 1, 'num_gpus': 0},
                                        num_trials=NUM_TRIALS,
                                        reward_attr="accuracy",
                                        controller_batch_size=4,
                                        controller_lr=5e-3)
rl_scheduler.run()
rl_scheduler.join_jobs()
print('Best config: {}, best reward: {}'.format(rl_scheduler.get_best_config(), rl_scheduler.get_best_reward()))

results_rl = [v[0]['accuracy'] for v in rl_scheduler.training_history.values()]
results_random = [v[0]['accuracy'] for v in random_scheduler.training_history.values()]

import statistics
results1 = [statistics.mean(results_random[i:i+10]) for i in range(0, len(results_random), 10)]
results2 = [statistics.mean(results_rl[i:i+10]) for i in range(0, len(results_rl), 10)]

plt.plot(range(len(results1)), results1, range(len(results2)), results2)
print("RESULTS", len(results_random), len(results_rl), len(results1), len(results2))
"""


def _run_script(tmp_path, code: str) -> str:
    script = tmp_path / "tutorial.py"
    script.write_text(code)
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_fifo_and_hyperband_toy_runs_as_written(tmp_path):
    out = _run_script(tmp_path, TOY)
    assert "FIFO 20 [10]" in out  # every FIFO trial ran its 10 epochs
    hb = next(line for line in out.splitlines() if line.startswith("HB "))
    assert hb.startswith("HB 100 ")
    lengths = eval(hb.split(" ", 2)[2])
    assert set(lengths) <= {1, 3, 9, 10} and 10 in lengths and len(lengths) > 1  # stopped at rungs


def test_random_search_vs_rl_runs_as_written(tmp_path):
    out = _run_script(tmp_path, RL.replace("NUM_TRIALS", "60"))
    assert out.count("Best config: {'x': ") == 2
    assert "RESULTS 60 60 6 6" in out


# -- decisions: the same as the native calls ---------------------------------------------------


@ag.args(lr=ag.space.Real(1e-3, 1e-2, log=True), wd=ag.space.Real(1e-3, 1e-2), epochs=9)
def deterministic_fn(args, reporter):
    for e in range(args.epochs):
        reporter(epoch=e + 1, accuracy=1 - (args.lr * 50 + args.wd * 20) / (e + 1))


def native_train(config):
    import tunesmith

    for e in range(9):
        tunesmith.report(
            epoch=e + 1, accuracy=1 - (config["lr"] * 50 + config["wd"] * 20) / (e + 1)
        )


SPACE = {"lr": loguniform(1e-3, 1e-2), "wd": uniform(1e-3, 1e-2)}
DEFAULT = {"lr": loguniform(1e-3, 1e-2).default(), "wd": uniform(1e-3, 1e-2).default()}
ONE_WORKER = {"num_cpus": os.cpu_count(), "num_gpus": 0}


def _native_run(scheduler, n: int):
    result = Tuner(
        LocalBackend(native_train, echo_output=False),
        scheduler,
        StoppingCriterion(max_num_trials_started=n),
        n_workers=1,
        verbose=0,
        storage="memory",
    ).run()
    configs = [result.trials[i].config for i in sorted(result.trials)]
    lengths = {}
    for report in result.results:
        lengths[report["trial_id"]] = lengths.get(report["trial_id"], 0) + 1
    return configs, [lengths[i] for i in sorted(lengths)]


def _compat_run(scheduler):
    scheduler.run()
    scheduler.join_jobs()
    configs = list(scheduler.config_history.values())
    return configs, [len(v) for v in scheduler.training_history.values()]


def test_fifo_makes_the_decisions_of_the_native_fifo_scheduler():
    compat = ag.scheduler.FIFOScheduler(
        deterministic_fn, resource=ONE_WORKER, num_trials=6, reward_attr="accuracy"
    )
    searcher = RandomSearcher(
        SPACE, metric="accuracy", mode="max", random_seed=31415927, points_to_evaluate=[DEFAULT]
    )
    native = FIFOScheduler(SPACE, searcher=searcher, metric="accuracy", mode="max")
    assert compat.native.spec() == native.spec()
    assert _compat_run(compat) == _native_run(native, 6)
    assert compat.config_history["0"] == pytest.approx(DEFAULT)  # AutoGluon tries it first
    best = max(compat.training_history, key=lambda k: compat.training_history[k][-1]["accuracy"])
    assert compat.get_best_task_id() == best
    assert compat.get_best_config() == compat.config_history[best]
    assert compat.get_best_reward() == compat.training_history[best][-1]["accuracy"]
    assert compat.num_finished_tasks == 6


def test_hyperband_makes_the_decisions_of_the_native_hyperband_scheduler():
    kwargs = dict(grace_period=1, reduction_factor=3, type="stopping")
    compat = ag.scheduler.HyperbandScheduler(
        deterministic_fn, resource=ONE_WORKER, num_trials=12, reward_attr="accuracy", **kwargs
    )
    native = HyperbandScheduler(
        SPACE,
        searcher=RandomSearcher(
            SPACE, metric="accuracy", mode="max", random_seed=31415927, points_to_evaluate=[DEFAULT]
        ),
        metric="accuracy",
        mode="max",
        resource_attr="epoch",
        max_t=9,  # inferred from args.epochs
        random_seed=31415927,
        **kwargs,
    )
    assert compat.native.spec() == native.spec()
    configs, lengths = _compat_run(compat)
    assert (configs, lengths) == _native_run(native, 12)
    assert set(lengths) <= {1, 3, 9} and len(set(lengths)) > 1


def test_rl_scheduler_makes_the_decisions_of_the_native_rl_scheduler():
    compat = ag.scheduler.RLScheduler(
        deterministic_fn,
        resource=ONE_WORKER,
        num_trials=8,
        reward_attr="accuracy",
        controller_batch_size=4,
        controller_lr=5e-3,
    )
    native = RLScheduler(
        SPACE,
        metric="accuracy",
        mode="max",
        controller_batch_size=4,
        controller_lr=5e-3,
        random_seed=31415927,
    )
    assert compat.native.spec() == native.spec()
    assert _compat_run(compat)[0] == _native_run(native, 8)[0]


# -- run() returns while the trials run; join_jobs() waits -----------------------------------


@ag.args(lr=ag.space.Real(0.1, 1.0), started="", go="")
def gated_fn(args, reporter):
    """Task 0 reports 0.5 and ends; task 1 says it started (a FIFO the test reads), waits for
    the test to open ``go`` (another FIFO), then reports 0.9."""
    import tunesmith

    if tunesmith.trial_id() == 0:
        reporter(epoch=1, accuracy=0.5)
        return
    with open(args.started, "w") as f:
        f.write("started")
    with open(args.go) as f:
        f.read()
    reporter(epoch=1, accuracy=0.9)


def _gated(tmp_path, **kwargs):
    started, go = str(tmp_path / "started"), str(tmp_path / "go")
    os.mkfifo(started)
    os.mkfifo(go)
    scheduler = ag.scheduler.FIFOScheduler(
        gated_fn,
        args={"started": started, "go": go},
        resource=ONE_WORKER,  # one worker: task 1 starts once task 0 has ended
        num_trials=2,
        reward_attr="accuracy",
        **kwargs,
    )
    return scheduler, started, go


def _release(go):
    """Let task 1 go on, if it waits (and do nothing if it does not)."""
    try:
        fd = os.open(go, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


def test_run_returns_while_the_trials_run_and_join_jobs_waits(tmp_path):
    scheduler, started, go = _gated(tmp_path)
    scheduler.run()
    try:
        with open(started) as f:  # task 1 runs, and waits for the test: run() has returned
            assert f.read() == "started"
        # the results so far: task 0's (task 1 has reported nothing yet)
        assert scheduler.get_best_reward() == 0.5
        assert scheduler.get_best_task_id() == "0"
        assert scheduler.get_best_config() == scheduler.config_history["0"]
        assert scheduler.num_finished_tasks == 1
        state = scheduler.state_dict()
        assert state["training_history"] == {"0": [{"epoch": 1, "accuracy": 0.5}]}
        assert isinstance(state["scheduler"], dict)  # taken in the tuner's thread
        scheduler.join_jobs(timeout=0.01)  # returns at the timeout: task 1 still waits
        assert scheduler._running()
        with pytest.raises(RuntimeError, match=r"FIFOScheduler.run\(\) was called while a run is"):
            scheduler.run()
        with open(go, "w") as f:
            f.write("go")
        scheduler.join_jobs()
    finally:
        _release(go)
        scheduler.join_jobs()
    assert not scheduler._running()
    assert scheduler.get_best_reward() == 0.9 and scheduler.get_best_task_id() == "1"
    assert scheduler.num_finished_tasks == 2
    assert list(scheduler.training_history) == ["0", "1"]


def test_join_jobs_raises_what_the_run_raised(tmp_path):
    def fails(history, start_time):  # called in the tuner's thread when a task ends
        raise ValueError("the history callback failed")

    scheduler = ag.scheduler.FIFOScheduler(
        deterministic_fn,
        resource=ONE_WORKER,
        num_trials=2,
        reward_attr="accuracy",
        training_history_callback=fails,
    )
    scheduler.run()  # returns: the error comes from the run's thread
    with pytest.raises(ValueError, match="the history callback failed"):
        scheduler.join_jobs()
    scheduler.join_jobs()  # raised once
    assert list(scheduler.training_history) == ["0"]  # what was recorded is kept


def test_ctrl_c_in_join_jobs_stops_the_run(tmp_path, monkeypatch):
    scheduler, started, go = _gated(tmp_path)
    scheduler.run()
    try:
        with open(started) as f:
            f.read()
        thread, real_join = scheduler._thread, scheduler._thread.join
        calls = []

        def join(timeout=None):  # Ctrl-C arrives during the first wait
            calls.append(timeout)
            if len(calls) == 1:
                raise KeyboardInterrupt
            real_join(timeout)

        monkeypatch.setattr(thread, "join", join)
        scheduler.join_jobs()  # asks the tuner to stop and waits: task 1 is stopped
    finally:
        _release(go)
        scheduler.join_jobs()
    assert calls[:2] == [None, None] and not scheduler._running()  # waited for the end
    assert scheduler.result.stop_reason == "interrupted (Ctrl-C in join_jobs)"
    assert scheduler.get_best_reward() == 0.5 and scheduler.num_finished_tasks == 2


# -- arguments -----------------------------------------------------------------------------------


def test_unknown_argument_fails_as_in_autogluon():
    with pytest.raises(AssertionError, match="FIFOScheduler: Invalid argument 'num_trails'"):
        ag.scheduler.FIFOScheduler(deterministic_fn, num_trails=3)
    with pytest.raises(TypeError, match="HyperbandScheduler: Invalid argument 'eta'"):
        ag.scheduler.HyperbandScheduler(deterministic_fn, num_trials=3, eta=3)
    with pytest.raises(AssertionError, match="RLScheduler: Invalid argument 'grace_period'"):
        ag.scheduler.RLScheduler(deterministic_fn, num_trials=3, grace_period=1)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ag.scheduler.FIFOScheduler(deterministic_fn), "Either num_trials or time_out"),
        (
            lambda: ag.scheduler.FIFOScheduler(deterministic_fn, num_trials=2, dist_ip_addrs=[1]),
            r"dist_ip_addrs must be a list of IP addresses",
        ),
        (
            lambda: ag.scheduler.FIFOScheduler(deterministic_fn, num_trials=2, searcher="skopt"),
            "searcher='skopt' is not supported: use searcher='bayesopt'",
        ),
        (
            lambda: ag.scheduler.FIFOScheduler(deterministic_fn, num_trials=2, searcher="nsga2"),
            r"searcher='nsga2' \(NSGA2Searcher\) optimizes several objectives, but got "
            "metric='accuracy'",
        ),
        (
            lambda: ag.scheduler.FIFOScheduler(
                deterministic_fn, num_trials=2, search_options={"num_init": 3}
            ),
            "search_options: Invalid argument 'num_init'",
        ),
        (
            lambda: ag.scheduler.FIFOScheduler(deterministic_fn, num_trials=2, resume=True),
            "Need checkpoint to be set if resume = True",
        ),
        (
            lambda: ag.scheduler.HyperbandScheduler(
                ag.args(lr=ag.space.Real(0.1, 1))(lambda args, reporter: None), num_trials=2
            ),
            "Either max_t must be specified",
        ),
        (
            lambda: ag.scheduler.HyperbandScheduler(
                deterministic_fn, num_trials=2, do_snapshots=True
            ),
            "do_snapshots=True is not supported",
        ),
        (lambda: ag.space.Categorical(1, ag.space.Int(0, 3)), "conditional search space"),
        (
            lambda: ag.scheduler.FIFOScheduler(deterministic_fn, num_trials=2).add_remote([""]),
            r"add_remote must be a list of IP addresses",
        ),
        (
            lambda: ag.scheduler.FIFOScheduler(deterministic_fn, num_trials=2).schedule_next(),
            "schedule_next is not supported",
        ),
    ],
)
def test_bad_or_unsupported_arguments_are_clear_errors(make, match):
    with pytest.raises(AssertionError, match=match):
        make()


def test_args_spaces_and_nested_forms():
    @ag.args(
        lr=ag.space.Real(1e-3, 1e-1, log=True),
        units=ag.space.Int(8, 64, default=16),
        act=ag.space.Categorical("relu", "tanh"),
        flag=ag.space.Bool(),
        opt=ag.space.Dict(name="sgd", momentum=ag.space.Real(0.5, 0.9)),
        layers=ag.space.List(ag.space.Int(1, 4), 7),
        epochs=3,
    )
    def fn(args, reporter):
        return args

    assert fn.args.epochs == 3 and fn.args.units == 16 and fn.args.act == "relu"
    assert fn.args.lr == pytest.approx(1e-2)
    space = fn.config_space()
    assert set(space) == {"lr", "units", "act", "flag", "opt▁momentum", "layers▁0"}
    args = fn(config={"lr": 0.05, "opt▁momentum": 0.6, "layers▁0": 2, "act▁choice": 1})
    assert args.lr == 0.05 and args.opt == {"name": "sgd", "momentum": 0.6}
    assert args.layers == [2, 7] and args.act == "tanh"


def test_history_callback_checkpoint_resume_and_state(tmp_path):
    calls = []
    checkpoint = str(tmp_path / "exp" / "checkpoint.ag")
    kwargs = dict(
        resource=ONE_WORKER,
        reward_attr="accuracy",
        checkpoint=checkpoint,
        training_history_callback=lambda history, start: calls.append(len(history)),
        training_history_callback_delta_secs=1,
    )
    first = ag.scheduler.FIFOScheduler(deterministic_fn, num_trials=3, **kwargs)
    first.run()
    first.join_jobs()
    assert calls and os.path.isfile(checkpoint)
    state = ag.load(checkpoint)
    assert list(state["training_history"]) == ["0", "1", "2"]
    resumed = ag.scheduler.FIFOScheduler(deterministic_fn, num_trials=5, resume=True, **kwargs)
    resumed.run()
    resumed.join_jobs()
    assert list(resumed.training_history) == ["0", "1", "2", "3", "4"]
    assert resumed.training_history["0"] == first.training_history["0"]
    assert resumed.num_finished_tasks == 5

    loaded = ag.scheduler.FIFOScheduler(deterministic_fn, num_trials=5)
    loaded.load_state_dict(state)
    assert loaded.get_best_config() == first.get_best_config()
    assert loaded.get_best_reward() == first.get_best_reward()

    best = resumed.get_best_config()
    reports = resumed.run_with_config(best)  # tunesmith.retrain: a trial on the same backend
    assert [r["epoch"] for r in reports] == list(range(1, 10))
    task = resumed.get_best_task_id()
    assert reports == resumed.training_history[str(task)]  # deterministic: the same curve
    assert resumed.num_finished_tasks == 5  # outside the experiment
    resumed.get_training_curves(filename=str(tmp_path / "curves.png"))
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_importing_the_front_end_loads_no_heavy_module(tmp_path):
    code = textwrap.dedent(
        """
        import sys
        import tunesmith
        assert "tunesmith.compat" not in sys.modules
        import tunesmith.compat.autogluon as ag
        heavy = {"scipy", "sqlalchemy", "matplotlib", "pandas", "cloudpickle"}
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
