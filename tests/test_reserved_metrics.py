"""A metric named like a column of records() (``trial_id``, ``status``) fails its trial with
reason invalid_metric, under every backend that runs user code, and never overwrites the
column (a script printing ``{"trial_id": 99, ...}`` used to show up as trial 99)."""

import sys
import textwrap

import pytest

from tunesmith import (
    GridSearch,
    LocalBackend,
    ScriptBackend,
    TrialStatus,
    Tuner,
    choice,
    load_study,
    report,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

SPACE = {"name": choice(["loss", "trial_id", "status"])}


def reports_a_metric_named(config):
    """A good report, then one with ``config["name"]`` as an extra metric (module level: the
    LocalBackend's workers import it)."""
    report(loss=0.5)
    report(**{"loss": 0.25, config["name"]: 99})


def _run(backend, tmp_path, name):
    return Tuner(
        backend,
        GridSearch(SPACE, metric="loss", shuffle=False),
        None,
        n_workers=1,
        max_failures=1.0,
        verbose=0,
        run_dir=tmp_path,
        name=name,
    ).run()


def _check(result, name):
    by_name = {t.config["name"]: t for t in result.trials.values()}
    good = by_name["loss"]
    assert good.status is TrialStatus.COMPLETED, good.failure_detail
    for reserved in ("trial_id", "status"):
        trial = by_name[reserved]
        assert trial.status is TrialStatus.FAILED
        assert trial.failure_reason == "invalid_metric"
        assert f"metric name {reserved!r} is reserved" in trial.failure_detail
    # the reserved report is stored nowhere, so no row claims to be trial 99 or status 99
    for rows in (result.records(), load_study(name).records()):
        assert {r["trial_id"] for r in rows} <= set(result.trials)
        assert all(isinstance(r["status"], str) for r in rows)
        assert all(r["loss"] == 0.5 for r in rows if r["name"] != "loss")


def test_local_backend_fails_the_trial(tmp_path):
    result = _run(LocalBackend(reports_a_metric_named), tmp_path, "reserved-local")
    _check(result, "reserved-local")


SCRIPT = textwrap.dedent(
    """
    import json, os
    import tunesmith
    with open(os.environ["TUNESMITH_CONFIG"]) as f:
        config = json.load(f)
    tunesmith.report(loss=0.5)
    {second}
    """
)


@pytest.mark.parametrize(
    "second",
    [
        # through tunesmith.report() and the acknowledged pipe
        'tunesmith.report(**{"loss": 0.25, config["name"]: 99})',
        # a printed result line, as the script did
        'print("[tunesmith] " + json.dumps({"loss": 0.25, config["name"]: 99}), flush=True)',
    ],
    ids=["report", "printed-line"],
)
def test_script_backend_fails_the_trial(tmp_path, second):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT.format(second=second))
    cmd = [sys.executable, str(script)]
    name = f"reserved-script-{second[:5]}"
    result = _run(ScriptBackend(cmd), tmp_path, name)
    _check(result, name)
