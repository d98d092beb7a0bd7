"""How ``store-v0.1.0.db`` was made, with tunesmith 0.1.0 (commit e2ba671) on its PYTHONPATH:

    python make-store-v0.1.0.py /tmp/fx/v1.db
    TUNESMITH_HOME=/tmp/fx/home timeout -s KILL 2.5 python -m tunesmith.testing.crash tune \
        --storage sqlite:////tmp/fx/v1.db --name crashed --side /tmp/fx/side.jsonl \
        --trials 6 --seed 1 --sleep 0.05

The second command is killed while its third trial runs, which leaves a study with a trial
'running' in the journal. Kept to show what the file holds; the tests only read the file.
"""

import sys

from tunesmith import ASHA, LocalBackend, RandomSearch, StoppingCriterion, Tuner, uniform
from tunesmith.testing.trainables import three_reports

if __name__ == "__main__":
    url = f"sqlite:///{sys.argv[1]}"
    space = {"x": uniform(0, 1)}
    asha = ASHA(space, metric="loss", resource_attr="epoch", max_t=3, random_seed=3)
    stop = StoppingCriterion(max_num_trials_started=6)
    Tuner(
        LocalBackend(three_reports),
        asha,
        stop,
        n_workers=2,
        verbose=0,
        name="asha-done",
        storage=url,
        run_dir="/tmp/fx/run-asha",
    ).run()
    random = RandomSearch(space, metric="loss", random_seed=4)
    stop = StoppingCriterion(max_num_trials_started=5)
    Tuner(
        LocalBackend(three_reports),
        random,
        stop,
        n_workers=1,
        verbose=0,
        name="random-done",
        storage=url,
        run_dir="/tmp/fx/run-random",
    ).run()
