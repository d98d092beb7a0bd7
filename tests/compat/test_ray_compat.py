"""The seeds' remote options on Ray: AutoGluon's dist_ip_addrs/add_remote and ClearML's
execution queues run trials through RayBackend (one Ray instance on this machine for the
module). Skipped where Ray is not installed: pip install "tunesmith[ray]"."""

from __future__ import annotations

import os
import sys

import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "tunesmith[ray]")')

import tunesmith.compat.autogluon as ag  # noqa: E402
from tunesmith import RayBackend  # noqa: E402
from tunesmith.compat.clearml import register_task  # noqa: E402
from tunesmith.compat.clearml.automation import (  # noqa: E402
    DiscreteParameterRange,
    HyperParameterOptimizer,
    UniformParameterRange,
)
from tunesmith.compat.clearml.automation import RandomSearch as ClearMLRandom  # noqa: E402
from tunesmith.compat.clearml.task import ray_address  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def ray_instance():
    system = {"enable_worker_prestart": False, "prestart_worker_first_driver": False}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _system_config=system)
    from ray import cloudpickle

    # the trial functions of this module go to the actors by value (they cannot import it)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.shutdown()


def _this_node():
    return next(n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"])


# -- AutoGluon -----------------------------------------------------------------------------------
@ag.args(lr=ag.space.Real(0.01, 0.1), epochs=3)
def train_fn(args, reporter):
    for e in range(args.epochs):
        reporter(epoch=e + 1, accuracy=1 - args.lr / (e + 1), pid=os.getpid())


def test_dist_ip_addrs_runs_the_trials_on_ray():
    scheduler = ag.scheduler.FIFOScheduler(
        train_fn, num_trials=3, dist_ip_addrs=[_this_node()], resource={"num_cpus": 1}
    )
    assert isinstance(scheduler._backend(), RayBackend)
    assert scheduler._n_workers() == 2  # the cluster's CPUs / num_cpus
    scheduler.run()
    scheduler.join_jobs()
    assert [len(v) for v in scheduler.training_history.values()] == [3, 3, 3]


def test_add_remote_adds_machines_that_must_be_ray_nodes():
    scheduler = ag.scheduler.FIFOScheduler(train_fn, num_trials=2)
    scheduler.add_remote("10.255.255.1")
    scheduler.add_remote(["10.255.255.1", "10.255.255.2"])
    assert scheduler.remote_ips == ["10.255.255.1", "10.255.255.2"]
    scheduler.run()
    with pytest.raises(ValueError, match=r"not nodes of the Ray cluster") as info:
        scheduler.join_jobs()
    assert "ray start --address=" in str(info.value)
    assert "10.255.255.2" in str(info.value)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda: ag.scheduler.FIFOScheduler(train_fn, num_trials=2, dist_ip_addrs=[1]),
            r"dist_ip_addrs must be a list of IP addresses .* but got \[1\]",
        ),
        (
            lambda: ag.scheduler.FIFOScheduler(train_fn, num_trials=2).add_remote([""]),
            r"add_remote must be a list of IP addresses .* but got \[''\]",
        ),
        (
            lambda: ag.scheduler.FIFOScheduler(train_fn, num_trials=2).upload_files(["a.py"]),
            r"upload_files is not supported: .*runtime_env",
        ),
    ],
)
def test_bad_remote_arguments(make, match):
    with pytest.raises(AssertionError, match=match):
        make()


# -- ClearML -------------------------------------------------------------------------------------
def job(params, logger):
    for it in range(3):
        logger.report_scalar("val", "loss", value=params["lr"] + it, iteration=it)


@pytest.mark.parametrize(
    ("queue", "address"),
    [
        ("ray", ""),
        ("ray:auto", "auto"),
        ("ray:10.0.0.1:6379", "10.0.0.1:6379"),
        ("ray://head:10001", "ray://head:10001"),
        ("default", None),
        ("ray:", None),
        ("gpu-queue", None),
    ],
)
def test_execution_queue_names_the_ray_cluster(queue, address):
    assert ray_address(queue) == address


@pytest.mark.parametrize("kind", ["function", "command"])
def test_an_execution_queue_on_ray_runs_the_jobs_there(kind, tmp_path):
    if kind == "function":
        base = register_task(job, name="job")
    else:
        script = tmp_path / "job.py"
        script.write_text(
            "from tunesmith.compat.clearml import Task\n"
            "task = Task.init('p', 'job')\n"
            "args = {'lr': 0.0, 'net': ''}\n"
            "task.connect(args)\n"
            "log = task.get_logger()\n"
            "for it in range(3):\n"
            "    log.report_scalar('val', 'loss', value=float(args['lr']) + it, iteration=it)\n"
        )
        base = register_task(f"python {script}", name="job-script")
    optimizer = HyperParameterOptimizer(
        base_task_id=base,
        hyper_parameters=[
            UniformParameterRange("lr", 0.01, 0.3),
            DiscreteParameterRange("net", ["a", "b"]),
        ],
        objective_metric_title="val",
        objective_metric_series="loss",
        objective_metric_sign="min",
        max_number_of_concurrent_tasks=2,
        optimizer_class=ClearMLRandom,
        execution_queue="ray",
        total_max_jobs=3,
    )
    assert optimizer.start()
    assert optimizer.wait()
    optimizer.stop()
    strategy = optimizer.get_optimizer()
    assert isinstance(strategy.tuner.backend, RayBackend)
    jobs = strategy.get_created_jobs_tasks().values()
    assert len(jobs) == 3
    for j in jobs:
        assert j.is_completed(), j
        points = j.objective_points("val/loss")
        assert [it for it, _ in points] == [0, 1, 2]
        assert points[-1][1] == pytest.approx(float(j.parameters["lr"]) + 2)
