"""``syne_tune.optimizer.schedulers.searchers``: :mod:`.sklearn` (``SKLearnSurrogateSearcher``)
and :mod:`.bayesopt` (the estimator interface it takes)."""
