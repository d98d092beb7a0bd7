# ruff: noqa: E501  (the seed's example is kept as written, long lines included)
"""tunesmith.compat.clearml: seed 004's HyperParameterOptimizer example runs with only its import
lines changed (plus the registration of its base task), as a top-level script; the search
strategies make the decisions of the native calls they map to; the limits, the budget, the
callback and the controller's methods behave as ClearML's; bad arguments fail as in ClearML
(TypeError for an unknown keyword) with a message naming the argument, value and what is
allowed."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime

import pytest
from tests._wait import wait_for

import tunesmith
from tunesmith import AskTell, GridSearch, RandomSearch, choice, ordinal, uniform
from tunesmith.compat import clearml
from tunesmith.compat.clearml import InvalidValue, NotSupported, Task, register_task
from tunesmith.compat.clearml.automation import (
    Budget,
    DiscreteParameterRange,
    HyperParameterOptimizer,
    LogUniformParameterRange,
    Objective,
    OptimizerBOHB,
    OptimizerOptuna,
    ParameterSet,
    UniformIntegerParameterRange,
    UniformParameterRange,
)
from tunesmith.compat.clearml.automation import GridSearch as ClearMLGrid
from tunesmith.compat.clearml.automation import RandomSearch as ClearMLRandom
from tunesmith.compat.clearml.task import script_arguments

#: seed 004's docstring example (trains -> tunesmith.compat.clearml in the import lines). The
#: test shortens the time limit from 10 minutes to TIME_LIMIT (the only other change: the
#: example's polling loop runs until the limit passes, whatever the jobs do) and prints what it
#: checks. Its base task id is mapped to a training script in the task file (TASK_FILE), or
#: registered in a preamble (PREAMBLE).
EXAMPLE = """
from tunesmith.compat.clearml import Task
from tunesmith.compat.clearml.automation import UniformParameterRange, DiscreteParameterRange
from tunesmith.compat.clearml.automation import GridSearch, RandomSearch, HyperParameterOptimizer

task = Task.init('examples', 'HyperParameterOptimizer example')
an_optimizer = HyperParameterOptimizer(
    base_task_id='fa30fa45d95d4927b87c323b5b04dc44',
    hyper_parameters=[
        UniformParameterRange('lr', min_value=0.01, max_value=0.3, step_size=0.05),
        DiscreteParameterRange('network', values=['ResNet18', 'ResNet50', 'ResNet101']),
    ],
    objective_metric_title='title',
    objective_metric_series='series',
    objective_metric_sign='min',
    max_number_of_concurrent_tasks=5,
    optimizer_class=RandomSearch,
    execution_queue='workers', time_limit_per_job=120, pool_period_min=0.2)

# This will automatically create and print the optimizer new task id
# for later use. if a Task was already created, it will use it.
an_optimizer.set_time_limit(in_minutes=10.)
an_optimizer.start()
# we can create a pooling loop if we like
while not an_optimizer.reached_time_limit():
    top_exp = an_optimizer.get_top_experiments(top_k=3)
    print(top_exp)
# wait until optimization completed or timed-out
an_optimizer.wait()
# make sure we stop all jobs
an_optimizer.stop()
"""

#: the registration: a training task that runs until the optimizer stops it (so the time limit,
#: not the 18 configs of the space, ends the example, whatever the machine's load)
PREAMBLE = """
import itertools, time
from tunesmith.compat.clearml import register_task

def train(params, logger):
    for it in itertools.count():
        loss = params['lr'] * {'ResNet18': 1, 'ResNet50': 2, 'ResNet101': 3}[params['network']] / (it + 1)
        logger.report_scalar('title', 'series', value=loss, iteration=it)
        time.sleep(0.01)

register_task(train, name='train', task_id='fa30fa45d95d4927b87c323b5b04dc44')
"""

EPILOGUE = """
print('RUNNING', an_optimizer.is_running(), an_optimizer.is_active())
print('REASON', an_optimizer.get_optimizer().stop_reason)
jobs = an_optimizer.get_optimizer().get_created_jobs_tasks()
print('STATUSES', sorted({job.status() for job in jobs.values()}))
print('LR', all(round((p['lr'] - 0.01) / 0.05, 9) in range(6) for p in an_optimizer.get_optimizer().get_created_jobs_ids().values()))
"""

TIME_LIMIT = "0.1"

#: the base task as a ClearML training script: Task.init, connect, Logger.current_logger(); it
#: reports until the optimizer stops it
TRAIN_SCRIPT = """
import itertools, time
from tunesmith.compat.clearml import Logger, Task

task = Task.init('examples', 'train')
params = task.connect({'lr': 0.1, 'network': 'ResNet18'})
for it in itertools.count():
    loss = params['lr'] * {'ResNet18': 1, 'ResNet50': 2, 'ResNet101': 3}[params['network']] / (it + 1)
    Logger.current_logger().report_scalar('title', 'series', value=loss, iteration=it)
    time.sleep(0.01)
