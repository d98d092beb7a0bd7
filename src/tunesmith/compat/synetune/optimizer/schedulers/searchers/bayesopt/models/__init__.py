"""``syne_tune.optimizer.schedulers.searchers.bayesopt.models``: see
:mod:`.meanstd_acqfunc_impl`."""
