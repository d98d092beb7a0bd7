"""``ag.scheduler``: AutoGluon's ``FIFOScheduler``, ``HyperbandScheduler`` and ``RLScheduler``,
each a front for one native tunesmith scheduler (:attr:`native`) run by the native
:class:`~tunesmith.Tuner` on a :class:`~tunesmith.LocalBackend`. They are not tunesmith
schedulers themselves (the native classes keep their registered names).

``run()`` starts the native tuner in a thread of its own and returns while the trials run, as
AutoGluon's does; ``join_jobs()`` waits for the run to end (and raises what it raised). The
history is filled live in the tuner's thread under a lock the results methods share, so they
give the best so far during a run. The workers do not import the
script (``LocalBackend(import_main=False)``), so the seeds' notebook-style scripts, which tune
at top level without ``if __name__ == "__main__":``, run as written; the training function and
what it uses from the script are sent by value.
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from tunesmith.callbacks import TunerCallback
from tunesmith.compat.autogluon._searchers import DEFAULT_SEED, make_searcher
from tunesmith.compat.autogluon.decorator import SearchableFunction
from tunesmith.compat.autogluon.errors import (
    InvalidValue,
    NotSupported,
    check_arguments,
)
from tunesmith.compat.autogluon.history import (
    HistoryCallback,
    best_of,
    plot_training_curves,
)
from tunesmith.compat.autogluon.reporter import Reporter

__all__ = ["FIFOScheduler", "HyperbandScheduler", "RLScheduler", "load", "save"]

logger = logging.getLogger("tunesmith")

_FIFO_KEYS = {
    "args", "resource", "searcher", "search_options", "checkpoint", "resume", "num_trials",
    "time_out", "max_reward", "reward_attr", "time_attr", "constraint_attr", "dist_ip_addrs",
    "visualizer", "training_history_callback", "training_history_callback_delta_secs",
    "training_history_searcher_info", "delay_get_config", "stop_jobs_after_time_out",
}  # fmt: skip
_HYPERBAND_KEYS = {
    "max_t", "grace_period", "reduction_factor", "brackets", "type", "searcher_data",
    "do_snapshots", "rung_system_per_bracket", "keep_size_ratios", "maxt_pending",
    "random_seed", "rung_levels",
}  # fmt: skip
_RL_KEYS = {
    "controller_lr", "ema_baseline_decay", "controller_resource", "controller_batch_size",
    "sync", "random_seed",
}  # fmt: skip
_RAY_JOIN = (
    "start a Ray cluster (`ray start --head` on this machine, `ray start --address=HEAD:6379` on "
    "each remote machine; RAY_ADDRESS names another head) and trials run on it through "
    'tunesmith.RayBackend (pip install "tunesmith[ray]")'
)


def save(obj: Any, path: str) -> None:
    """``ag.save``: pickle ``obj`` (a ``state_dict()``) to ``path``."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def load(path: str) -> Any:
    """``ag.load``: what :func:`save` wrote."""
    with open(path, "rb") as f:
        return pickle.load(f)


class _TrialFunction:
    """What the workers run: the decorated function with ``args`` built from the config and a
    :class:`Reporter`. numpy's global generator is seeded with the task id + 1 first, as
    AutoGluon seeds it before each call (so ``np.random`` in a training function is
    reproducible)."""

    def __init__(self, fn: SearchableFunction, base_args: Any):
        self.fn, self.base_args = fn, base_args

    def __call__(self, config: dict[str, Any]) -> None:
        import numpy as np

        import tunesmith

        np.random.seed((tunesmith.trial_id() or 0) + 1)
        self.fn.f(self.fn.build_args(config, self.base_args), reporter=Reporter())


class _Snapshots(TunerCallback):
    """Takes ``take()`` (a ``state_dict``) in the tuner's thread, between two of its steps (at
    its next tick), for another thread: the native scheduler is not read while the tuner
    changes it."""

    def __init__(self, take: Callable[[], dict[str, Any]]):
        self._take = take
        self._lock = threading.Lock()
        self._waiting: list[tuple[threading.Event, list[Any]]] = []

    def request(self, running: Callable[[], bool]) -> dict[str, Any] | None:
        """The snapshot, or None if the run ended first (then read the state directly)."""
        done, box = threading.Event(), []
        with self._lock:
            self._waiting.append((done, box))
        while not done.wait(0.05):
            if not running():
                break
        with self._lock:
            if (done, box) in self._waiting:
                self._waiting.remove((done, box))
        if not box:
            return None
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    def on_tick(self, tuner: Any) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        try:
            state: Any = self._take()
        except Exception as err:  # the caller's error, not the run's
            state = err
        for done, box in waiting:
            box.append(state)
            done.set()