"""


def _run_script(tmp_path, code: str, env: dict[str, str] | None = None, name="example.py") -> str:
    script = tmp_path / name
    script.write_text(code)
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.mark.slow
def test_seed_example_runs_unchanged_with_its_base_task_in_the_task_file(tmp_path):
    """The example as written (but its time limit): its base task id is mapped to a training
    script in the file TUNESMITH_CLEARML_TASKS names, as a ClearML server knows the task."""
    (tmp_path / "train.py").write_text(TRAIN_SCRIPT)
    tasks = tmp_path / "tasks.json"
    tasks.write_text(
        json.dumps({"fa30fa45d95d4927b87c323b5b04dc44": f"python {tmp_path}/train.py"})
    )
    example = EXAMPLE.replace("in_minutes=10.", f"in_minutes={TIME_LIMIT}")
    env = {"TUNESMITH_CLEARML_TASKS": str(tasks), "TUNESMITH_HOME": str(tmp_path / "home")}
    out = _run_script(tmp_path, example + EPILOGUE, env)
    assert "RUNNING False False" in out
    assert "REASON time limit" in out
    assert "STATUSES ['stopped']" in out
    assert "LR True" in out
    assert "[<Task id=" in out


def test_task_init_of_a_script_run_by_itself_registers_it_as_a_base_task(tmp_path, monkeypatch):
    """A training script run once by itself: ``Task.init(project, name)`` records it in the task
    file (the same id on the next run), and an optimizer in another process finds it there."""
    home = tmp_path / "home"
    monkeypatch.setenv("TUNESMITH_HOME", str(home))
    monkeypatch.delenv("TUNESMITH_CLEARML_TASKS", raising=False)
    script = textwrap.dedent(
        """
        import sys
        from tunesmith.compat.clearml import Logger, Task
        task = Task.init('examples', 'quick')
        params = task.connect({'lr': 0.1})
        for it in range(3):
            Logger.current_logger().report_scalar('val', 'loss', value=params['lr'] * it, iteration=it)
        print('TASK', task.id)
        """
    )
    env = {"TUNESMITH_HOME": str(home)}
    first = _run_script(tmp_path, script, env, name="quick.py")
    second = _run_script(tmp_path, script, env, name="quick.py")
    task_id = first.split("TASK ")[1].split()[0]
    assert second.split("TASK ")[1].split()[0] == task_id
    entry = json.loads((home / "clearml-tasks.json").read_text())[task_id]
    assert entry["command"][1:] == [str(tmp_path / "quick.py")]
    assert (entry["project"], entry["name"]) == ("examples", "quick")
    opt = HyperParameterOptimizer(
        base_task_id=task_id,
        hyper_parameters=[UniformParameterRange("lr", 0.0, 1.0)],
        objective_metric_title="val",
        objective_metric_series="loss",
        objective_metric_sign="min",
        optimizer_class=ClearMLRandom,
        total_max_jobs=2,
        max_number_of_concurrent_tasks=2,
    )
    strategy = _run(opt)
    jobs = list(strategy.get_created_jobs_tasks().values())
    assert len(jobs) == 2 and {j.status() for j in jobs} == {"completed"}
    for job in jobs:
        assert [r["val/loss"] for r in job.reports] == [job.parameters["lr"] * i for i in range(3)]


def test_task_file_errors_name_the_file_and_the_entry(tmp_path, monkeypatch):
    from tunesmith.compat.clearml.task import base_task

    tasks = tmp_path / "tasks.json"
    monkeypatch.setenv("TUNESMITH_CLEARML_TASKS", str(tasks))
    with pytest.raises(ValueError, match=r"Could not find base task id abc.*tasks.json"):
        base_task("abc")
    tasks.write_text("[1, 2]")
    with pytest.raises(
        ValueError, match=r"tasks.json \(TUNESMITH_CLEARML_TASKS\) must be a JSON object"
    ):
        base_task("abc")
    tasks.write_text('{"abc": 3}')
    with pytest.raises(ValueError, match="the entry of task 'abc' must be a command"):
        base_task("abc")
    tasks.write_text("{oops")
    with pytest.raises(ValueError, match="is not valid JSON"):
        base_task("abc")
    tasks.write_text('{"abc": {"command": "python x.py", "name": "x"}}')
    assert base_task("abc").target == "python x.py" and base_task("abc").name == "x"


@pytest.mark.slow
def test_seed_example_runs_with_only_imports_changed(tmp_path):
    example = EXAMPLE.replace("in_minutes=10.", f"in_minutes={TIME_LIMIT}")
    assert example.count(TIME_LIMIT) == 1
    out = _run_script(tmp_path, PREAMBLE + example + EPILOGUE)
    assert "RUNNING False False" in out
    assert "REASON time limit" in out  # the time limit ended it, and stopped the running jobs
    assert "STATUSES ['stopped']" in out
    assert "LR True" in out  # lr on ClearML's steps: 0.01 + k * 0.05, k < 6
    assert "[<Task id=" in out  # the polling loop printed the top experiments


# -- the base tasks of the tests ----------------------------------------------------------------
def quadratic(params, logger):
    """Reports 5 iterations of (lr - 0.1)^2 + net penalty (decreasing with the iteration)."""
    penalty = {"a": 0.0, "b": 0.5}[params.get("net", "a")]
    for it in range(5):
        value = (params["lr"] - 0.1) ** 2 + penalty + 1.0 / (it + 1)
        logger.report_scalar("val", "loss", value=value, iteration=it)
        logger.report_scalar("train", "other", value=it, iteration=it)


def down_then_up(params, logger):
    """x, then 10 - x: the last value favours the largest x, the minimum the smallest."""
    x = params["x"]
    logger.report_scalar("val", "loss", value=float(x), iteration=0)
    logger.report_scalar("val", "loss", value=10.0 - x, iteration=1)


def long_job(params, logger):
    """Reports one iteration after another until the optimizer stops it."""
    for it in itertools.count():
        logger.report_scalar("val", "loss", value=params["lr"] + it, iteration=it)
        time.sleep(0.01)


def many_iterations(params, logger):
    for it in range(10):
        logger.report_scalar("val", "loss", value=params["lr"], iteration=it)


@pytest.fixture(scope="module")
def ids():
    return {
        fn.__name__: register_task(fn, name=fn.__name__)
        for fn in (quadratic, down_then_up, long_job, many_iterations)
    }


SPACE = [UniformParameterRange("lr", 0.01, 0.3), DiscreteParameterRange("net", ["a", "b"])]


def _optimizer(base, **kwargs):
    args = dict(
        base_task_id=base,
        hyper_parameters=SPACE,
        objective_metric_title="val",
        objective_metric_series="loss",
        objective_metric_sign="min",
        max_number_of_concurrent_tasks=1,
        optimizer_class=ClearMLRandom,
    )
    args.update(kwargs)
    return HyperParameterOptimizer(**args)


def _run(opt, callback=None):
    assert opt.start(job_complete_callback=callback)
    assert opt.wait()
    opt.stop()
    return opt.get_optimizer()


def _configs(strategy):
    jobs = sorted(strategy.get_created_jobs_tasks().values(), key=lambda j: j.trial_id)
    return [j.parameters for j in jobs]


# -- decisions: those of the native calls -------------------------------------------------------
def test_random_search_makes_the_native_random_searchs_configs(ids):
    strategy = _run(_optimizer(ids["quadratic"], total_max_jobs=6))
    native = AskTell(
        RandomSearch(
            {"lr": uniform(0.01, 0.3), "net": choice(["a", "b"])},
            metric="val/loss",
            mode="min",
            random_seed=1337,  # ClearML's global seed (RandomSeed)
        )
    )
    assert _configs(strategy) == [native.ask().config for _ in range(6)]
    assert strategy.random_seed == 1337


def test_grid_search_visits_clearmls_grid_in_clearmls_order(ids):
    params = [
        UniformIntegerParameterRange("lr", 0, 4, step_size=2),
        DiscreteParameterRange("net", ["a", "b"]),
    ]
    strategy = _run(
        _optimizer(ids["quadratic"], hyper_parameters=params, optimizer_class=ClearMLGrid)
    )
    expected = [
        dict(kv for d in state for kv in d.items())
        for state in itertools.product(*(p.to_list() for p in params))
    ]
    assert _configs(strategy) == expected  # the last parameter varies fastest
    assert [{"lr": v["lr"]} for v in expected[::2]] == [{"lr": 0}, {"lr": 2}, {"lr": 4}]
    native = AskTell(
        GridSearch({"lr": choice([0, 2, 4]), "net": choice(["a", "b"])}, metric="m", shuffle=False)
    )
    assert expected == [native.ask().config for _ in range(6)]
    assert strategy.stop_reason == "the scheduler has no config left to try"


@pytest.mark.parametrize(("sign", "scope", "best"), [("min", "last", 3), ("min_global", "all", 1)])
def test_objective_last_or_global_is_the_ranking_scope(ids, sign, scope, best):
    opt = _optimizer(
        ids["down_then_up"],
        hyper_parameters=[DiscreteParameterRange("x", [1, 2, 3])],
        objective_metric_sign=sign,
        optimizer_class="GridSearch",
    )
    strategy = _run(opt)
    assert (opt.objective_metric.scope, opt.objective_metric.extremum) == (
        scope,
        sign.endswith("_global"),
    )
    top = opt.get_top_experiments(top_k=3)
    native = [trial.trial_id for trial, _, _ in strategy.result.ranked_trials(scope)]
    assert [t.job.trial_id for t in top] == native
    assert top[0].get_parameters() == {"x": best}
    value = opt.objective_metric.get_objective(top[0].id)
    assert value == (10.0 - best if scope == "last" else float(best))
    assert opt.objective_metric.get_current_raw_objective(top[0]) == (1, 10.0 - best)
    assert len(opt.get_top_experiments(top_k=1)) == 1


def test_job_complete_callback_once_per_job_with_clearmls_arguments(ids):
    calls = []
    opt = _optimizer(ids["quadratic"], total_max_jobs=5)
    strategy = _run(opt, lambda *args: calls.append(args))
    assert len(calls) == 5 and len({c[0] for c in calls}) == 5
    assert {c[0] for c in calls} == set(strategy.get_created_jobs_ids())
    best = None
    for job_id, value, iteration, params, top in calls:
        job = Task.get_task(task_id=job_id).job
        assert value == opt.objective_metric.get_objective(job_id)  # the last value
        assert iteration == 4
        assert params == {**job.parameters, "status": "completed"}
        best = job_id if best is None or value < opt.objective_metric.get_objective(best) else best
        assert top == best  # the best job so far
    assert opt.get_top_experiments(1)[0].id == best


def test_total_max_jobs_and_max_iteration_per_job_and_the_budget(ids):
    opt = _optimizer(ids["many_iterations"], total_max_jobs=4, max_iteration_per_job=3)
    strategy = _run(opt)
    jobs = list(strategy.get_created_jobs_tasks().values())
    assert len(jobs) == 4
    for job in jobs:  # stopped at the first iteration past the limit, as ClearML aborts it
        assert [r["iteration"] for r in job.reports] == [0, 1, 2, 3, 4]
        assert job.status() == "stopped" and job.task.status == "stopped"
    assert strategy.budget.to_dict() == {
        "jobs": {"limit": 4, "used": 1.0},
        "iterations": {"limit": 12, "used": 16 / 12},
        "compute_time": {"limit": None, "used": 0},
    }


def test_budget_fields_as_clearml_computes_them():
    budget = Budget(jobs_limit=4, iterations_limit=None, compute_time_limit=10.0)
    assert budget.to_dict()["jobs"] == {"limit": 4, "used": 0}
    budget.jobs.update("a", 1)
    budget.jobs.update("b", 1)
    budget.jobs.update("b", 1)  # per job: the latest value
    budget.compute_time.update("a", 2.5)
    budget.compute_time.update("b", "not a number")
    budget.iterations.update("a", 3)
    assert budget.jobs.used == 0.5 and budget.compute_time.used == 0.25
    assert budget.iterations.used is None  # no limit
    assert budget.to_dict()["iterations"] == {"limit": None, "used": 0}


def test_time_limit_per_job_aborts_a_job_and_counts_compute_time(ids):
    opt = _optimizer(ids["long_job"], total_max_jobs=2, time_limit_per_job=0.005)
    strategy = _run(opt)
    jobs = list(strategy.get_created_jobs_tasks().values())
    assert len(jobs) == 2 and all(j.status() == "stopped" for j in jobs)
    assert strategy.tuner.max_trial_time == pytest.approx(0.3)  # minutes -> seconds
    assert strategy.budget.compute_time.current and strategy.budget.compute_time.used is None


def test_compute_time_limit_stops_the_optimization(ids):
    opt = _optimizer(ids["long_job"], compute_time_limit=0.005)
    strategy = _run(opt)
    assert strategy.stop_reason == "compute_time_limit"
    assert strategy.budget.compute_time.used >= 1.0


def test_time_limit_in_minutes_and_the_controller_methods(ids):
    opt = _optimizer(ids["long_job"])
    assert opt.elapsed() == -1.0 and opt.is_active() and not opt.is_running()
    assert not opt.reached_time_limit() and opt.get_time_limit() is None
    before = time.time()
    opt.set_time_limit(in_minutes=0.01)
    after = time.time()
    limit = opt.get_time_limit().timestamp()
    # a datetime keeps microseconds: the round trip may move the limit by up to half of one
    # (a stress run caught limit = after + 0.6 + 2e-7 when no clock tick separated the two)
    assert before + 0.6 - 1e-6 <= limit <= after + 0.6 + 1e-6
    opt.set_time_limit(specific_time=datetime.fromtimestamp(limit))
    assert opt.optimization_timeout == limit
    assert opt.start() and opt.start()  # a second start: already running
    assert opt.wait()
    assert opt.reached_time_limit()  # it stopped because of the limit
    assert not opt.is_running() and not opt.is_active() and opt.elapsed() > 0
    assert opt.get_optimizer().stop_reason == "time limit"
    opt.stop()
    assert opt.get_num_active_experiments() == 0 and opt.get_active_experiments() == []


def test_stop_aborts_the_running_jobs(ids):
    opt = _optimizer(ids["long_job"], max_number_of_concurrent_tasks=2)
    opt.start()
    wait_for(lambda: opt.get_num_active_experiments() == 2, "two running jobs")
    assert all(t.status == "in_progress" for t in opt.get_active_experiments())
    assert not opt.wait(timeout=0.0001)  # still running
    opt.stop()
    assert not opt.is_running() and not opt.reached_time_limit()
    jobs = opt.get_optimizer().get_created_jobs_tasks().values()
    assert {j.status() for j in jobs} == {
        "stopped"
    } and opt.get_optimizer().stop_reason == "stopped"


def test_job_abort_stops_that_job_and_the_optimization_goes_on(ids):
    """``Job.abort()`` from the controller's thread: the native ``Tuner.stop_trial`` stops that
    job's trial (journaled as a user's STOP in the study), the other job runs on, and a new job
    takes the freed worker."""
    opt = _optimizer(ids["long_job"], max_number_of_concurrent_tasks=2, total_max_jobs=3)
    opt.start()
    wait_for(lambda: opt.get_num_active_experiments() == 2, "two running jobs")
    strategy = opt.get_optimizer()
    first = min(strategy.get_running_jobs(), key=lambda j: j.trial_id)
    first.abort()
    wait_for(lambda: first.is_aborted(), "the aborted job ended")
    first.abort()  # ended: nothing more
    wait_for(lambda: len(strategy.get_created_jobs_ids()) == 3, "a third job")
    others = [j for j in strategy.get_created_jobs_tasks().values() if j is not first]
    assert all(j.is_running() for j in others)
    opt.stop()
    assert first.task.status == "stopped"
    study = tunesmith.load_study(strategy.study_name)
    with tunesmith.store.Store(study.storage) as store:
        events = store.read_events(study.study)
    asked = [e for e in events if e.kind.value == "decision" and e.payload.get("by") == "user"]
    assert [(e.trial_id, e.payload["detail"]) for e in asked] == [(first.trial_id, "Job.abort()")]


def test_report_period_prints_the_summary_table(ids, capsys):
    opt = _optimizer(ids["quadratic"], total_max_jobs=3)
    opt.set_report_period(0.001)
    _run(opt)
    rows = opt.summary_rows()
    assert len(rows) == 3 and [r["objective"] for r in rows] == sorted(r["objective"] for r in rows)
    assert set(rows[0]) == {"task id", "objective", "iteration", "lr", "net", "status"}
    assert opt.summary == opt.summary_table() and rows[0]["task id"] in opt.summary
    assert "Job performance summary (objective: val/loss)" in capsys.readouterr().out


def test_a_script_base_task_gets_its_parameters_and_logger(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import argparse
            from tunesmith.compat.clearml import Logger, Task

            parser = argparse.ArgumentParser()
            parser.add_argument("--lr", type=float, default=0.5)
            parser.add_argument("--net", default="a")
            args = parser.parse_args()
            task = Task.init("examples", "train")
            params = task.connect({"lr": 0.5, "net": "a"})
            assert params == {"lr": args.lr, "net": args.net}, (params, args)
            for it in range(3):
                Logger.current_logger().report_scalar("val", "loss", value=params["lr"] + it, iteration=it)
            """
        )
    )
    base = register_task(f"python {script}", name="script")
    opt = _optimizer(base, total_max_jobs=2, max_number_of_concurrent_tasks=2)
    strategy = _run(opt)
    jobs = list(strategy.get_created_jobs_tasks().values())
    assert len(jobs) == 2 and {j.status() for j in jobs} == {"completed"}
    for job in jobs:
        assert [r["val/loss"] for r in job.reports] == [job.parameters["lr"] + i for i in range(3)]


