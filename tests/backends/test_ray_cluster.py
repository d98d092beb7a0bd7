"""RayBackend on a Ray cluster of three nodes on this machine (a head without CPUs and two
worker nodes, each its own set of processes): a study goes on when a worker node is killed in
the middle of a trial. Skipped where Ray is not installed: pip install "tunesmith[ray]"."""

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "tunesmith[ray]")')

from _wait import wait_for  # noqa: E402
from tunesmith import RandomSearch, StoppingCriterion, TrialStatus, Tuner, uniform  # noqa: E402
from tunesmith.backends.ray import RayBackend  # noqa: E402
from tunesmith.reporting import report, trial_id  # noqa: E402
from tunesmith.testing.backend_contract import live_descendants  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only"),
]

EPOCHS = 8


def epochs(config):
    """Reports EPOCHS results, 0.1 s apart; after each report that returned, writes a line
    (trial, epoch, its process id) to the side file."""
    for epoch in range(1, EPOCHS + 1):
        report(epoch=epoch, loss=config["x"] / epoch)
        with open(config["side"], "a") as f:
            f.write(json.dumps({"trial": trial_id(), "epoch": epoch, "pid": os.getpid()}) + "\n")
        time.sleep(0.1)


def _parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rpartition(")")[2].split()[1])


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    before = live_descendants()
    # a node that stops answering is declared dead after ~1.5 s (Ray's default: ~30 s)
    system = {
        "health_check_period_ms": 500,
        "health_check_timeout_ms": 500,
        "health_check_failure_threshold": 3,
        "enable_worker_prestart": False,
        "prestart_worker_first_driver": False,
    }
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "include_dashboard": False, "_system_config": system},
    )
    nodes = [cluster.add_node(num_cpus=2) for _ in range(2)]
    cluster.wait_for_nodes()  # RayBackend(address=...) connects to it
    # the trial function comes from this module, which the nodes cannot import: send it by value
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        yield cluster, nodes
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        ray.shutdown()
        cluster.shutdown()
        wait_for(lambda: not (live_descendants() - before), "the Ray processes to end")


def test_a_lost_node_fails_its_trial_and_the_study_goes_on(cluster, tmp_path):
    cluster, nodes = cluster
    raylets = {node.all_processes["raylet"][0].process.pid: node for node in nodes}
    side = tmp_path / "side.jsonl"
    side.touch()
    killed = {}

    def kill_a_node_mid_trial():
        def running_trial():
            lines = [json.loads(line) for line in side.read_text().splitlines()]
            # the second trial in its third epoch: a trial in the middle of its run
            return next((e for e in lines if e["trial"] == 1 and e["epoch"] == 3), None)

        line = wait_for(running_trial, "trial 1 to reach epoch 3", timeout=120)
        # the trial's process <- ... <- its Ray actor <- the raylet of its node
        chain = [line["pid"]]
        while chain[-1] not in raylets:
            chain.append(_parent(chain[-1]))
        actor, raylet = chain[-2], chain[-1]
        killed["trial"] = line["trial"]
        # the machine is gone: the actor (its trial's process dies with it), its Ray processes
        os.kill(actor, signal.SIGKILL)
        cluster.remove_node(raylets[raylet], allow_graceful=False)

    killer = threading.Thread(target=kill_a_node_mid_trial)
    killer.start()
    space = {"x": uniform(0, 1), "side": str(side)}
    result = Tuner(
        RayBackend(
            epochs,
            address=cluster.address,
            resources_per_trial={"cpus": 1},
            stop_grace_period=1.0,
            init_kwargs={"log_to_driver": False},
        ),
        RandomSearch(space, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_finished=6),
        n_workers=2,
        verbose=0,
        storage=f"sqlite:///{tmp_path / 'study.db'}",
        run_dir=tmp_path / "run",
    ).run()
    killer.join()
    assert not ray.is_initialized()  # the backend's connection is closed

    lost = [t for t in result.trials.values() if t.status is TrialStatus.FAILED]
    assert [t.trial_id for t in lost] == [killed["trial"]]
    assert lost[0].failure_reason == "worker_lost"
    assert "lost" in lost[0].failure_detail
    completed = [t for t in result.trials.values() if t.status is TrialStatus.COMPLETED]
    assert len(completed) >= 5
    # nothing else lost: every report that returned in a trial is stored, once
    returned: dict[int, int] = {}
    for line in side.read_text().splitlines():
        entry = json.loads(line)
        returned[entry["trial"]] = returned.get(entry["trial"], 0) + 1
    for trial in result.trials.values():
        assert trial.num_results >= returned.get(trial.trial_id, 0), trial
        if trial.status is TrialStatus.COMPLETED:
            assert trial.num_results == EPOCHS
    assert not Path(tmp_path / "run" / ".tunesmith-ray-marker").exists()
