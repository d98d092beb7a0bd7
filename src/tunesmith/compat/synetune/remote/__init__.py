"""``syne_tune.remote``: remote launching on SageMaker is not in tunesmith; :mod:`.constants`
keeps the names launchers import."""
