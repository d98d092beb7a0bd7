"""Syne Tune's constants that training scripts and launchers use (``syne_tune.constants``)."""

#: the argument (and config key) holding the trial's checkpoint folder
ST_CHECKPOINT_DIR = "st_checkpoint_dir"
#: the argument naming the JSON file with the config (``LocalBackend(pass_args_as_json=True)``)
ST_CONFIG_JSON_FNAME_ARG = "st_config_json_filename"
#: fields :class:`~tunesmith.compat.synetune.Reporter` adds to every report
ST_WORKER_ITER = "st_worker_iter"
ST_WORKER_TIMESTAMP = "st_worker_timestamp"
ST_WORKER_TIME = "st_worker_time"
ST_WORKER_COST = "st_worker_cost"
#: the file of user metadata in a tuner's folder
ST_METADATA_FILENAME = "metadata.json"
#: the environment variable naming the folder of experiments (Syne Tune's ``~/syne-tune``);
#: here it is tunesmith's home (``$TUNESMITH_HOME``, default ``./tunesmith-results``) unless set
SYNE_TUNE_ENV_FOLDER = "SYNETUNE_FOLDER"
#: Syne Tune's print prefix of a result line (the script backend reads these lines)
TUNE_METRIC_PREFIX = "[tune-metric]:"
