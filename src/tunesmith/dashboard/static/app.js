/* tunesmith dashboard: draws the JSON API of tunesmith.dashboard (docs/dashboard.md).
   No framework: hash routes (#/ and #/study/NAME/TAB), a poll of the study's cursor every
   second, and uPlot (shipped beside this file) for the line and scatter plots. */
"use strict";

const POLL_MS = 1000;
const TABS = ["trials", "curves", "best", "parallel", "rungs", "importance", "failures", "pareto"];
const STATUSES = ["pending", "running", "paused", "interrupted", "completed", "stopped", "failed"];
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04",
  "#db2777", "#4f46e5", "#65a30d", "#0d9488", "#b45309"];

const state = {
  route: null, study: null, summary: null, cursor: 0, timer: null, busy: false, again: null,
  ticks: 0, logY: false,
  filter: { statuses: [], min: "", max: "", sort: "trial_id", metric: null },
  plot: null, curves: null, best: null,
};

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

function fmt(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3 ? value.toExponential(3) : value.toPrecision(5);
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function api(path, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== null && v !== undefined && v !== "") query.set(k, v);
  }
  const url = "api/" + path + (query.toString() ? "?" + query : "");
  return fetch(url, { credentials: "same-origin" }).then(async (response) => {
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || response.status + " " + response.statusText);
    return body;
  });
}

function studyPath(name, endpoint) {
  return "studies/" + encodeURIComponent(name) + (endpoint ? "/" + endpoint : "");
}

const main = () => document.getElementById("main");

function showError(err, where) {
  const box = (where || main());
  box.innerHTML = `<p class="error" id="error">${esc(err.message || err)}</p>`;
}

function statusBadge(status) {
  return `<span class="status ${esc(status)}">${esc(status)}</span>`;
}

/* -- routing ------------------------------------------------------------------------------ */

function parseRoute() {
  const hash = location.hash.replace(/^#\/?/, "");
  const parts = hash.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "study" && parts[1]) {
    return { page: "study", name: parts[1], tab: TABS.includes(parts[2]) ? parts[2] : "trials" };
  }
  return { page: "studies" };
}

function go() {
  const route = parseRoute();
  const sameStudy = state.route && state.route.page === "study" && route.page === "study" &&
    state.route.name === route.name;
  state.route = route;
  destroyPlot();
  state.curves = null;
  state.best = null;
  if (!sameStudy) {
    state.summary = null;
    state.cursor = 0;
    state.filter = { statuses: [], min: "", max: "", sort: "trial_id", metric: null };
  }
  render(true);
}

function destroyPlot() {
  if (state.plot) { state.plot.destroy(); state.plot = null; }
}

async function render(full) {
  if (state.busy) {  /* one render at a time; the last request made meanwhile runs next */
    state.again = full || state.again === "full" ? "full" : "part";
    return;
  }
  state.busy = true;
  try {
    if (state.route.page === "studies") await renderStudies();
    else await renderStudy(full);
  } catch (err) {
    showError(err);
  } finally {
    state.busy = false;
  }
  if (state.again) {
    const again = state.again === "full";
    state.again = null;
    await render(again);
  }
}

async function poll() {
  if (state.busy || document.hidden) return;
  state.ticks = (state.ticks || 0) + 1;
  if (state.route.page === "studies") return state.ticks % 5 ? null : render(false); /* every 5 s */
  try {
    const summary = await api(studyPath(state.route.name));
    if (summary.cursor !== state.cursor) {
      state.summary = summary;
      await render(false);
    }
  } catch (err) {
    /* a failed poll leaves the page as it is; the next one tries again */
  }
}

/* -- the list of studies ------------------------------------------------------------------- */

