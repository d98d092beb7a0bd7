"""``syne_tune.backend.sagemaker_backend``: SageMaker is not in tunesmith. The names are here so
that a launcher which imports them, and runs locally (``LocalBackend``), runs as written;
calling them raises :class:`~tunesmith.compat.synetune.errors.NotSupported`."""
