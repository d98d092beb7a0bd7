"""What importing tunesmith loads: building a tuner with random search must not import scipy,
the Gaussian-process code or the store's SQLAlchemy, and a trial process's imports not numpy.
Each check runs in a fresh interpreter (this one has imported everything). Import *times* are
measured by benchmarks/import_time.py, not asserted here: the CI machine is loaded."""

import json
import subprocess
import sys
import textwrap

import pytest

#: modules that only model-based searchers, the store, results tables or plots need
HEAVY = ("scipy", "sqlalchemy", "pandas", "matplotlib", "rich", "cloudpickle", "click")
GP_MODULES = (
    "tunesmith.searchers.bayesopt",
    "tunesmith.searchers.gp",
    "tunesmith.searchers.mobster",
    "tunesmith.searchers.acquisition",
    "tunesmith.schedulers.bayesian",
)

#: the README's example, as a newcomer writes it: a script, up to building the tuner
README_SCRIPT = """
import tunesmith
from tunesmith import LocalBackend, RandomSearch, StoppingCriterion, Tuner, loguniform, randint


def train(config):
    for epoch in range(1, config["epochs"] + 1):
        tunesmith.report(epoch=epoch, loss=(config["lr"] - 0.01) ** 2 + 1.0 / config["width"])


if __name__ == "__main__":
    space = {"lr": loguniform(1e-4, 1e-1), "width": randint(4, 64), "epochs": 10}
    tuner = Tuner(
        LocalBackend(train),
        RandomSearch(space, metric="loss", mode="min", random_seed=0),
        StoppingCriterion(max_num_trials_started=20),
        n_workers=2,
        name="lr-width",
    )
"""


def loaded_modules(tmp_path, code: str) -> set[str]:
    """The names in ``sys.modules`` after ``code`` ran as a script in a fresh interpreter."""
    script = tmp_path / "script.py"
    # only the script's own process prints (LocalBackend's fork server imports the script too,
    # as __mp_main__, and shares its stdout)
    script.write_text(
        textwrap.dedent(code)
        + "\nimport json, sys\nif __name__ == '__main__':\n"
        + "    print('MODULES', json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith("MODULES ")]
    assert proc.returncode == 0 and len(lines) == 1, (proc.returncode, proc.stdout, proc.stderr)
    return set(json.loads(lines[0].removeprefix("MODULES ")))


def roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_building_a_tuner_with_random_search_loads_no_scipy_gp_or_store(tmp_path):
    modules = loaded_modules(tmp_path, README_SCRIPT)
    assert "tunesmith.tuner" in modules and "tunesmith.schedulers.fifo" in modules
    assert not roots(modules) & set(HEAVY), sorted(roots(modules) & set(HEAVY))
    assert not modules & set(GP_MODULES), sorted(modules & set(GP_MODULES))
    # the store is opened when the run starts
    assert not {m for m in modules if m.startswith("tunesmith.store.")} - {
        "tunesmith.store.home",
        "tunesmith.store.study",
        "tunesmith.store.events",
    }


def test_a_trial_process_importing_the_script_loads_no_numpy(tmp_path):
    """Worker processes import the user's script (its top-level imports, not the part under
    ``if __name__ == "__main__"``) to find the trial function: that must stay cheap."""
    modules = loaded_modules(tmp_path, README_SCRIPT.split("if __name__")[0])
    assert "tunesmith.tuner" in modules
    assert not roots(modules) & {"numpy", *HEAVY}, sorted(roots(modules) & {"numpy", *HEAVY})


@pytest.mark.parametrize(
    "code",
    [
        "from tunesmith import BayesianOptimization, uniform\n"
        "BayesianOptimization({'x': uniform(0, 1)}, metric='loss', random_seed=0)\n",
        "from tunesmith.searchers import GPSearcher\n"
        "from tunesmith import uniform\n"
        "GPSearcher({'x': uniform(0, 1)}, metric='loss', random_seed=0)\n",
        "from tunesmith import FIFOScheduler, uniform\n"
        "FIFOScheduler({'x': uniform(0, 1)}, searcher='bayesopt', metric='loss')\n",
    ],
    ids=["BayesianOptimization", "GPSearcher", "searcher-name"],
)
def test_a_gp_searcher_loads_scipy_and_the_gp_code(tmp_path, code):
    modules = loaded_modules(tmp_path, code)
    assert "scipy" in modules
    assert {"tunesmith.searchers.bayesopt", "tunesmith.searchers.gp"} <= modules


def test_every_lazy_name_resolves():
    """Each package's lazily imported names exist where they are said to be (a typo in an
    export table would otherwise only fail when that name is first used)."""
    import importlib

    for package in (
        "tunesmith",
        "tunesmith.schedulers",
        "tunesmith.searchers",
        "tunesmith.backends",
        "tunesmith.callbacks",
        "tunesmith.store",
    ):
        module = importlib.import_module(package)
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{package}.{name}"
        assert set(module.__all__) <= set(dir(module))
