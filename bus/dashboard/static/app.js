// The LGSP dashboard: one page, five views, fed by /ui/api/stream (Server-Sent Events).
// No build step: plain browser JavaScript over the vendored cytoscape and uPlot.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (value, digits = 0) => (value == null ? "–" : Number(value).toFixed(digits));
const state = { role: null, topology: null, cy: null, snapshot: null, charts: {}, history: [], txLive: true };
window.lgspDashboard = state; // for the browser tests and for curious architects

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json", "X-Dashboard": "1", ...(options.headers || {}) };
  const response = await fetch(path, { credentials: "same-origin", ...options, headers });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error(body?.message || body?.detail || `HTTP ${response.status}`);
  return body;
}

// --- signing in ----------------------------------------------------------------------------------
async function signIn() {
  const launch = new URLSearchParams(location.hash.slice(1)).get("launch");
  if (launch) {
    history.replaceState(null, "", location.pathname); // the token is single-use: drop it from view
    try { await api("/ui/session", { method: "POST", body: JSON.stringify({ launch_token: launch }) }); }
    catch (error) { $("#signin-error").textContent = `Launch link refused: ${error.message}`; }
  }
  try { return await api("/ui/session"); } catch { return null; }
}

function showSignIn() {
  $("#signin").hidden = false;
  for (const form of [$("#signin-admin"), $("#signin-client")]) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = Object.fromEntries(new FormData(form));
      try { await api("/ui/session", { method: "POST", body: JSON.stringify(body) }); location.reload(); }
      catch (error) { $("#signin-error").textContent = error.message; }
    });
  }
}

// --- topology ------------------------------------------------------------------------------------
const COLORS = { ok: "#2e9e5b", idle: "#9aa5b1", failing: "#e8a33c", recovering: "#4d8fd6", failed: "#d64545" };

function layout(topology) {
  // Callers on the left, the LGSP in the middle, every provider in one column on the right, stacked
  // by owning member: an edge from the LGSP meets that column only at its own provider, so no edge
  // crosses another system. Labels sit beside the nodes (left of callers, right of providers), which
  // lets the column stay tight; each label carries its system's one edge's figures.
  const positions = {};
  const callers = topology.nodes.filter((n) => n.kind === "caller");
  const providers = topology.nodes.filter((n) => n.kind === "provider");
  callers.forEach((n, i) => (positions[n.id] = { x: 0, y: i * 80 }));
  let y = 0;
  for (const group of topology.groups) {
    for (const n of providers.filter((p) => p.group === group.id)) { positions[n.id] = { x: 420, y }; y += 44; }
    y += 34; // the next member's box and its label above it
  }
  for (const n of providers.filter((p) => !p.group)) { positions[n.id] = { x: 420, y }; y += 44; }
  positions.lgsp = { x: 210, y: Math.max((callers.length - 1) * 80, y - 78) / 2 };
  const shift = (positions.lgsp.y * 2 - (callers.length - 1) * 80) / 2; // callers centred on the LGSP
  for (const n of callers) positions[n.id].y += shift;
  return positions;
}

function drawTopology(topology) {
  const positions = layout(topology);
  const elements = [
    ...topology.groups.map((g) => ({ data: { id: g.id, label: g.label }, classes: "group" })),
    ...topology.nodes.map((n) => ({
      data: { id: n.id, name: n.label, label: n.label, parent: n.group || undefined, kind: n.kind, state: "idle" },
      position: positions[n.id], classes: n.kind,
    })),
    ...topology.edges.map((e) => ({ data: { id: e.id, source: e.source, target: e.target, width: 1 } })),
  ];
  state.cy = cytoscape({
    container: $("#graph"), elements, layout: { name: "preset", padding: 30 },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 11, "text-wrap": "wrap", "text-valign": "center",
        "text-halign": "right", "text-margin-x": 6, width: 30, height: 30, "background-color": (n) => COLORS[n.data("state")] || COLORS.idle,
        "border-width": 2, "border-color": "#fff", "text-background-color": "#fff", "text-background-opacity": 0.85 } },
      { selector: "node.bus", style: { shape: "round-rectangle", width: 70, height: 50, "font-weight": "bold", "text-halign": "center",
        "text-margin-x": 0, color: "#fff", "text-background-opacity": 0 } },
      { selector: "node.caller", style: { shape: "round-tag", "text-halign": "left", "text-margin-x": -6, "text-justification": "right" } },
      { selector: "node.group", style: { "background-color": "#f0f4f8", "border-color": "#bcccdc", "border-width": 1,
        label: "data(label)", "text-valign": "top", "text-halign": "right", "text-margin-x": 0, "font-size": 10, color: "#627d98",
        padding: 6, "text-background-opacity": 0 } },
      { selector: "edge", style: { width: "data(width)", "curve-style": "straight", "target-arrow-shape": "triangle",
        "line-color": "#bcccdc", "target-arrow-color": "#bcccdc", "line-style": "dashed", "line-dash-pattern": [6, 4] } },
      { selector: "edge.busy", style: { "line-color": "#4d8fd6", "target-arrow-color": "#4d8fd6" } },
      { selector: "edge.erring", style: { "line-color": "#d64545", "target-arrow-color": "#d64545" } },
    ],
  });
  let offset = 0; // calls flow: busy edges' dashes move; idle ones stand still
  setInterval(() => { offset = (offset - 2) % 100; state.cy.edges(".busy, .erring").style("line-dash-offset", offset); }, 120);
  const rows = topology.nodes.map((n) => `<tr data-node="${esc(n.id)}" title="${esc(n.title)}"><td>${esc(n.kind === "caller" ? n.label : n.kind === "bus" ? "LGSP" : n.label)}</td>` +
    `<td class="state">–</td><td class="breaker">–</td><td class="queue">–</td><td class="dlq">–</td><td class="fault"></td></tr>`);
  $("#systems tbody").innerHTML = rows.join("");
}

