"""``syne_tune.optimizer``: :mod:`.baselines` (``ASHA``, ``BayesianOptimization``, ...) and
:mod:`.schedulers` (``FIFOScheduler``, ``HyperbandScheduler``, ``MedianStoppingRule``), each
building a native tunesmith scheduler."""