class FIFOScheduler:
    """AutoGluon's ``FIFOScheduler(train_fn, **kwargs)``: every trial runs to its end; the
    native scheduler is :class:`tunesmith.FIFOScheduler` with the searcher ``searcher`` names."""

    _name = "FIFOScheduler"
    _keys = _FIFO_KEYS

    def __init__(self, train_fn: SearchableFunction, **kwargs: Any):
        check_arguments(self._name, kwargs, self._keys)
        if not isinstance(train_fn, SearchableFunction):
            raise InvalidValue(
                f"{self._name}: train_fn must be decorated with @ag.args(...), but got {train_fn!r}"
            )
        #: remote machines (dist_ip_addrs, add_remote): trials then run on a Ray cluster that
        #: must have them as nodes (RayBackend(nodes=...)), at RAY_ADDRESS or started here
        self.remote_ips = _ip_list("dist_ip_addrs", kwargs.get("dist_ip_addrs"))
        for key, ok in (("visualizer", "none"), ("constraint_attr", None)):
            value = kwargs.get(key, ok)
            if value is not None and value != ok and str(value).lower() != ok:
                raise NotSupported(
                    f"{key}={value!r} is not supported: "
                    + (
                        "tunesmith shows its live progress, the dashboard and tunesmith.viz"
                        if key == "visualizer"
                        else "use tunesmith.ConstrainedBayesianOptimization with the native Tuner"
                    )
                )
        if kwargs.get("training_history_searcher_info"):
            raise NotSupported(
                "training_history_searcher_info=True is not supported: the searcher's state is "
                "in scheduler.native.searcher.state_dict()"
            )
        self.train_fn = train_fn
        self.args = kwargs.get("args")
        self.resource = dict(kwargs.get("resource") or {"num_cpus": 1, "num_gpus": 0})
        self.num_trials = kwargs.get("num_trials")
        self.time_out = kwargs.get("time_out")
        if self.num_trials is None and self.time_out is None:
            raise InvalidValue("Need stopping criterion: Either num_trials or time_out")
        self.max_reward = kwargs.get("max_reward")
        self._reward_attr = kwargs.get("reward_attr", "accuracy")
        self._time_attr = kwargs.get("time_attr", "epoch")
        self._checkpoint = kwargs.get("checkpoint", self._default_checkpoint())
        self._resume = bool(kwargs.get("resume", False))
        if self._resume:
            if self._checkpoint is None:
                raise InvalidValue("Need checkpoint to be set if resume = True")
            if not os.path.isfile(self._checkpoint):
                raise FileExistsError(
                    f"checkpoint path {self._checkpoint} is not available for resume."
                )
        self._stop_jobs_after_time_out = bool(kwargs.get("stop_jobs_after_time_out", True))
        if not kwargs.get("delay_get_config", True):
            logger.info(
                "delay_get_config=False: tunesmith always asks the searcher when a worker is free"
            )
        self.training_history: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self.config_history: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._history_callback = kwargs.get("training_history_callback")
        self._history_delta = kwargs.get("training_history_callback_delta_secs", 60)
        self._offset = 0
        self._ran = False
        self.result = None
        #: held while the history changes (the tuner's thread) and while it is read
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._live: Any = None  # the native Tuner while a run is in progress
        self._error: BaseException | None = None
        self._snapshots = _Snapshots(self._state_now)
        self.config_space = train_fn.config_space()
        self.random_seed = int(kwargs.get("random_seed", DEFAULT_SEED))
        self.searcher_arg = kwargs.get("searcher", "random")
        self.search_options = kwargs.get("search_options")
        self.native = self._make_native(kwargs)
        self.searcher = self.native.searcher

    def _default_checkpoint(self) -> str | None:
        return None

    def _searcher(self, searcher: Any = None) -> Any:
        return make_searcher(
            self.searcher_arg if searcher is None else searcher,
            self.search_options,
            config_space=self.config_space,
            default_config=self.train_fn.default_config(),
            metric=self._reward_attr,
            random_seed=self.random_seed,
        )

    def _make_native(self, kwargs: dict[str, Any]) -> Any:
        from tunesmith.schedulers import FIFOScheduler as NativeFIFO

        return NativeFIFO(
            self.config_space, searcher=self._searcher(), metric=self._reward_attr, mode="max"
        )

    # -- running ---------------------------------------------------------------------------
    def _n_workers(self) -> int:
        cpus = self.resource.get("num_cpus", 1) or 1
        total = os.cpu_count() or 1
        if self.remote_ips:  # the CPUs of the whole cluster, as AutoGluon counts all machines
            total = int(_ray_connect().cluster_resources().get("CPU", 1))
        return max(1, total // int(cpus))

    def _backend(self) -> Any:
        function = _TrialFunction(self.train_fn, self.args)
        cpus = int(self.resource.get("num_cpus", 1) or 1)
        gpus = self.resource.get("num_gpus", 0) or 0
        if self.remote_ips:
            from tunesmith import RayBackend

            _ray_connect()
            return RayBackend(
                function,
                resources_per_trial={"cpus": cpus, "gpus": gpus},
                nodes=self.remote_ips,
            )
        from tunesmith import LocalBackend

        return LocalBackend(
            function, resources={"cpus": cpus, "gpus": int(gpus)}, import_main=False
        )

    def _tuner(self, num_trials: int | None, time_out: float | None) -> Any:
        from tunesmith import StoppingCriterion, Tuner

        backend = self._backend()
        stop = StoppingCriterion(
            max_num_trials_started=num_trials,
            max_wallclock_time=time_out,
            max_metric_value=(
                None if self.max_reward is None else {self._reward_attr: self.max_reward}
            ),
        )
        callback = HistoryCallback(
            self.training_history,
            self.config_history,
            offset=self._offset,
            callback=self._history_callback,
            delta_secs=self._history_delta,
            on_task_end=self._on_task_end if self._checkpoint else None,
            lock=self._lock,
        )
        study: dict[str, Any] = {"storage": "memory"}
        if self._checkpoint:
            base = os.path.splitext(os.path.abspath(self._checkpoint))[0]
            os.makedirs(os.path.dirname(base), exist_ok=True)
            study = {
                "storage": f"sqlite:///{base}.db",
                "name": "autogluon",
                "run_dir": base + "-trials",
                "if_exists": "resume" if (self._resume or self._ran) else "overwrite",
            }
        return Tuner(
            backend,
            self.native,
            stop,
            n_workers=self._n_workers(),
            callbacks=[callback, self._snapshots],
            max_failures=1.0,
            wait_trial_completion_when_stopping=not self._stop_jobs_after_time_out,
            **study,
        )

    def _on_task_end(self) -> None:
        self.save()

    def run(self, **kwargs: Any) -> None:
        """Start ``num_trials`` trials (or until ``time_out`` seconds); ``num_trials`` and
        ``time_out`` given here replace the constructor's. Returns at once: the native tuner
        runs in a thread of its own; :meth:`join_jobs` waits for it."""
        check_arguments(f"{self._name}.run", kwargs, {"num_trials", "time_out"})
        if self._running():
            raise RuntimeError(
                f"{self._name}.run() was called while a run is in progress; call join_jobs() "
                "to wait for it first"
            )
        if self._ran and not self._checkpoint:
            raise RuntimeError(
                f"{self._name}.run() already ran; pass checkpoint=... to the scheduler to run "
                "more trials in the same experiment"
            )
        self._raise_error()  # the previous run's, if join_jobs() was not called
        tuner = self._tuner(
            kwargs.get("num_trials", self.num_trials), kwargs.get("time_out", self.time_out)
        )
        self._ran = True
        self._live, self.result = tuner, None
        self._thread = threading.Thread(
            target=self._run_tuner, args=(tuner,), name=f"ag.{self._name}.run"
        )
        self._thread.start()

    def _run_tuner(self, tuner: Any) -> None:
        """The run, in its own thread: an exception is kept for :meth:`join_jobs`."""
        try:
            result = tuner.run()
            with self._lock:
                self.result = result
                self._history_from(result)
            if self._checkpoint:
                self.save()
        except BaseException as err:
            self._error = err
            self.result = getattr(err, "result", None) or tuner.result  # what was recorded
        finally:
            self._live = None

    def _running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _history_from(self, result: Any) -> None:
        """The whole history from the run's result (a resumed run's earlier reports too)."""
        history: OrderedDict[str, list[dict[str, Any]]] = OrderedDict(
            (str(trial_id + self._offset), reports)
            for trial_id, reports in result.history().items()  # grouped by trial, in order
        )
        for trial_id in sorted(result.trials):
            key = str(trial_id + self._offset)
            self.config_history.setdefault(key, dict(result.trials[trial_id].config))
        self.training_history.clear()
        self.training_history.update(history)

    def _raise_error(self) -> None:
        err, self._error = self._error, None
        if err is not None:
            raise err

    def join_jobs(self, timeout: float | None = None) -> None:
        """Wait for the run to end, at most ``timeout`` seconds (None: no limit), then raise
        the exception the run raised, if any. Ctrl-C while waiting asks the tuner to stop
        (running trials are stopped, what they reported is kept) and waits for it to end."""
        thread = self._thread
        if thread is None:
            return
        try:
            thread.join(timeout)
        except KeyboardInterrupt:
            tuner = self._live
            if tuner is not None:
                logger.warning("interrupted: stopping the run (join_jobs)")
                tuner.stop("interrupted (Ctrl-C in join_jobs)")
            thread.join()
        if not thread.is_alive():
            self._raise_error()

    join_tasks = join_jobs

    def shutdown(self) -> None:
        """Wait for the run to end (the tuner ends its worker processes when it does)."""
        self.join_jobs()

    # -- results ---------------------------------------------------------------------------
    @property
    def num_finished_tasks(self) -> int:
        """Tasks that ended (during a run: so far)."""
        from tunesmith.trial import TrialStatus

        source = self.result if self.result is not None else self._live
        if source is None:
            return 0
        running = (TrialStatus.RUNNING, TrialStatus.PENDING, TrialStatus.PAUSED)
        trials = list(source.trials.values())  # one step: the tuner's thread may add one
        return sum(1 for t in trials if t.status not in running)

    def _histories(self) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]]]:
        """Copies of the training and config histories, taken under the history's lock."""
        with self._lock:
            history = {k: list(v) for k, v in self.training_history.items()}
            return history, dict(self.config_history)

    def _counted(self, reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The reports of a task AutoGluon's searcher gets: its last one."""
        return reports[-1:]

    def get_best_task_id(self) -> str | None:
        """The task with the best reward (ties, and equal configs: the first); during a run,
        the best so far."""
        return self._best()[0]

    def _best(self) -> tuple[str | None, dict[str, Any] | None]:
        history, configs = self._histories()
        task, _ = best_of(history, self._reward_attr, self._counted)
        if task is None:
            return None, None
        config = configs[task]
        return next(k for k, c in configs.items() if c == config), dict(config)

    def get_best_config(self) -> dict[str, Any] | None:
        return self._best()[1]

    def get_best_reward(self) -> float | None:
        return best_of(self._histories()[0], self._reward_attr, self._counted)[1]

    def get_training_curves(
        self, filename: str | None = None, plot: bool = False, use_legend: bool = True
    ) -> None:
        if filename is None and not plot:
            logger.warning("Please either provide filename or allow plot in get_training_curves")
        plot_training_curves(
            self._histories()[0],
            reward_attr=self._reward_attr,
            time_attr=self._time_attr,
            filename=filename,
            plot=plot,
            use_legend=use_legend,
        )

    def run_with_config(self, config: dict[str, Any]) -> list[dict[str, Any]]:
        """Run the training function once with ``config`` (e.g. ``get_best_config()``) and the
        other arguments at their defaults, to its end: a trial on the same backend as the
        experiment's (a worker process with the scheduler's resources), outside the experiment
        (:func:`tunesmith.retrain`). Returns its reports, in order (AutoGluon returns what the
        function returns: a worker process cannot hand objects back; save a model to a file
        or ``tunesmith.checkpoint_dir()``)."""
        from tunesmith.retrain import retrain

        run = retrain(
            self._backend(),
            config,
            metric=self._reward_attr,
            mode="max",
            storage="memory",
            run_dir=None,
        )
        return run.reports

    # -- state -----------------------------------------------------------------------------
    def state_dict(self, destination: dict[str, Any] | None = None) -> dict[str, Any]:
        """History, configs and the native scheduler's state; during a run, as they were at
        one step of the tuner (taken in its thread, between two of its steps)."""
        state = {} if destination is None else destination
        snapshot = None
        if self._running() and threading.current_thread() is not self._thread:
            snapshot = self._snapshots.request(self._running)
        state.update(snapshot if snapshot is not None else self._state_now())
        return state

    def _state_now(self) -> dict[str, Any]:
        history, configs = self._histories()
        return {
            "training_history": history,
            "config_history": configs,
            "scheduler": self.native.state_dict(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` into a new scheduler: history, best config and reward,
        and the native scheduler's (searcher's) state. A later ``run()`` numbers its tasks
        after the loaded ones. (``checkpoint=`` with ``resume=True`` resumes exactly instead.)"""
        if self._running():
            raise RuntimeError(
                f"{self._name}.load_state_dict() was called while a run is in progress; call "
                "join_jobs() first"
            )
        self.training_history.clear()
        self.training_history.update(state_dict["training_history"])
        self.config_history.clear()
        self.config_history.update(state_dict["config_history"])
        self.native.load_state_dict(state_dict["scheduler"])
        keys = [int(k) for k in self.config_history] + [int(k) for k in self.training_history]
        self._offset = max(keys, default=-1) + 1

    def save(self, checkpoint: str | None = None) -> None:
        """Write :meth:`state_dict` to ``checkpoint`` (default: the constructor's)."""
        path = checkpoint or self._checkpoint
        if path is not None:
            save(self.state_dict(), path)

    # -- AutoGluon internals the tuner does itself -------------------------------------------
    def add_remote(self, ip_addrs: Any) -> None:
        """Run the next trials on these machines too: they must be nodes of the Ray cluster
        (see :attr:`remote_ips`); from the next :meth:`run` on."""
        if self._thread is not None and self._thread.is_alive():
            raise NotSupported(
                "add_remote during a run is not supported: call it before run(); a machine "
                f"that joins the Ray cluster meanwhile is used as trials restart ({_RAY_JOIN})"
            )
        for ip in _ip_list("add_remote", ip_addrs):
            if ip not in self.remote_ips:
                self.remote_ips.append(ip)

    def upload_files(self, files: Any, **kwargs: Any) -> None:
        raise NotSupported(
            "upload_files is not supported: Ray ships files to the machines; use the native "
            "Tuner with tunesmith.RayBackend(fn, runtime_env={'working_dir': ...}) or install "
            "the code on each machine"
        )

    def _internal(self, name: str) -> NotSupported:
        return NotSupported(
            f"{name} is not supported: tunesmith's Tuner starts the trials itself; use "
            "run(num_trials=...) (and run_with_config(config) for one run with a given config)"
        )

    def schedule_next(self) -> None:
        raise self._internal("schedule_next")

    def add_job(self, task: Any, **kwargs: Any) -> None:
        raise self._internal("add_job")

    add_task = add_job

    def run_job(self, task: Any) -> None:
        raise self._internal("run_job")

    def __repr__(self) -> str:
        return f"ag.scheduler.{self._name}(native={self.native!r})"


class HyperbandScheduler(FIFOScheduler):
    """AutoGluon's ``HyperbandScheduler``: :class:`tunesmith.HyperbandScheduler` with the same
    arguments (``time_attr`` is its ``resource_attr``; ``max_t`` inferred from ``args.epochs``
    or ``args.max_t``)."""

    _name = "HyperbandScheduler"
    _keys = _FIFO_KEYS | _HYPERBAND_KEYS

    def _make_native(self, kwargs: dict[str, Any]) -> Any:
        from tunesmith.schedulers import HyperbandScheduler as NativeHyperband

        if kwargs.get("do_snapshots"):
            raise NotSupported(
                "do_snapshots=True is not supported: the store keeps every result; read them "
                "with tunesmith.load_study(...)"
            )
        defaults = self.train_fn.default_args(self.args)
        inferred = defaults.get("epochs", defaults.get("max_t"))
        max_t = kwargs.get("max_t", inferred)
        if max_t is None:
            raise InvalidValue(
                "Either max_t must be specified, or it has to be specified via train_fn (as "
                "train_fn.args.epochs or train_fn.args.max_t)"
            )
        if kwargs.get("rung_levels") is not None:
            grace, eta = 1, 3  # ignored by the native scheduler when rung_levels is given
        else:
            grace, eta = kwargs.get("grace_period", 1), kwargs.get("reduction_factor", 3)
        self.max_t = max_t
        return NativeHyperband(
            self.config_space,
            searcher=self._searcher(),
            metric=self._reward_attr,
            mode="max",
            resource_attr=self._time_attr,
            max_t=max_t,
            grace_period=grace,
            reduction_factor=eta,
            rung_levels=kwargs.get("rung_levels"),
            brackets=kwargs.get("brackets", 1),
            type=kwargs.get("type", "stopping"),
            searcher_data=kwargs.get("searcher_data", "rungs"),
            rung_system_per_bracket=kwargs.get("rung_system_per_bracket", True),
            keep_size_ratios=kwargs.get("keep_size_ratios", False),
            maxt_pending=kwargs.get("maxt_pending", False),
            random_seed=self.random_seed,
        )

    def _counted(self, reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The reports AutoGluon's searcher gets (``searcher_data``): at rung levels and
        ``max_t``, all of them, or those plus the last."""
        mode = self.native.searcher_data
        if mode == "all":
            return reports
        levels = set(self.native.rung_levels) | {self.max_t}
        out = [r for r in reports if r.get(self._time_attr) in levels]
        if mode == "rungs_and_last" and reports and reports[-1] not in out:
            out.append(reports[-1])
        return out


class RLScheduler(FIFOScheduler):
    """AutoGluon's ``RLScheduler``: :class:`tunesmith.RLScheduler` (an LSTM controller trained
    with REINFORCE; ``controller_batch_size``, ``controller_lr``, ``ema_baseline_decay``)."""

    _name = "RLScheduler"
    _keys = _FIFO_KEYS | _RL_KEYS

    def _default_checkpoint(self) -> str | None:
        return None  # AutoGluon's default './exp/checkpoint.ag': here only where asked for

    def _make_native(self, kwargs: dict[str, Any]) -> Any:
        from tunesmith.schedulers import RLScheduler as NativeRL
        from tunesmith.searchers import RLSearcher

        if "searcher" in kwargs and not isinstance(kwargs["searcher"], RLSearcher):
            logger.warning(
                "RLScheduler: argument 'searcher' must be an RLSearcher; ignoring it (AutoGluon "
                "does the same)"
            )
        if not kwargs.get("sync", True):
            logger.info("RLScheduler: sync=False: tunesmith's RL search is asynchronous anyway")
        return NativeRL(
            self.config_space,
            metric=self._reward_attr,
            mode="max",
            controller_batch_size=kwargs.get("controller_batch_size", 1),
            controller_lr=kwargs.get("controller_lr", 1e-3),
            ema_baseline_decay=kwargs.get("ema_baseline_decay", 0.95),
            random_seed=self.random_seed,
        )


def _ip_list(name: str, value: Any) -> list[str]:
    """``dist_ip_addrs`` / ``add_remote``'s machines: an address or a list of them."""
    if value is None:
        return []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) and v for v in values):
        raise InvalidValue(
            f"{name} must be a list of IP addresses (or host names) such as ['10.0.0.2'], but "
            f"got {value!r}"
        )
    return list(values)


def _ray_connect() -> Any:
    """Ray, connected to the cluster at ``RAY_ADDRESS`` (default: the one started on this
    machine with ``ray start --head``); an error says how to start one."""
    from tunesmith.backends._ray_cluster import import_ray

    ray = import_ray()
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS") or "auto"
        try:
            ray.init(address=address, logging_level=logging.WARNING)
        except ConnectionError as err:
            raise NotSupported(
                f"dist_ip_addrs/add_remote need a Ray cluster, but none is at {address!r} "
                f"({err}): {_RAY_JOIN}"
            ) from None
    return ray