function updateTopology(snapshot) {
  const cy = state.cy;
  cy.batch(() => {
    for (const [id, status] of Object.entries(snapshot.nodes)) cy.$id(id).data("state", status.state);
    cy.edges().forEach((edge) => {
      const traffic = snapshot.edges[edge.id()];
      const calls = traffic ? traffic.calls : 0;
      edge.data("width", calls ? Math.min(8, 1.5 + Math.log2(1 + traffic.rate) * 1.5) : 1);
      // Each caller and provider has one edge: its figures are written beside that system, where
      // they stay legible, rather than along the edge, where labels of neighbouring edges collide.
      const end = edge.source().id() === "lgsp" ? edge.target() : edge.source();
      const figures = calls ? `${fmt(traffic.rate, 1)}/s · ${fmt(traffic.error_share * 100)}% err · p95 ${fmt(traffic.p95_ms)} ms` : "";
      end.data("label", figures ? `${end.data("name")}\n${figures}` : end.data("name"));
      edge.toggleClass("busy", calls > 0 && traffic.error_share < 0.5);
      edge.toggleClass("erring", calls > 0 && traffic.error_share >= 0.5);
    });
  });
  for (const row of document.querySelectorAll("#systems tbody tr")) {
    const status = snapshot.nodes[row.dataset.node] || { state: "idle" };
    row.dataset.state = status.state;
    row.dataset.breaker = status.breaker || "";
    $(".state", row).innerHTML = `<span class="${status.state}">${status.state}</span>`;
    $(".breaker", row).innerHTML = status.breaker ? `<span class="${status.breaker === "open" ? "failed" : status.breaker === "closed" ? "ok" : "recovering"}">${status.breaker}</span>` : "";
    $(".queue", row).textContent = status.queue_depth ?? "";
    $(".dlq", row).textContent = status.dead_letters ?? "";
    $(".fault", row).textContent = status.fault || "";
    const node = state.topology.nodes.find((n) => n.id === row.dataset.node);
    if (node?.services.length) { // per service: ready messages and dead letters, where the transport can tell
      row.title = node.services.map((s) => `${s}: ${(snapshot.queues[s] || [])[0] ?? "?"} queued, ${(snapshot.queues[s] || [])[1] ?? "?"} dead`).join("\n");
    }
  }
  $("#rate").textContent = fmt(snapshot.totals.rate, 1);
  $("#p95").textContent = fmt(snapshot.totals.p95_ms);
  $("#errors").textContent = `${fmt(snapshot.totals.error_share * 100, 1)}%`;
}

// --- load and charts -----------------------------------------------------------------------------
function makeChart(element, title, label, color) {
  // The last five minutes at least, so a fresh page's few points do not stretch over the whole axis.
  const range = (_, min, max) => [Math.min(min ?? max, max - 300), max];
  const options = { title, width: element.clientWidth || 800, height: 200, scales: { x: { range } },
    series: [{}, { label, stroke: color, width: 2, fill: color + "22" }], axes: [{}, { size: 60 }] };
  return new uPlot(options, [[], []], element);
}

function updateCharts() {
  if ($("#view-load").hidden) return; // drawn when shown
  const times = state.history.map((p) => p[0]);
  state.charts.rate.setData([times, state.history.map((p) => p[1])]);
  state.charts.p95.setData([times, state.history.map((p) => p[2])]);
}

