"""A trivial 20-trial study as a newcomer writes it from tunesmith's README: a quadratic,
random search, LocalBackend with the README's 2 workers, the default store (SQLite in
./tunesmith-results), a study name. Run by study_e2e.py, timed from process start to exit.

    python benchmarks/peers/tunesmith_study.py [n_workers [storage]]

(``n_workers`` other than 2 and ``storage="memory"``, which keeps the journal in memory, are
for study_e2e.py's extra variants that take the cost apart.)
"""

import sys

import tunesmith
from tunesmith import LocalBackend, RandomSearch, StoppingCriterion, Tuner, uniform


def objective(config):  # module level: worker processes import it
    tunesmith.report(loss=(config["x"] - 2.0) ** 2)


if __name__ == "__main__":
    tuner = Tuner(
        LocalBackend(objective),
        RandomSearch({"x": uniform(-10.0, 10.0)}, metric="loss", mode="min", random_seed=0),
        StoppingCriterion(max_num_trials_started=20),
        n_workers=int(sys.argv[1]) if len(sys.argv) > 1 else 2,
        name="quadratic",
        storage=sys.argv[2] if len(sys.argv) > 2 else None,
    )
    result = tuner.run()
    print(result.best_config())
