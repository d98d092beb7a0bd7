"""AutoGluon's scheduler API (``autogluon.core`` 0.0.x: ``ag.args``, ``ag.space``,
``ag.scheduler``) on tunesmith: replace ``import autogluon.core as ag`` by
``import tunesmith.compat.autogluon as ag`` and the code runs on tunesmith's native schedulers,
searchers, tuner and store. See docs/migrate-autogluon.md, argument by argument.

::

    import tunesmith.compat.autogluon as ag

    @ag.args(lr=ag.space.Real(1e-3, 1e-2, log=True), epochs=3)
    def train_fn(args, reporter):
        for e in range(args.epochs):
            reporter(epoch=e + 1, accuracy=1 - args.lr / (e + 1))

    scheduler = ag.scheduler.FIFOScheduler(train_fn, num_trials=4, reward_attr="accuracy")
    scheduler.run()
    scheduler.join_jobs()
"""

from tunesmith.compat.autogluon import scheduler, space
from tunesmith.compat.autogluon.decorator import Args, args
from tunesmith.compat.autogluon.errors import InvalidArgument
from tunesmith.compat.autogluon.reporter import FakeReporter, Reporter
from tunesmith.compat.autogluon.scheduler import load, save

__all__ = [
    "Args",
    "FakeReporter",
    "InvalidArgument",
    "Reporter",
    "args",
    "load",
    "save",
    "scheduler",
    "space",
]