async function renderStudies() {
  document.getElementById("crumb").textContent = "studies";
  const studies = await api("studies");
  if (!studies.length) {
    main().innerHTML = '<h1>Studies</h1><p class="muted">No studies in this store yet.</p>';
    return;
  }
  const rows = studies.map((s) => `<tr data-study="${esc(s.name)}">
    <td><a class="study" href="#/study/${encodeURIComponent(s.name)}">${esc(s.name)}</a></td>
    <td>${s.metrics.map((m, i) => esc(m + " (" + s.modes[i] + ")")).join(", ")}</td>
    <td>${esc(s.scheduler || "")}</td>
    <td class="num">${s.num_trials}</td>
    <td>${Object.entries(s.trials_by_status).map(([k, n]) => n + " " + esc(k)).join(", ")}</td>
    <td class="num">${s.num_results}</td>
    <td class="num">${s.best_value === null ? (s.metrics.length > 1 ? "Pareto" : "") : fmt(s.best_value)}</td>
    <td>${new Date(s.created_time * 1000).toLocaleString()}</td></tr>`).join("");
  main().innerHTML = `<h1>Studies</h1><table id="studies-table"><thead><tr><th>study</th>
    <th>metrics</th><th>scheduler</th><th>trials</th><th>by status</th><th>results</th>
    <th>best (last report)</th><th>created</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/* -- one study --------------------------------------------------------------------------- */

async function renderStudy(full) {
  const { name, tab } = state.route;
  if (!state.summary || full) state.summary = await api(studyPath(name));
  const s = state.summary;
  state.cursor = s.cursor;
  if (!state.filter.metric) state.filter.metric = s.metrics[0];
  document.getElementById("crumb").innerHTML = `/ <a href="#/">studies</a> / ${esc(name)}`;
  document.getElementById("live").textContent = s.loading
    ? `reading the study's journal: ${s.cursor} events so far…`
    : `cursor ${s.cursor} · ${s.num_results} results · updated ${new Date().toLocaleTimeString()}`;
  if (full || !document.getElementById("view")) {
    const tabs = TABS.filter((t) => t !== "pareto" || s.metrics.length > 1)
      .filter((t) => t !== "rungs" || s.has_rungs)
      .map((t) => `<a href="#/study/${encodeURIComponent(name)}/${t}" data-tab="${t}"
        class="${t === tab ? "active" : ""}">${t}</a>`).join("");
    main().innerHTML = `<h1 id="study-name">${esc(name)}</h1><div class="facts" id="facts"></div>
      <nav class="tabs">${tabs}<a class="csv" id="csv" href="api/${studyPath(name, "export.csv")}"
      download>CSV export</a></nav><div id="filters"></div><div id="view"></div>`;
    if (tab === "trials" || tab === "curves") renderFilters();
  }
  renderFacts(s);
  const view = document.getElementById("view");
  try {
    await VIEWS[tab](view, full);
  } catch (err) {
    showError(err, view);
  }
}

function renderFacts(s) {
  const best = s.best ? `${fmt(s.best.value)} (trial ${s.best.trial_id})` : (s.metrics.length > 1 ? "Pareto front: see the pareto tab" : "none yet");
  document.getElementById("facts").innerHTML = [
    ["metrics", s.metrics.map((m, i) => m + " (" + s.modes[i] + ")").join(", ")],
    ["scheduler", s.scheduler || "?"],
    ["resource", s.resource_attr || "report number"],
    ["trials", `${s.num_trials}: ` + Object.entries(s.trials_by_status).map(([k, n]) => n + " " + k).join(", ")],
    ["results", s.num_results],
    ["best (last report)", best],
  ].map(([k, v]) => `<span><b>${esc(k)}</b> <span id="fact-${esc(k.split(" ")[0])}">${esc(v)}</span></span>`).join("");
}

function renderFilters() {
  const f = state.filter;
  const s = state.summary;
  const boxes = STATUSES.map((st) => `<label><input type="checkbox" name="status" value="${st}"
    ${f.statuses.includes(st) ? "checked" : ""}>${st}</label>`).join("");
  const metrics = s.metric_names.map((m) => `<option ${m === f.metric ? "selected" : ""}>${esc(m)}</option>`).join("");
  document.getElementById("filters").innerHTML = `<div class="filters" id="filter-bar">
    <span>status:</span>${boxes}
    <label>metric <select id="f-metric">${metrics}</select></label>
    <label>value ≥ <input type="number" step="any" id="f-min" value="${esc(f.min)}"></label>
    <label>≤ <input type="number" step="any" id="f-max" value="${esc(f.max)}"></label>
    <button id="f-clear" type="button">clear</button></div>`;
  const changed = () => {
    f.statuses = [...document.querySelectorAll("#filter-bar input[name=status]:checked")].map((x) => x.value);
    f.metric = document.getElementById("f-metric").value;
    f.min = document.getElementById("f-min").value;
    f.max = document.getElementById("f-max").value;
    state.curves = null;
    render(false);
  };
  document.querySelectorAll("#filter-bar input, #filter-bar select").forEach((el) => el.addEventListener("change", changed));
  document.getElementById("f-clear").addEventListener("click", () => {
    state.filter = { statuses: [], min: "", max: "", sort: f.sort, metric: s.metrics[0] };
    renderFilters();
    state.curves = null;
    render(false);
  });
}

