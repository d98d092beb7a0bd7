"""The dashboard's JSON API on a live server: each endpoint's schema, 4xx with a message on
bad input, the token, the Host check, ``?after=`` cursors while a study is being written."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import uuid

import pytest
from _dashdata import MAX_T, Writer, create_study, fill_study, get, trial_events

from _wait import wait_for
from tunesmith.dashboard import make_server
from tunesmith.dashboard.api import downsample
from tunesmith.store import Store

N_TRIALS = 30
NUM = (int, float)
OPT_NUM = (int, float, type(None))


@pytest.fixture
def store_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dash.db'}"


@pytest.fixture
def filled(store_url):
    with Store(store_url) as store:
        fill_study(store, create_study(store, "mlp"), N_TRIALS)
        fill_study(
            store,
            create_study(store, "two", metrics=("loss", "cost")),
            12,
            metrics=("loss", "cost"),
        )
    return store_url


@pytest.fixture
def server(filled):
    server = make_server(filled, port=0)
    server.serve_in_thread()
    yield server
    server.close()


def api(server, path, **kwargs):
    return get(server.url.rstrip("/") + path, **kwargs)


def check(data: dict, schema: dict) -> None:
    """Every key of ``schema`` is in ``data`` with a value of its type(s)."""
    for key, types in schema.items():
        assert key in data, f"missing {key!r} in {sorted(data)}"
        assert isinstance(data[key], types), f"{key}={data[key]!r} is not {types}"


def test_studies_lists_every_study_with_its_name_and_counts(server):
    status, body, head = api(server, "/api/studies")
    assert status == 200 and head["Content-Type"] == "application/json"
    assert [s["name"] for s in body] == ["mlp", "two"]
    mlp = body[0]
    check(
        mlp,
        {
            "metrics": list,
            "modes": list,
            "num_trials": int,
            "trials_by_status": dict,
            "num_results": int,
            "best_value": NUM,
            "created_time": float,
            "scheduler": str,
        },
    )
    assert mlp["num_trials"] == N_TRIALS and mlp["scheduler"] == "ASHA"
    with Store(server.api.store.url) as store:
        assert mlp["best_value"] == store.best("mlp", 1)[0]["value"]  # by the last report
    assert sum(mlp["trials_by_status"].values()) == N_TRIALS
    assert body[1]["metrics"] == ["loss", "cost"] and body[1]["best_value"] is None


def test_the_study_summary(server):
    status, s, _ = api(server, "/api/studies/mlp")
    assert status == 200
    check(
        s,
        {
            "name": str,
            "cursor": int,
            "loading": bool,
            "metrics": list,
            "modes": list,
            "metric_names": list,
            "resource_attr": str,
            "hyperparameters": list,
            "num_trials": int,
            "trials_by_status": dict,
            "num_results": int,
            "has_rungs": bool,
            "best": dict,
        },
    )
    assert s["resource_attr"] == "epoch" and s["has_rungs"] is True
    assert s["hyperparameters"] == ["lr", "width", "opt"]
    assert s["metric_names"] == ["loss", "epoch"]
    with Store(server.api.store.url) as store:
        assert s["cursor"] == store.read_events("mlp")[-1].seq
        best = store.best("mlp", 1)[0]
    assert (s["best"]["trial_id"], s["best"]["value"]) == (best["trial_id"], best["value"])


def test_trials_schema_sort_filter_and_paging(server):
    status, body, _ = api(server, "/api/studies/mlp/trials")
    assert status == 200
    check(
        body,
        {
            "study": str,
            "cursor": int,
            "after": int,
            "metric": str,
            "mode": str,
            "total": int,
            "offset": int,
            "limit": int,
            "trials": list,
        },
    )
    assert body["total"] == N_TRIALS and [t["trial_id"] for t in body["trials"]] == list(
        range(N_TRIALS)
    )
    row = body["trials"][0]
    check(
        row,
        {
            "trial_id": int,
            "status": str,
            "config": dict,
            "value": OPT_NUM,
            "best_value": OPT_NUM,
            "num_results": int,
            "resource": OPT_NUM,
            "failure_reason": (str, type(None)),
            "updated_time": float,
            "seq": int,
        },
    )
    # agrees with the store's own table
    with Store(server.api.store.url) as store:
        stored = {t["trial_id"]: t for t in store.trials("mlp")}
    for t in body["trials"]:
        assert t["status"] == stored[t["trial_id"]]["status"]
        assert t["num_results"] == stored[t["trial_id"]]["num_results"]
        assert t["best_value"] == stored[t["trial_id"]]["best_value"]

    _, by_value, _ = api(server, "/api/studies/mlp/trials?sort=value&limit=5")
    values = [t["value"] for t in by_value["trials"]]
    assert values == sorted(values) and len(values) == 5
    _, desc, _ = api(server, "/api/studies/mlp/trials?sort=-value&limit=5")
    assert desc["trials"][0]["value"] == max(
        t["value"] for t in body["trials"] if t["value"] is not None
    )

    _, failed, _ = api(server, "/api/studies/mlp/trials?status=failed")
    assert failed["total"] == N_TRIALS // 7 and {t["status"] for t in failed["trials"]} == {
        "failed"
    }
    assert {t["failure_reason"] for t in failed["trials"]} == {"exception"}
    _, two, _ = api(server, "/api/studies/mlp/trials?status=failed,completed")
    assert {t["status"] for t in two["trials"]} == {"failed", "completed"}

    cut = sorted(values)[2]
    _, low, _ = api(server, f"/api/studies/mlp/trials?max_value={cut}")
    assert low["total"] >= 3 and all(t["value"] <= cut for t in low["trials"])
    _, high, _ = api(server, f"/api/studies/mlp/trials?min_value={cut}&sort=value")
    assert all(t["value"] >= cut for t in high["trials"])

    _, page, _ = api(server, "/api/studies/mlp/trials?limit=4&offset=8")
    assert [t["trial_id"] for t in page["trials"]] == [8, 9, 10, 11] and page["total"] == N_TRIALS


def test_curves_against_the_resource(server):
    status, body, _ = api(server, "/api/studies/mlp/curves?trials=0,1,6")
    assert status == 200
    check(body, {"study": str, "cursor": int, "metric": str, "mode": str, "x": str, "curves": list})
    assert body["x"] == "epoch"
    curves = {c["trial_id"]: c for c in body["curves"]}
    assert sorted(curves) == [0, 1, 6]
    check(curves[0], {"status": str, "x": list, "y": list, "num_points": int, "downsampled": bool})
    assert curves[0]["x"] == list(range(1, MAX_T + 1)) and len(curves[0]["y"]) == MAX_T
    assert curves[1]["x"] == [1, 2, 3] and curves[6]["num_points"] == 2
    # without trials: the best ones by their last value
    _, best, _ = api(server, "/api/studies/mlp/curves?limit=3")
    _, ranked, _ = api(server, "/api/studies/mlp/trials?sort=value&limit=3")
    assert [c["trial_id"] for c in best["curves"]] == [t["trial_id"] for t in ranked["trials"]]
    _, few, _ = api(server, "/api/studies/mlp/curves?trials=0&max_points=10")
    assert few["curves"][0]["downsampled"] is False


def test_best_over_time_parallel_rungs_failures(server):
    _, best, _ = api(server, "/api/studies/mlp/best")
    check(best, {"metric": str, "mode": str, "points": list, "num_results": int, "cursor": int})
    values = [p["value"] for p in best["points"]]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    check(
        best["points"][0],
        {"seq": int, "time": float, "result": int, "value": float, "trial_id": int},
    )

    _, par, _ = api(server, "/api/studies/mlp/parallel")
    check(par, {"axes": list, "trial_ids": list, "values": list, "color": list, "num_trials": int})
    assert [a["name"] for a in par["axes"]] == ["lr", "width", "opt", "loss"]
    assert par["axes"][0]["scale"] == "log" and len(par["values"][0]) == 4

    _, rungs, _ = api(server, "/api/studies/mlp/rungs")
    assert [r["level"] for r in rungs["rungs"]] == [1, 3, 9]
    check(rungs["rungs"][0], {"level": int, "reached": int, "at": int, "at_by_status": dict})
    assert rungs["rungs"][0]["reached"] == N_TRIALS
    assert rungs["rungs"][2]["reached"] == sum(
        1 for t in range(N_TRIALS) if t % 7 != 6 and t % 2 == 0
    )

    _, fails, _ = api(server, "/api/studies/mlp/failures?lines=5")
    check(fails, {"num_failed": int, "by_reason": dict, "failures": list})
    assert fails["by_reason"] == {"exception": N_TRIALS // 7}
    tail = fails["failures"][0]["log_tail"].splitlines()
    assert len(tail) == 5 and tail[-1] == "RuntimeError: CUDA out of memory"


@pytest.mark.slow  # scikit-learn's import and a forest: about 5 s on a loaded machine
def test_importance_with_and_without_scikit_learn(server, monkeypatch):
    pytest.importorskip("sklearn")
    status, body, _ = api(server, "/api/studies/mlp/importance")
    assert status == 200 and body["available"] is True
    check(body["importances"][0], {"name": str, "importance": float, "share": float, "std": float})
    names = [i["name"] for i in body["importances"]]
    assert sorted(names) == ["lr", "opt", "width"] and names[0] == "lr"  # the loss is lr's bowl
    assert sum(i["share"] for i in body["importances"]) == pytest.approx(1.0)

    import tunesmith.dashboard.importance as importance

    monkeypatch.setattr(importance, "_sklearn", lambda: None)
    server.api._importance.clear()
    _, missing, _ = api(server, "/api/studies/mlp/importance")
    assert missing["available"] is False
    assert missing["message"] == (
        'hyperparameter importance needs scikit-learn: pip install "tunesmith[dashboard]"'
    )


def test_pareto_front_of_two_objectives(server):
    status, body, _ = api(server, "/api/studies/two/pareto")
    assert status == 200
    check(body, {"metrics": list, "modes": list, "front": list, "others": list, "num_points": int})
    with Store(server.api.store.url) as store:
        front = store.pareto_front("two")
    assert sorted(p["trial_id"] for p in body["front"]) == sorted(t["trial_id"] for t in front)
    assert len(body["front"]) + len(body["others"]) == body["num_points"]


def test_csv_export_is_the_stores(server, tmp_path):
    status, body, head = api(server, "/api/studies/mlp/export.csv")
    assert status == 200 and head["Content-Type"].startswith("text/csv")
    assert 'filename="mlp.csv"' in head["Content-Disposition"]
    with Store(server.api.store.url) as store:
        expected = store.export("mlp", tmp_path / "e.csv").read_bytes()
    assert body == expected
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert rows and {"trial_id", "loss", "epoch", "lr"} <= set(rows[0])


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/studies/nope", 404, "no study named 'nope'; the store has 'mlp', 'two'"),
        ("/api/studies/mlp/nothing", 404, "no endpoint 'nothing' for a study"),
        ("/api/other", 404, "no such path '/api/other'"),
        ("/api/studies/mlp/trials?status=done", 400, "`status` must be one or more of"),
        (
            "/api/studies/mlp/trials?limit=0",
            400,
            "`limit` must be an integer from 1 to 10000, but got limit='0'",
        ),
        ("/api/studies/mlp/trials?limit=ten", 400, "but got limit='ten'"),
        ("/api/studies/mlp/trials?sort=name", 400, "`sort` must be one of"),
        (
            "/api/studies/mlp/trials?min_value=nan",
            400,
            "`min_value` must be a finite number, but got min_value='nan'",
        ),
        (
            "/api/studies/mlp/trials?metric=acc",
            400,
            "`metric` must be one of the study's reported names ['loss', 'epoch'], "
            "but got metric='acc'",
        ),
        ("/api/studies/mlp/trials?after=-1", 400, "`after` must be an integer from 0"),
        (
            "/api/studies/mlp/trials?bogus=1",
            400,
            "unknown query parameter(s) bogus; this endpoint takes",
        ),
        ("/api/studies/mlp/trials?limit=1&limit=2", 400, "query parameter 'limit' given 2 times"),
        ("/api/studies/mlp/curves?trials=1,x", 400, "`trials` must be up to 1000 trial ids"),
        (
            "/api/studies/mlp/curves?trials=999",
            400,
            "`trials` names trial(s) [999] that study 'mlp' does not have",
        ),
        ("/api/studies/mlp/curves?max_points=3", 400, "`max_points` must be an integer from 10"),
        (
            "/api/studies/mlp/pareto",
            400,
            "study 'mlp' has one objective ('loss'): a Pareto front needs several",
        ),
        ("/api/studies/mlp/failures?lines=0", 400, "`lines` must be an integer from 1 to 1000"),
        ("/api/studies/mlp/rungs?x=1", 400, "unknown query parameter(s) x"),
    ],
)
def test_bad_requests_get_4xx_with_a_message(server, path, status, message):
    got, body, head = api(server, path)
    assert got == status and head["Content-Type"] == "application/json"
    assert body["status"] == status and message in body["error"], body["error"]


def test_the_dashboard_is_read_only(server):
    status, body, _ = api(server, "/api/studies", method="POST")
    assert status == 405 and "read-only" in body["error"]


def test_only_loopback_hosts_without_a_token(server, filled):
    status, body, _ = api(server, "/api/studies", headers={"Host": "attacker.example:80"})
    assert status == 403 and "loopback" in body["error"]
    assert api(server, "/api/studies", headers={"Host": "localhost:1234"})[0] == 200
    with pytest.raises(
        ValueError, match=r"host='0.0.0.0' \(not a loopback address\) needs a token"
    ):
        make_server(filled, host="0.0.0.0", port=0)
    with pytest.raises(ValueError, match="at least 8 characters"):
        make_server(filled, port=0, token="short")


def test_the_token_guards_every_request(filled):
    token = "s3cret-token-" + uuid.uuid4().hex[:8]
    server = make_server(filled, port=0, token=token)
    server.serve_in_thread()
    try:
        for path in ("/api/studies", "/api/studies/mlp/trials", "/", "/static/app.js"):
            status, body, head = api(server, path)
            assert status == 401 and "needs its token" in body["error"], path
            assert head["WWW-Authenticate"].startswith("Bearer")
        assert (
            api(server, "/api/studies", headers={"Authorization": "Bearer wrong-token"})[1]["error"]
            == "wrong token"
        )
        assert api(server, "/api/studies?token=nearly" + token)[0] == 401
        assert api(server, "/api/studies", headers={"Authorization": f"Bearer {token}"})[0] == 200
        status, _, head = api(server, f"/?token={token}")
        assert status == 200 and head["Set-Cookie"].startswith(f"tunesmith_token={token}; HttpOnly")
        cookie = {"Cookie": f"tunesmith_token={token}"}
        assert api(server, "/api/studies/mlp", headers=cookie)[0] == 200
        # with a token, other Host names are served (it was started to be reached from them)
        assert api(server, "/api/studies", headers={**cookie, "Host": "box.lan:8080"})[0] == 200
    finally:
        server.close()


def test_after_cursors_while_a_study_is_written(server):
    url = server.api.store.url
    with Store(url) as store:
        study = store.get_study("mlp")
        _, before, _ = api(server, "/api/studies/mlp/trials")
        cursor = before["cursor"]
        _, nothing, _ = api(server, f"/api/studies/mlp/trials?after={cursor}")
        assert nothing["total"] == 0 and nothing["cursor"] == cursor
        writer = Writer(store, study, N_TRIALS, epochs=4).start()
        try:
            grown = wait_for(
                lambda: (b := api(server, f"/api/studies/mlp/trials?after={cursor}")[1])["total"]
                >= 2
                and b,
                "two new trials in the dashboard",
            )
        finally:
            writer.stop()
        assert {t["trial_id"] for t in grown["trials"]} <= set(range(N_TRIALS, writer.next_trial))
        assert grown["cursor"] > cursor
        _, curves, _ = api(server, f"/api/studies/mlp/curves?trials={N_TRIALS},0&after={cursor}")
        assert [c["trial_id"] for c in curves["curves"]] == [N_TRIALS]  # trial 0 has nothing new
        new = curves["curves"][0]
        assert new["x"][:2] == [1, 2]
        # the points after a later cursor are the rest of that trial's curve
        _, first_two, _ = api(server, f"/api/studies/mlp/curves?trials={N_TRIALS}")
        full = first_two["curves"][0]
        step_seq = [
            e.seq
            for e in store.read_events(study, after_seq=cursor)
            if e.kind.value == "result" and e.trial_id == N_TRIALS
        ]
        _, rest, _ = api(server, f"/api/studies/mlp/curves?trials={N_TRIALS}&after={step_seq[0]}")
        assert rest["curves"][0]["x"] == full["x"][1:]
        _, best_after, _ = api(server, f"/api/studies/mlp/best?after={grown['cursor']}")
        assert all(p["seq"] > grown["cursor"] for p in best_after["points"])


def test_downsampling_keeps_the_ends_and_the_extremes():
    xs = list(range(10_000))
    ys = [float((i * 7919) % 1000) for i in xs]
    ys[5_000] = -50.0
    dx, dy = downsample(xs, ys, 200)
    assert len(dx) <= 202 and dx[0] == 0 and dx[-1] == 9_999
    assert dx == sorted(dx) and min(dy) == -50.0 and max(dy) == 999.0
    assert downsample([1, 2], [3.0, None], 10) == ([1, 2], [3.0, None])


def test_the_cli_serves_the_store_and_refuses_a_public_host_without_token(filled, tmp_path):
    env = {**os.environ, "TUNESMITH_DASHBOARD_TOKEN": ""}
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "tunesmith.cli",
            "dashboard",
            "--storage",
            filled,
            "--host",
            "0.0.0.0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert refused.returncode == 2 and "needs a token: pass --token TOKEN" in refused.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "tunesmith.cli", "dashboard", "--storage", filled, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("tunesmith dashboard on http://127.0.0.1:"), line
        url = line.split()[3]
        status, body, _ = get(url + "api/studies")
        assert status == 200 and [s["name"] for s in body] == ["mlp", "two"]
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


POSTGRES = os.environ.get("TUNESMITH_TEST_POSTGRES_URL")


@pytest.mark.postgres
@pytest.mark.skipif(
    not POSTGRES,
    reason="set TUNESMITH_TEST_POSTGRES_URL to a PostgreSQL URL, e.g. "
    "postgresql+psycopg://postgres@127.0.0.1:5432/test, to run the dashboard on PostgreSQL",
)
def test_the_api_on_a_postgresql_store():
    import sqlalchemy as sa

    from tunesmith.store.engine import parse_url

    schema = f"tunesmith_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(parse_url(POSTGRES))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = parse_url(POSTGRES).update_query_dict({"options": f"-csearch_path={schema}"})
        url = url.render_as_string(hide_password=False)
        with Store(url) as store:
            study = create_study(store, "pg")
            fill_study(store, study, 10)
            server = make_server(url, port=0)
            server.serve_in_thread()
            try:
                _, trials, _ = api(server, "/api/studies/pg/trials?status=completed")
                assert trials["total"] == sum(
                    1 for t in store.trials("pg") if t["status"] == "completed"
                )
                cursor = trials["cursor"]
                store.append(study, trial_events(10, 3, end=None, time=50.0))
                _, grown, _ = api(server, f"/api/studies/pg/trials?after={cursor}")
                assert [
                    (t["trial_id"], t["status"], t["num_results"]) for t in grown["trials"]
                ] == [(10, "running", 3)]
                _, curves, _ = api(server, f"/api/studies/pg/curves?trials=10&after={cursor}")
                assert curves["curves"][0]["x"] == [1, 2, 3]
            finally:
                server.close()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def test_study_names_with_every_allowed_character(store_url):
    name = "Exp_1.a:b+c=d@e-f"
    with Store(store_url) as store:
        fill_study(store, create_study(store, name), 3)
    server = make_server(store_url, port=0)
    server.serve_in_thread()
    try:
        from urllib.parse import quote

        status, body, _ = api(server, f"/api/studies/{quote(name, safe='')}/trials")
        assert status == 200 and body["study"] == name and body["total"] == 3
        status, body, _ = api(server, "/api/studies/not%20a%20name")
        assert status == 404 and "a study `name` must be" in body["error"]
    finally:
        server.close()


def test_the_page_and_its_files_ship_in_the_package_and_load_nothing_from_elsewhere(server):
    from importlib import resources

    from tunesmith.dashboard.server import STATIC

    folder = resources.files("tunesmith.dashboard").joinpath("static")
    for path, (name, content_type) in STATIC.items():
        assert folder.joinpath(name).is_file(), name
        status, body, head = api(server, path)
        assert status == 200 and head["Content-Type"] == content_type
    assert "MIT License" in folder.joinpath("uPlot.LICENSE").read_text()
    for name in ("index.html", "app.js", "app.css"):
        text = folder.joinpath(name).read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, name
    head = api(server, "/")[2]
    assert head["Content-Security-Policy"].startswith("default-src 'self'")


def test_importance_is_fitted_again_at_most_every_30_s_while_the_study_changes(server, monkeypatch):
    import tunesmith.dashboard.api as dashboard_api
    import tunesmith.dashboard.importance as importance

    fits = []

    def fake(cache, metric):
        fits.append(cache.cursor)
        return {"cursor": cache.cursor, "available": False, "message": "fake", "importances": []}

    monkeypatch.setattr(importance, "importance", fake)
    first = api(server, "/api/studies/mlp/importance")[1]
    with Store(server.api.store.url) as store:
        store.append("mlp", trial_events(N_TRIALS, 2, end=None, time=99.0))
        again = api(server, "/api/studies/mlp/importance")[1]
        assert again == first and len(fits) == 1  # the study changed, but 30 s have not passed
        monkeypatch.setattr(dashboard_api, "IMPORTANCE_EVERY", 0.0)
        later = api(server, "/api/studies/mlp/importance")[1]
    assert later["cursor"] > first["cursor"] and len(fits) == 2


ODD_VALUES = [
    "",
    " ",
    "-1",
    "0",
    "1",
    "1.5",
    "1e309",
    "nan",
    "-inf",
    "%00",
    ",",
    "1,,2",
    "x" * 3000,
    "99999999999999999999999",
    "-value",
    "completed,",
    "loss",
    "epoch",
    "☃",
]


def test_no_parameter_value_makes_a_500(server, monkeypatch):
    from urllib.parse import quote

    import tunesmith.dashboard.importance as importance
    from tunesmith.dashboard.server import _ENDPOINTS

    # the forest is not what is checked here (and costs seconds per metric)
    monkeypatch.setattr(importance, "_sklearn", lambda: None)

    for endpoint, (_, params) in _ENDPOINTS.items():
        for study in ("mlp", "two"):
            base = f"/api/studies/{study}" + (f"/{endpoint}" if endpoint else "")
            for param in params:
                for value in ODD_VALUES:
                    status, body, _ = api(server, f"{base}?{param}={quote(value)}")
                    assert status in (200, 400), (base, param, value, status, body)
                    single_pareto = endpoint == "pareto" and study == "mlp"  # always a 400
                    if status == 400 and not single_pareto:
                        assert param in body["error"], (param, value, body["error"])


def test_a_port_in_use_is_a_clear_error(server, filled):
    port = server.server_address[1]
    with pytest.raises(OSError, match=rf"cannot serve the dashboard on 127.0.0.1:{port}: .*--port"):
        make_server(filled, port=port)


def test_started_before_the_store_exists_it_waits_for_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'later.db'}"
    server = make_server(url, port=0)
    server.serve_in_thread()
    try:
        assert server.missing_store.startswith(f"no store at {tmp_path / 'later.db'}")
        assert not (tmp_path / "later.db").exists()  # reading never creates it
        assert api(server, "/api/studies")[:2] == (200, [])
        status, body, _ = api(server, "/api/studies/first")
        assert status == 404 and body["error"].startswith("no store at")
        with Store(url) as store:  # the first run creates it
            fill_study(store, create_study(store, "first"), 3)
        assert [s["name"] for s in api(server, "/api/studies")[1]] == ["first"]
        assert api(server, "/api/studies/first/trials")[1]["total"] == 3
    finally:
        server.close()
