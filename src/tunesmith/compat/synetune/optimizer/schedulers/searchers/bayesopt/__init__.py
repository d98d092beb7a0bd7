"""``syne_tune.optimizer.schedulers.searchers.bayesopt``: :mod:`.sklearn` (Syne Tune's
estimator and predictor interface) and :mod:`.models.meanstd_acqfunc_impl` (the acquisition
function names ``SKLearnSurrogateSearcher`` takes)."""