function trialQuery(extra) {
  const f = state.filter;
  return Object.assign({
    status: f.statuses.join(","), min_value: f.min, max_value: f.max, metric: f.metric, sort: f.sort,
  }, extra);
}

/* -- the tabs --------------------------------------------------------------------------------- */

const VIEWS = {
  async trials(view) {
    const data = await api(studyPath(state.route.name, "trials"), trialQuery({ limit: 500 }));
    const hps = state.summary.hyperparameters;
    const sortable = [["trial_id", "trial"], ["status", "status"], ["value", data.metric + " (last)"],
      ["best_value", "best"], ["num_results", "results"], ["resource", data.resource_attr || "reports"]];
    const key = state.filter.sort.replace(/^-/, "");
    const desc = state.filter.sort.startsWith("-");
    const metrics = state.summary.metrics;  /* several: a column for each other objective */
    const objectives = metrics.length > 1 ? metrics.filter((m) => m !== data.metric) : [];
    const head = sortable.map(([k, label]) => `<th class="sortable ${k === key ? "sorted" + (desc ? " desc" : "") : ""}"
      data-sort="${k}">${esc(label)}</th>`).join("") + objectives.map((m) => `<th>${esc(m)} (last)</th>`).join("") +
      hps.map((h) => `<th>${esc(h)}</th>`).join("") + "<th>failure</th>";
    const rows = data.trials.map((t) => `<tr data-trial-id="${t.trial_id}" data-status="${esc(t.status)}">
      <td class="num">${t.trial_id}</td><td>${statusBadge(t.status)}</td>
      <td class="num value">${fmt(t.value)}</td><td class="num">${fmt(t.best_value)}</td>
      <td class="num">${t.num_results}</td><td class="num">${fmt(t.resource)}</td>
      ${objectives.map((m) => `<td class="num">${fmt(t.values[metrics.indexOf(m)])}</td>`).join("")}
      ${hps.map((h) => `<td class="cfg">${esc(fmt(t.config[h]))}</td>`).join("")}
      <td>${esc(t.failure_reason || "")}</td></tr>`).join("");
    const shown = data.total > data.trials.length ? `the first ${data.trials.length} of ${data.total}` : `${data.total}`;
    view.innerHTML = `<p class="legend-note" id="trial-count" data-total="${data.total}">${shown} trial(s) match</p>
      <table id="trials-table"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
    view.querySelectorAll("th.sortable").forEach((th) => th.addEventListener("click", () => {
      const k = th.dataset.sort;
      state.filter.sort = state.filter.sort === k ? "-" + k : k;
      render(false);
    }));
  },

  async curves(view) {
    const name = state.route.name;
    const picked = await api(studyPath(name, "trials"), trialQuery({ limit: 30, sort: state.filter.sort === "trial_id" ? "value" : state.filter.sort }));
    const ids = picked.trials.map((t) => t.trial_id);
    const c = state.curves;
    const same = c && c.ids.join(",") === ids.join(",") && c.metric === state.filter.metric;
    if (!ids.length) {
      destroyPlot();
      state.curves = null;
      view.innerHTML = '<p class="muted" id="curves-empty">No trial matches the filter, or none has reported yet.</p>';
      return;
    }
    if (same) {
      const data = await api(studyPath(name, "curves"), { metric: c.metric, trials: ids.join(","), after: c.cursor, limit: 30 });
      for (const curve of data.curves) {
        const mine = c.byId[curve.trial_id];
        mine.x.push(...curve.x);
        mine.y.push(...curve.y);
      }
      c.cursor = data.cursor;
      if (!data.curves.length) return;
    } else {
      const data = await api(studyPath(name, "curves"), { metric: state.filter.metric, trials: ids.join(","), limit: 30 });
      state.curves = { ids, metric: data.metric, xName: data.x, cursor: data.cursor, byId: {} };
      for (const curve of data.curves) state.curves.byId[curve.trial_id] = { x: curve.x, y: curve.y };
      for (const id of ids) state.curves.byId[id] = state.curves.byId[id] || { x: [], y: [] };
    }
    drawCurves(view);
  },

  async best(view) {
    const name = state.route.name;
    const metric = state.summary.metrics[0];
    if (state.best && state.best.metric === metric) {
      const more = await api(studyPath(name, "best"), { metric, after: state.best.cursor });
      state.best.cursor = more.cursor;
      state.best.points.push(...more.points);
      state.best.num_results = more.num_results;
    } else {
      const data = await api(studyPath(name, "best"), { metric });
      state.best = { metric, cursor: data.cursor, points: data.points, first: data.first_time, mode: data.mode, num_results: data.num_results };
    }
    drawBest(view);
  },

  async parallel(view) {
    const data = await api(studyPath(state.route.name, "parallel"), { metric: state.summary.metrics[0], limit: 1000 });
    view.innerHTML = `<p class="legend-note">Each line is a trial (the ${data.trial_ids.length} best of ${data.num_trials} with a value), through its hyperparameters to its last ${esc(data.metric)}; the best are drawn last, in the brightest color.</p><canvas class="parallel" id="parallel" data-lines="${data.trial_ids.length}"></canvas>`;
    drawParallel(document.getElementById("parallel"), data);
  },

  async rungs(view) {
    const data = await api(studyPath(state.route.name, "rungs"));
    if (!data.rungs) {
      view.innerHTML = `<p class="muted" id="rungs-none">${esc(data.message)}</p>`;
      return;
    }
    const most = Math.max(1, ...data.rungs.map((r) => r.reached));
    const rows = data.rungs.map((r) => `<div class="row" data-level="${r.level}">
      <span>${esc(data.resource_attr || "resource")} ${r.level}${r.is_max ? " (max_t)" : ""}</span>
      <span class="track"><span class="bar" style="display:block;width:${(100 * r.reached / most).toFixed(1)}%"></span></span>
      <span>${r.reached} reached · ${r.at} here ${Object.entries(r.at_by_status).map(([k, n]) => `(${n} ${esc(k)})`).join(" ")}</span></div>`).join("");
    view.innerHTML = `<p class="legend-note">Trials that reached each rung level of ${esc(data.scheduler)} (a trial counts at every level up to the highest resource it reported); "here": the rung is its highest. ${data.not_reached} trial(s) have not reached the first rung.</p><div class="bars" id="rungs">${rows}</div>`;
  },

  async importance(view) {
    if (!document.getElementById("importance")) view.innerHTML = '<p class="muted">Fitting a random forest…</p>';
    const data = await api(studyPath(state.route.name, "importance"), { metric: state.summary.metrics[0] });
    if (view.dataset.cursor === String(data.cursor)) return; /* fitted again at most every 30 s */
    view.dataset.cursor = String(data.cursor);
    if (!data.available) {
      view.innerHTML = `<p class="muted" id="importance-none">${esc(data.message)}</p>`;
      return;
    }
    const most = Math.max(1e-12, ...data.importances.map((i) => i.share));
    const rows = data.importances.map((i) => `<div class="row" data-name="${esc(i.name)}"><span>${esc(i.name)}</span>
      <span class="track"><span class="bar" style="display:block;width:${(100 * i.share / most).toFixed(1)}%"></span></span>
      <span>${(100 * i.share).toFixed(1)} %</span></div>`).join("");
    view.innerHTML = `<p class="legend-note">${esc(data.method)}, on ${data.num_trials_fitted} trials' last ${esc(data.metric)}${data.num_trials_fitted < data.num_trials ? ` (a sample of ${data.num_trials})` : ""}, fitted again at most every 30 s while the study runs: how much the forest's fit drops when a hyperparameter is shuffled (as a share of the total).</p><div class="bars" id="importance">${rows}</div>`;
  },

  async failures(view) {
    const data = await api(studyPath(state.route.name, "failures"), { lines: 30 });
    if (!data.num_failed) {
      view.innerHTML = '<p class="muted" id="failures-none">No trial has failed.</p>';
      return;
    }
    const reasons = Object.entries(data.by_reason).map(([k, n]) => `${n} ${esc(k)}`).join(", ");
    const items = data.failures.map((f) => `<div class="failure" data-trial-id="${f.trial_id}">
      <b>trial ${f.trial_id}</b> · ${esc(f.reason)} · ${f.num_results} result(s) ·
      <span class="muted">${esc(JSON.stringify(f.config))}</span>
      ${f.log_tail ? `<pre class="log">${esc(f.log_tail)}</pre>` : ""}</div>`).join("");
    view.innerHTML = `<p id="failure-counts">${data.num_failed} failed: ${reasons}</p>${items}`;
  },

  async pareto(view) {
    const data = await api(studyPath(state.route.name, "pareto"));
    const m = data.metrics;
    const rows = data.front.map((p) => `<tr data-trial-id="${p.trial_id}"><td class="num">${p.trial_id}</td>${p.values.map((v) => `<td class="num">${fmt(v)}</td>`).join("")}</tr>`).join("");
    view.innerHTML = `<p class="legend-note">${data.front.length} trial(s) on the Pareto front of ${data.num_points}; the plot shows ${esc(m[0])} (${data.modes[0]}) against ${esc(m[1])} (${data.modes[1]}).</p>
      <div class="plot" id="pareto-plot"></div><h2>Front</h2><table id="pareto-table"><thead><tr><th>trial</th>${m.map((x) => `<th>${esc(x)}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table>`;
    drawPareto(document.getElementById("pareto-plot"), data);
  },
};

/* -- drawing --------------------------------------------------------------------------------- */

function plotWidth(el) {
  return Math.max(400, (el.clientWidth || main().clientWidth || 900) - 10);
}

function drawCurves(view) {
  const c = state.curves;
  const ids = c.ids.filter((id) => c.byId[id].x.length);
  const xs = [...new Set(ids.flatMap((id) => c.byId[id].x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = ids.map((id) => {
    const column = new Array(xs.length).fill(null);
    const curve = c.byId[id];
    curve.x.forEach((x, i) => { column[index.get(x)] = curve.y[i]; });
    return column;
  });
  destroyPlot();
  view.innerHTML = `<p class="legend-note">${esc(c.metric)} against ${esc(c.xName)} for the ${ids.length} trial(s) the filter and sort give first (sorted by value unless a column is picked in the trials tab). <label><input type="checkbox" id="log-y" ${state.logY ? "checked" : ""}> log scale</label></p><div class="plot" id="curves" data-series="${ids.length}" data-points="${ys.reduce((n, col) => n + col.filter((v) => v !== null).length, 0)}"></div>`;
  const el = document.getElementById("curves");
  document.getElementById("log-y").addEventListener("change", (e) => { state.logY = e.target.checked; drawCurves(view); });
  const shown = state.logY ? ys.map((col) => col.map((v) => (v !== null && v > 0 ? v : null))) : ys;
  state.plot = new uPlot({
    width: plotWidth(el), height: 420,
    scales: { x: { time: false }, y: state.logY ? { distr: 3 } : {} },
    axes: [{ label: c.xName }, { label: c.metric }],
    series: [{ label: c.xName }, ...ids.map((id, i) => ({
      label: "trial " + id, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true, points: { show: false },
    }))],
    legend: { show: ids.length <= 12 },
  }, [xs, ...shown], el);
}

function drawBest(view) {
  const b = state.best;
  const t0 = b.first || 0;
  destroyPlot();
  if (!b.points.length) {
    view.innerHTML = '<p class="muted" id="best-none">No finite value reported yet.</p>';
    return;
  }
  const xs = b.points.map((p) => p.time - t0);
  const ys = b.points.map((p) => p.value);
  xs.push(Math.max(xs[xs.length - 1], (state.summary.last_time || t0) - t0));
  ys.push(ys[ys.length - 1]);
  const last = b.points[b.points.length - 1];
  view.innerHTML = `<p class="legend-note">Best ${esc(b.metric)} (${b.mode}) of any report so far against seconds since the study's first event; ${b.points.length} improvement(s) in ${b.num_results} results, the last by trial ${last.trial_id}: ${fmt(last.value)}.</p><div class="plot" id="best" data-points="${b.points.length}"></div>`;
  const el = document.getElementById("best");
  state.plot = new uPlot({
    width: plotWidth(el), height: 380,
    scales: { x: { time: false } },
    axes: [{ label: "seconds since start" }, { label: "best " + b.metric }],
    series: [{ label: "s" }, { label: "best " + b.metric, stroke: COLORS[0], width: 2, paths: uPlot.paths.stepped({ align: 1 }) }],
  }, [xs, ys], el);
}

function drawPareto(el, data) {
  const points = [...data.front.map((p) => [p, true]), ...data.others.map((p) => [p, false])]
    .sort((a, b) => a[0].values[0] - b[0].values[0]);
  const xs = points.map(([p]) => p.values[0]);
  const front = points.map(([p, on]) => (on ? p.values[1] : null));
  const others = points.map(([p, on]) => (on ? null : p.values[1]));
  destroyPlot();
  el.dataset.front = String(data.front.length);
  state.plot = new uPlot({
    width: plotWidth(el), height: 400, mode: 1,
    scales: { x: { time: false } },
    axes: [{ label: data.metrics[0] }, { label: data.metrics[1] }],
    series: [{ label: data.metrics[0] },
      { label: "Pareto front", stroke: COLORS[1], width: 1.5, spanGaps: true, paths: uPlot.paths.stepped({ align: data.modes[0] === data.modes[1] ? 1 : -1 }), points: { show: true, size: 7, fill: COLORS[1] } },
      { label: "other trials", stroke: "#9ca3af", paths: () => null, points: { show: true, size: 5, fill: "#d1d5db" } }],
  }, [xs, front, others], el);
}

function viridis(t) {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const i = Math.floor(x), f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgba(${c[0]},${c[1]},${c[2]},0.55)`;
}

function drawParallel(canvas, data) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 900, height = canvas.clientHeight || 420;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  const n = data.axes.length;
  const left = 60, right = 60, top = 28, bottom = 24;
  const ax = (j) => left + (n === 1 ? 0 : j * (width - left - right) / (n - 1));
  const ay = (v) => top + (1 - v) * (height - top - bottom);
  const colors = data.color.filter((v) => v !== null);
  const lo = Math.min(...colors), hi = Math.max(...colors);
  const good = (v) => (hi > lo ? (data.mode === "min" ? (hi - v) / (hi - lo) : (v - lo) / (hi - lo)) : 1);
  const order = data.values.map((row, i) => i).sort((a, b) => good(data.color[a] ?? lo) - good(data.color[b] ?? lo));
  for (const i of order) {
    const row = data.values[i];
    g.strokeStyle = data.color[i] === null ? "rgba(150,150,150,0.3)" : viridis(good(data.color[i]));
    g.lineWidth = 1.2;
    g.beginPath();
    let drawing = false;
    row.forEach((v, j) => {
      if (v === null) { drawing = false; return; }
      if (drawing) g.lineTo(ax(j), ay(v)); else g.moveTo(ax(j), ay(v));
      drawing = true;
    });
    g.stroke();
  }
  g.fillStyle = "#1d2330";
  g.font = "12px system-ui, sans-serif";
  g.textAlign = "center";
  data.axes.forEach((axis, j) => {
    g.strokeStyle = "#374151";
    g.lineWidth = 1;
    g.beginPath(); g.moveTo(ax(j), ay(0)); g.lineTo(ax(j), ay(1)); g.stroke();
    g.fillText(axis.name + (axis.scale === "log" ? " (log)" : ""), ax(j), 14);
    axis.ticks.forEach((t, k) => {
      g.textAlign = "left";
      g.fillText(axis.labels[k], ax(j) + 4, ay(t) + 4);
      g.textAlign = "center";
    });
  });
}

window.addEventListener("hashchange", go);
window.addEventListener("DOMContentLoaded", () => {
  if (new URLSearchParams(location.search).has("token")) {
    history.replaceState(null, "", location.pathname + location.hash); /* the cookie keeps it */
  }
  go();
  state.timer = setInterval(poll, POLL_MS);
});
