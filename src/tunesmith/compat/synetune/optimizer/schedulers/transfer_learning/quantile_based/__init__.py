"""``syne_tune.optimizer.schedulers.transfer_learning.quantile_based``: see
:mod:`.quantile_based_searcher`."""