function updateLoad(snapshot) {
  const perYear = snapshot.totals.per_year;
  $("#per-year").textContent = perYear >= 1e6 ? `${fmt(perYear / 1e6, 1)} M` : fmt(perYear);
  $("#per-year-bar div").style.width = `${Math.min(100, (perYear / 50e6) * 100)}%`;
  const load = snapshot.load;
  if (!load) { $("#load-controls").innerHTML = "<p class='hint'>No load generator in this deployment.</p>"; return; }
  const admin = state.role === "admin";
  const buttons = load.profiles.map((p) => `<button data-profile="${esc(p.name)}" ${!admin || load.running ? "disabled" : ""}>${esc(p.title)}</button>`);
  const status = load.running ? `running <b>${esc(load.profile)}</b> since ${new Date(load.started_at * 1000).toLocaleTimeString()}` :
    load.profile ? `last run ${esc(load.profile)} ended (exit ${load.exit_code})` : "idle";
  const html = `${buttons.join("")}<button id="load-stop" class="danger" ${!admin || !load.running ? "disabled" : ""}>Stop</button> <span>${status}</span>`;
  if ($("#load-controls").dataset.html !== html) { $("#load-controls").innerHTML = html; $("#load-controls").dataset.html = html; }
  $("#load-output").textContent = load.output.join("\n");
  $("#load-output").hidden = !load.output.length;
}

document.addEventListener("click", async (event) => {
  const target = event.target.closest("button");
  if (!target) return;
  try {
    if (target.dataset.profile) await api(`/ui/api/load/${target.dataset.profile}`, { method: "POST" });
    else if (target.id === "load-stop") await api("/ui/api/load/stop", { method: "POST" });
    else if (target.dataset.scenario) await api(`/ui/api/scenarios/${target.dataset.scenario}`, { method: "POST" });
    else if (target.dataset.fault) await applyFault(target);
    else return;
    target.blur();
  } catch (error) { alert(error.message); }
});

// --- faults --------------------------------------------------------------------------------------
async function applyFault(button) {
  const mock = button.closest("tr").dataset.mock;
  const value = (name) => Number($(`[name=${name}]`, button.closest("tr")).value || 0);
  const action = button.dataset.fault;
  if (action === "clear") return refreshFaults(await api(`/ui/api/faults/${mock}/clear`, { method: "POST" }));
  const changes = {
    outage: { outage: true },
    latency: { latency: { kind: "fixed", ms: value("latency") } },
    errors: { error_rate: value("error_rate") },
    callbacks: { lost_callback_rate: value("lost_callback_rate") },
  }[action];
  await api("/ui/api/faults", { method: "POST", body: JSON.stringify({ target: mock, changes }) });
  await refreshFaults();
}

async function refreshFaults() {
  const data = await api("/ui/api/faults");
  const admin = state.role === "admin";
  const disabled = admin ? "" : "disabled";
  $("#scenarios").innerHTML = data.scenarios.map((s) =>
    `<button data-scenario="${esc(s.name)}" ${disabled}>${esc(s.title)}</button>`).join("") || "<p class='hint'>No scenarios.</p>";
  $("#faults tbody").innerHTML = Object.entries(data.targets).map(([mock, st]) => {
    const profile = st ? st.profile : null;
    return `<tr data-mock="${esc(mock)}"><td>${esc(mock)}</td><td class="fault-now">${profile ? esc(data.summaries[mock] || "normal") : "unreachable"}</td>` +
      `<td><input type="number" name="latency" min="0" value="${profile?.latency?.ms ?? 2000}"> <button data-fault="latency" ${disabled}>set</button></td>` +
      `<td><input type="number" name="error_rate" min="0" max="1" step="0.1" value="${profile?.error_rate || 0.5}"> <button data-fault="errors" ${disabled}>set</button></td>` +
      `<td><input type="number" name="lost_callback_rate" min="0" max="1" step="0.1" value="${profile?.lost_callback_rate || 1}"> <button data-fault="callbacks" ${disabled}>set</button></td>` +
      `<td><button data-fault="outage" class="danger" ${disabled}>outage</button> <button data-fault="clear" ${disabled}>clear</button></td></tr>`;
  }).join("");
}