def test_a_script_gets_args_section_parameters_on_its_command_line_and_the_others_by_connect(
    tmp_path,
):
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import argparse
            from tunesmith.compat.clearml import Logger, Task

            parser = argparse.ArgumentParser()  # an unknown option would make it exit 2
            parser.add_argument("--lr", type=float, default=0.5)
            parser.add_argument("--batch", type=int, default=8)
            args = parser.parse_args()
            task = Task.init("examples", "train")
            params = task.connect({"momentum": 0.0})
            assert task.get_parameters()["Args/lr"] == args.lr
            assert 0.5 <= params["momentum"] <= 0.9, params
            for it in range(2):
                Logger.current_logger().report_scalar(
                    "val", "loss", value=args.lr + params["momentum"] + args.batch, iteration=it
                )
            """
        )
    )
    base = register_task(f"python {script}", name="sections")
    space = [
        UniformParameterRange("Args/lr", 0.01, 0.3),
        UniformParameterRange("General/momentum", 0.5, 0.9),
        ParameterSet([{"Args/batch": 16}, {"Args/batch": 32}]),
    ]
    opt = _optimizer(base, hyper_parameters=space, total_max_jobs=2)
    strategy = _run(opt)
    jobs = list(strategy.get_created_jobs_tasks().values())
    assert len(jobs) == 2 and {j.status() for j in jobs} == {"completed"}
    for job in jobs:
        p = job.parameters
        assert p["Args/batch"] in (16, 32)
        expected = p["Args/lr"] + p["General/momentum"] + p["Args/batch"]
        assert [r["val/loss"] for r in job.reports] == pytest.approx([expected] * 2)


def test_script_arguments_keep_the_argparse_section_and_names_without_one():
    params = {"Args/lr": 0.1, "lr2": 2, "General/momentum": 0.9, "net/Args/x": 1}
    assert script_arguments(params) == {"lr": 0.1, "lr2": 2}


def test_an_optimization_is_a_study_of_the_default_store(ids):
    opt = _optimizer(ids["quadratic"], total_max_jobs=3)
    strategy = _run(opt)
    study = tunesmith.load_study(strategy.study_name)
    assert strategy.study_name.startswith("clearml-")
    jobs = sorted(strategy.get_created_jobs_tasks().values(), key=lambda j: j.trial_id)
    assert len(study.trials()) == len(jobs) == 3
    assert [len(study.history()[j.trial_id]) for j in jobs] == [len(j.reports) for j in jobs]


# -- the parameter ranges -----------------------------------------------------------------------
def test_parameter_ranges_as_tunesmith_domains():
    stepped = UniformParameterRange("lr", 0.01, 0.3, step_size=0.05)
    assert stepped.domain().categories == ordinal([0.01 + k * 0.05 for k in range(6)]).categories
    assert UniformParameterRange("lr", 0.0, 1.0).grid_values()[:2] == [0.0, 0.01]
    assert len(UniformParameterRange("lr", 0.0, 1.0).to_list()) == 101  # 100 steps + max
    log = LogUniformParameterRange("lr", -4, -1)
    assert (log.domain().lower, log.domain().upper, log.domain().log) == (1e-4, 1e-1, True)
    assert LogUniformParameterRange("lr", 0, 2, base=2, step_size=1).grid_values() == [1, 2, 4]
    assert UniformIntegerParameterRange("n", 1, 5).domain().upper == 5
    assert UniformIntegerParameterRange("n", 0, 5, step_size=2).grid_values() == [0, 2, 4, 5]
    assert UniformIntegerParameterRange("n", 0, 5, 2, include_max_value=False).grid_values() == [
        0,
        2,
        4,
    ]
    assert DiscreteParameterRange("net", ["a", "b"]).to_list() == [{"net": "a"}, {"net": "b"}]
    pset = ParameterSet([{"a": 1, "b": 2}, {"a": 3, "b": DiscreteParameterRange("b", [4, 5])}])
    assert pset.to_list() == [{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 3, "b": 5}]
    assert pset.domain().categories == [0, 1, 2]
    assert UniformParameterRange.from_dict(stepped.to_dict()).to_list() == stepped.to_list()


def test_a_parameter_set_reaches_the_task_as_its_values(ids):
    pset = ParameterSet([{"lr": 0.1, "net": "a"}, {"lr": 0.2, "net": "b"}])
    strategy = _run(
        _optimizer(ids["quadratic"], hyper_parameters=[pset], optimizer_class=ClearMLGrid)
    )
    assert _configs(strategy) == [{"lr": 0.1, "net": "a"}, {"lr": 0.2, "net": "b"}]


def test_bohb_and_optuna_map_onto_native_schedulers(ids):
    from tunesmith import BOHB, TPE, MedianStoppingRule

    bohb = _optimizer(
        ids["quadratic"],
        optimizer_class=OptimizerBOHB,
        min_iteration_per_job=1,
        max_iteration_per_job=9,
        total_max_jobs=10,
        eta=3,
        top_n_percent=15,
    ).get_optimizer()
    native = bohb._scheduler()
    assert isinstance(native, BOHB) and (native.max_t, native.resource_attr) == (9, "iterations")
    optuna = _optimizer(
        ids["quadratic"], optimizer_class=OptimizerOptuna, max_iteration_per_job=5, total_max_jobs=4
    ).get_optimizer()
    assert isinstance(optuna.make_native(), MedianStoppingRule)
    assert isinstance(optuna.make_native().scheduler, TPE)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        _optimizer(
            ids["quadratic"],
            optimizer_class=OptimizerBOHB,
            min_iteration_per_job=1,
            max_iteration_per_job=9,
            total_max_jobs=10,
            bogus=1,
        )
    with pytest.raises(NotSupported, match="optuna_sampler"):
        _optimizer(
            ids["quadratic"],
            optimizer_class="OptimizerOptuna",
            max_iteration_per_job=5,
            total_max_jobs=4,
            optuna_sampler=object(),
        )


def test_bohb_runs_jobs_whose_iterations_count_from_zero(ids):
    # ClearML's iterations count from 0: BOHB's resource is the iterations done (iteration + 1),
    # so the first report (iteration 0) is one iteration done, not an invalid resource of 0
    strategy = _run(
        _optimizer(
            ids["quadratic"],
            optimizer_class=OptimizerBOHB,
            min_iteration_per_job=1,
            max_iteration_per_job=3,
            total_max_jobs=6,
            eta=3,
        )
    )
    jobs = list(strategy.get_created_jobs_tasks().values())
    assert len(jobs) == 6 and "failed" not in {j.status() for j in jobs}


# Optuna's classes as OptimizerOptuna reads them: by class name, settings from Optuna's
# attributes (optuna itself is not needed, and not imported)
class TPESampler:
    def __init__(self, n_startup_trials=10):
        self._n_startup_trials = n_startup_trials


class RandomSampler:
    pass


class GridSampler:
    def __init__(self, search_space):
        self._search_space = search_space


class CmaEsSampler:
    pass


class MedianPruner:
    def __init__(self, n_startup_trials=5, n_warmup_steps=0):
        self._n_startup_trials, self._n_warmup_steps = n_startup_trials, n_warmup_steps


class SuccessiveHalvingPruner:
    def __init__(self, min_resource="auto", reduction_factor=4, min_early_stopping_rate=0):
        self._min_resource, self._reduction_factor = min_resource, reduction_factor
        self._min_early_stopping_rate = min_early_stopping_rate


class HyperbandPruner:
    def __init__(self, min_resource=1, max_resource="auto", reduction_factor=3):
        self._min_resource, self._max_resource = min_resource, max_resource
        self._reduction_factor = reduction_factor


class NopPruner:
    pass


class PercentilePruner:
    pass


def _optuna(ids, **kwargs):
    args = {
        "optimizer_class": OptimizerOptuna,
        "total_max_jobs": 6,
        "max_iteration_per_job": None,
        **kwargs,
    }
    return _optimizer(ids["quadratic"], **args).get_optimizer()


def test_optuna_samplers_and_pruners_map_onto_native_schedulers(ids):
    from tunesmith import ASHA, BOHB, TPE, GridSearch, HyperbandScheduler, MedianStoppingRule
    from tunesmith import RandomSearch as NativeRandom

    default = _optuna(ids).make_native()
    assert isinstance(default, MedianStoppingRule) and isinstance(default.scheduler, TPE)
    median = _optuna(
        ids, optuna_sampler=TPESampler(n_startup_trials=7), optuna_pruner=MedianPruner(3, 2)
    ).make_native()
    kwargs = median.spec()["kwargs"]
    assert (kwargs["grace_population"], kwargs["grace_time"], kwargs["resource_attr"]) == (
        3, 2, "iterations",
    )  # fmt: skip
    assert median.scheduler.spec()["kwargs"]["num_min_data_points"] == 7
    assert isinstance(
        _optuna(ids, optuna_sampler=RandomSampler()).make_native().scheduler, NativeRandom
    )
    grid = _optuna(
        ids,
        optuna_sampler=GridSampler({"lr": [0.1, 0.2], "net": ["a"]}),
        optuna_pruner=NopPruner(),
    ).make_native()
    assert isinstance(grid, GridSearch)
    at = AskTell(grid)
    asked = [at.ask() for _ in range(3)]
    assert [t.config for t in asked[:2]] == [{"lr": 0.1, "net": "a"}, {"lr": 0.2, "net": "a"}]
    assert asked[2] is None
    assert isinstance(_optuna(ids, optuna_pruner=False).make_native(), TPE)
    sh = _optuna(
        ids, max_iteration_per_job=9, optuna_pruner=SuccessiveHalvingPruner(reduction_factor=3)
    )
    bohb = sh._scheduler()  # no iteration limit on top: BOHB stops at max_t itself
    assert isinstance(bohb, BOHB)
    assert (bohb.max_t, bohb.resource_attr, bohb.rung_levels) == (9, "iterations", [1, 3])
    hb = _optuna(
        ids,
        max_iteration_per_job=9,
        optuna_sampler=RandomSampler(),
        optuna_pruner=HyperbandPruner(min_resource=1, reduction_factor=3),
    ).make_native()
    assert isinstance(hb, HyperbandScheduler) and hb.spec()["kwargs"]["brackets"] == 3
    assert hb.spec()["kwargs"]["searcher"] == "random"
    asha = _optuna(
        ids,
        max_iteration_per_job=9,
        optuna_sampler=RandomSampler(),
        optuna_pruner=SuccessiveHalvingPruner(),
    ).make_native()
    assert isinstance(asha, ASHA) and asha.spec()["kwargs"]["reduction_factor"] == 4
    grid_hb = _optuna(
        ids,
        max_iteration_per_job=9,
        optuna_sampler=GridSampler({"lr": [0.1, 0.2], "net": ["a", "b"]}),
        optuna_pruner=HyperbandPruner(),
    ).make_native()
    assert isinstance(grid_hb, HyperbandScheduler)


def test_optuna_objects_tunesmith_lacks_name_the_closest(ids):
    with pytest.raises(
        NotSupported,
        match="CmaEsSampler is not supported here; closest: " "tunesmith.DifferentialEvolution",
    ):
        _optuna(ids, optuna_sampler=CmaEsSampler())
    with pytest.raises(
        NotSupported,
        match="PercentilePruner is not supported here; closest: "
        "MedianPruner, tunesmith.MedianStoppingRule",
    ):
        _optuna(ids, optuna_pruner=PercentilePruner())
    with pytest.raises(NotSupported, match="tunesmith maps Optuna's TPESampler, RandomSampler"):
        _optuna(ids, optuna_sampler=object())
    with pytest.raises(InvalidValue, match="SuccessiveHalvingPruner needs the largest number of"):
        _optuna(ids, optuna_pruner=SuccessiveHalvingPruner())
    with pytest.raises(
        InvalidValue, match=r"search_space must name the hyper-parameters \['lr', 'net'\]"
    ):
        _optuna(ids, optuna_sampler=GridSampler({"lr": [0.1]})).make_native()


def test_optuna_prunes_jobs_whose_iterations_count_from_0(ids):
    """ClearML's iterations count from 0: the pruners run on ``iterations`` (iteration + 1), so
    no job fails for a resource of 0 (each did before, with the median pruner)."""
    strategy = _run(
        _optimizer(
            ids["quadratic"],
            optimizer_class=OptimizerOptuna,
            total_max_jobs=8,
            max_iteration_per_job=None,
            max_number_of_concurrent_tasks=2,
        )
    )
    jobs = list(strategy.get_created_jobs_tasks().values())
    assert len(jobs) == 8 and "failed" not in {j.status() for j in jobs}
    assert all(r["iterations"] == r["iteration"] + 1 for j in jobs for r in j.reports)
    sh = _run(
        _optimizer(
            ids["quadratic"], optimizer_class=OptimizerOptuna, total_max_jobs=8,
            max_iteration_per_job=5, optuna_sampler=RandomSampler(),
            optuna_pruner=SuccessiveHalvingPruner(reduction_factor=2),
        )
    )  # fmt: skip
    statuses = [j.status() for j in sh.get_created_jobs_tasks().values()]
    assert len(statuses) == 8 and "failed" not in statuses


# -- errors: as ClearML's, with what is allowed -------------------------------------------------
def test_unknown_keywords_are_type_errors_where_clearml_has_no_kwargs(ids):
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        Objective("val", "loss", bogus=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'step'"):
        UniformParameterRange("lr", 0, 1, step=0.1)
    opt = _optimizer(ids["quadratic"])
    with pytest.raises(TypeError, match="unexpected keyword argument 'callback'"):
        opt.start(callback=print)
    with pytest.raises(TypeError, match="in_minute"):
        opt.set_time_limit(in_minute=1)


def test_unknown_strategy_arguments_are_ignored_with_a_warning_as_clearml_ignores_them(ids, caplog):
    opt = _optimizer(ids["quadratic"], time_limit_per_jobs=5)
    assert "ignoring unknown argument(s) ['time_limit_per_jobs']" in caplog.text
    assert opt.get_optimizer().time_limit_per_job is None


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda b: _optimizer(b, objective_metric_sign="minimize"),
            ["objective_metric_sign", "'minimize'", "'min_global'"],
        ),
        (
            lambda b: _optimizer(b, max_number_of_concurrent_tasks=0),
            ["max_number_of_concurrent_tasks", "positive int"],
        ),
        (
            lambda b: _optimizer(b, optimizer_class="Hyperband"),
            ["optimizer_class", "'Hyperband'", "'GridSearch'"],
        ),
        (
            lambda b: _optimizer(b, hyper_parameters=[{"lr": 1}]),
            ["hyper_parameters", "UniformParameterRange"],
        ),
        (lambda b: _optimizer(b, total_max_jobs=2.5), ["total_max_jobs", "2.5"]),
        (lambda b: UniformParameterRange("lr", 1, 0), ["min_value", "max_value", "'lr'"]),
        (lambda b: DiscreteParameterRange("net", []), ["values", "non-empty"]),
        (
            lambda b: Objective("val", "loss", order="minimize"),
            ["order", "'min' or 'max'", "'minimize'"],
        ),
    ],
)
def test_bad_values_name_the_argument_the_value_and_what_is_allowed(ids, make, words):
    with pytest.raises(InvalidValue) as err:
        make(ids["quadratic"])
    assert isinstance(err.value, ValueError) and isinstance(err.value, AssertionError)
    for word in words:
        assert word in str(err.value)


def test_an_unregistered_base_task_is_clearmls_error():
    with pytest.raises(ValueError, match="Could not find base task id nope.*register_task"):
        _optimizer("nope")


def test_importing_tunesmith_does_not_load_the_front_end():
    code = "import sys, tunesmith; print('tunesmith.compat.clearml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert clearml.automation.HyperParameterOptimizer is HyperParameterOptimizer
    assert os.environ.get("TUNESMITH_CLEARML_OBJECTIVE") is None
