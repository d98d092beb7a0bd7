"""Front ends in the shapes of other HPO systems, translating into tunesmith's own schedulers,
searchers, tuner and store (no second engine): ``tunesmith.compat.autogluon``. Nothing here is
imported by ``import tunesmith``; each front end imports only what it uses."""