// --- transactions --------------------------------------------------------------------------------
function showTransactions(rows) {
  $("#transactions tbody").innerHTML = rows.map((t) =>
    `<tr class="clickable ${t.ok ? "" : "bad"}" data-id="${esc(t.id)}" data-at="${esc(t.at)}" data-client="${esc(t.client)}"><td>${new Date(t.at).toLocaleTimeString()}</td>` +
    `<td>${esc(t.client)}</td><td>${esc(t.service)}</td><td>${esc(t.issue)}</td><td>${t.status}${t.fault ? " " + esc(t.fault) : ""}</td><td>${fmt(t.ms, 1)}</td></tr>`).join("");
}

async function openTransaction(row) {
  const detail = $("#tx-detail");
  detail.innerHTML = "<p class='hint'>reading the log…</p>";
  try {
    const opened = await api(`/ui/api/transactions/${encodeURIComponent(row.dataset.id)}?at=${encodeURIComponent(row.dataset.at)}&client=${encodeURIComponent(row.dataset.client)}`);
    const checks = opened.checks.map((c) =>
      `<tr><td>${esc(c.name)}</td><td class="${c.ok === false ? "failed" : c.ok ? "ok" : "idle"}">${c.ok === false ? "BROKEN" : c.ok ? "intact" : "not checked here"}</td><td class="wrap">${esc(c.detail)}</td></tr>`).join("");
    const verify = state.role === "admin" ? `<button id="verify-chain">Verify the whole chain</button> <span id="verify-result"></span>` : "";
    detail.innerHTML = `<h2>Log entry #${opened.entry.sequence}</h2><table class="checks">${checks}</table>${verify}<pre>${esc(JSON.stringify(opened.entry, null, 2))}</pre>`;
    $("#verify-chain")?.addEventListener("click", async () => {
      const report = await api("/ui/api/log/verify", { method: "POST" });
      $("#verify-result").textContent = report.findings.length ? `${report.findings.length} problems: ${report.findings[0].message}` : `${report.checked} entries, chain intact`;
    });
  } catch (error) { detail.innerHTML = `<p class="error">${esc(error.message)}</p>`; }
}

function setUpTransactions() {
  const form = $("#tx-filter");
  const clients = [...new Set(state.topology.nodes.filter((n) => n.kind === "caller").map((n) => n.id.slice(7)))];
  const services = state.topology.nodes.flatMap((n) => n.services);
  form.client.innerHTML += clients.map((c) => `<option>${esc(c)}</option>`).join("");
  form.service.innerHTML += services.map((s) => `<option>${esc(s)}</option>`).join("");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    state.txLive = false;
    const query = new URLSearchParams([...new FormData(form)].filter(([, v]) => v));
    showTransactions((await api(`/ui/api/transactions?${query}`)).transactions);
  });
  $("#tx-live").addEventListener("click", () => { state.txLive = true; form.reset(); if (state.snapshot) showTransactions(state.snapshot.latest); });
  $("#transactions").addEventListener("click", (event) => { const row = event.target.closest("tr[data-id]"); if (row) openTransaction(row); });
}

// --- journeys ------------------------------------------------------------------------------------
// Times in the working calendar's zone (deadlines fall at its office hours), the viewer's without one.
const inZone = (t, zone) => (t ? new Date(t).toLocaleString(undefined, zone ? { timeZone: zone, timeZoneName: "short" } : {}) : "");

async function refreshJourneys() {
  const data = await api("/ui/api/journeys");
  if (!data.available || !data.journeys.length) {
    $("#journeys").innerHTML = `<p class="hint">No journeys yet${data.available ? "" : " — the journey engine is not running in this deployment"}.</p>`;
    return;
  }
  const rates = data.timeliness.map((t) => `<tr><td>${esc(t.procedure)}</td><td>${t.finished}</td><td>${t.on_time_rate == null ? "–" : fmt(t.on_time_rate * 100, 1) + "%"}</td></tr>`).join("");
  const rows = data.journeys.map((j) => `<tr class="clickable" data-journey="${esc(j.id)}"><td>${esc(j.procedure)}</td><td>${esc(j.dossier)}</td><td>${esc(j.status)}</td>` +
    `<td>${inZone(j.started_at, data.time_zone)}</td><td>${j.on_time == null ? "" : j.on_time ? "on time" : "late"}</td></tr>`).join("");
  $("#journeys").innerHTML = `<h2>On time per procedure</h2><table><tr><th>procedure</th><th>finished</th><th>on time</th></tr>${rates}</table>` +
    `<h2>Journeys</h2><table id="journey-list"><tr><th>procedure</th><th>dossier</th><th>status</th><th>started</th><th>verdict</th></tr>${rows}</table>`;
  $("#journey-list").addEventListener("click", (event) => { const row = event.target.closest("tr[data-journey]"); if (row) showTimeline(row.dataset.journey); });
}

async function showTimeline(id) {
  const { journey, steps, time_zone } = await api(`/ui/api/journeys/${encodeURIComponent(id)}`);
  const zoned = (t) => inZone(t, time_zone);
  const times = steps.flatMap((s) => [s.started_at, s.finished_at]).filter(Boolean).map((t) => Date.parse(t));
  const start = Math.min(...times), span = Math.max(1, Math.max(...times) - start);
  const lanes = [...new Set(steps.map((s) => s.system))];
  const html = lanes.map((lane) => `<div class="lane-name">${esc(lane)}</div><div class="lane">` + steps.filter((s) => s.system === lane).map((s) => {
    const from = s.started_at ? Date.parse(s.started_at) : start, to = s.finished_at ? Date.parse(s.finished_at) : from + span / 50;
    const title = `${s.step} · ${s.transaction_id || ""} · ${s.status} · ${s.took || ""} · deadline ${zoned(s.deadline) || "–"} · ${s.on_time == null ? "" : s.on_time ? "on time" : "late"}`;
    return `<div class="step ${esc(s.status)}" title="${esc(title)}" style="left:${((from - start) / span) * 95}%;width:${Math.max(2, ((to - from) / span) * 95)}%">${esc(s.step)}</div>`;
  }).join("") + "</div>").join("");
  const rows = steps.map((s) => `<tr><td>${esc(s.step)}</td><td>${esc(s.system)}</td><td>${esc(s.transaction_id)}</td><td>${esc(s.took)}</td>` +
    `<td>${esc(s.status)}</td><td>${zoned(s.deadline)}</td><td>${s.on_time == null ? "" : s.on_time ? "on time" : "late"}</td></tr>`).join("");
  // The bars are in clock time (nights and weekends included), the table's "took" in working time.
  const axis = `<p class="axis hint">Bars in clock time, ${zoned(start)} to ${zoned(start + span)}; "took" counts working time.</p>`;
  $("#journey-timeline").innerHTML = `<h2>${esc(journey.procedure)} ${esc(journey.dossier || "")}: ${esc(journey.status)}</h2><div class="lanes">${html}</div>${axis}` +
    `<table id="journey-steps"><tr><th>step</th><th>system</th><th>transaction</th><th title="office time on the working calendar, as deadlines count">took (working time)</th><th>status</th><th>deadline</th><th>verdict</th></tr>${rows}</table>`;
}

// --- the feed and the views ----------------------------------------------------------------------
function onSnapshot(snapshot) {
  state.snapshot = snapshot;
  state.history.push(snapshot.point);
  if (state.history.length > 300) state.history.shift();
  updateTopology(snapshot);
  updateLoad(snapshot);
  updateCharts();
  if (state.txLive) showTransactions(snapshot.latest);
}

function connect() {
  const source = new EventSource("/ui/api/stream");
  source.addEventListener("snapshot", (event) => { $("#conn").textContent = `live · ${new Date().toLocaleTimeString()}`; onSnapshot(JSON.parse(event.data)); });
  source.onerror = () => { $("#conn").textContent = "reconnecting…"; };
}

function showView(name) {
  for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("active", button.dataset.view === name);
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  if (name === "topology") state.cy.resize();
  if (name === "faults") refreshFaults();
  if (name === "journeys") refreshJourneys();
  if (name === "load") {
    for (const [key, chart] of Object.entries(state.charts)) chart.setSize({ width: $(`#chart-${key}`).clientWidth, height: 200 });
    updateCharts();
  }
}

async function start() {
  const session = await signIn();
  if (!session) return showSignIn();
  state.role = session.role;
  $("#who").textContent = `${session.who} (${session.role === "admin" ? "operator" : "read-only"})`;
  $("#views").hidden = false;
  state.topology = await api("/ui/api/topology");
  $("#province").textContent = state.topology.nodes.find((n) => n.kind === "bus").title.replace(/^LGSP /, "");
  drawTopology(state.topology);
  state.charts.rate = makeChart($("#chart-rate"), "Throughput", "tx/s", "#4d8fd6");
  state.charts.p95 = makeChart($("#chart-p95"), "Latency p95", "ms", "#e8a33c");
  setUpTransactions();
  const first = await api("/ui/api/snapshot");
  state.history = first.history.slice(0, -1);
  onSnapshot(first);
  connect();
  for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => showView(button.dataset.view));
  setInterval(() => { if (!$("#view-faults").hidden) refreshFaults(); }, 3000);
  document.body.dataset.ready = "1";
}

start();
