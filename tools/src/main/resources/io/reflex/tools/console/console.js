// Reflex console: reads the daemon's telemetry WebSocket and status, and drives the control API with the run's
// token. Everything it shows comes from the daemon it was served by (same origin); nothing is sent elsewhere.
"use strict";

const WINDOW_S = 30;          // seconds of history in the plots
const MAX_POINTS = 1800;      // 60 Hz telemetry for 30 s
const LOG_POLL_MS = 2000;

const $ = (id) => document.getElementById(id);
let token = null;
let ws = null;
let t0 = null;
let outPlot = null, latPlot = null;
let outData = null, latData = [[], [], []];
let outSeries = 0, targetSeries = 0;
let drawPending = false;
let lastLogSeq = 0;
let heatMax = 1e-9;
let confirmTimer = null;

function takeToken() {
  const m = /(?:^#|&)token=([0-9a-fA-F]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("reflex-token", m[1]);
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem("reflex-token");
}

async function api(method, path, body) {
  const headers = { "Authorization": "Bearer " + token };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  let j = {};
  try { j = await r.json(); } catch (e) { j = { error: "no JSON in the answer (" + r.status + ")" }; }
  return { status: r.status, body: j };
}

function show(el, text, error) {
  el.textContent = text;
  el.classList.toggle("error", !!error);
}

function fmt(v, digits) {
  return v === null || v === undefined ? "-" : Number(v).toFixed(digits);
}

function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/telemetry?token="
      + encodeURIComponent(token);
  ws = new WebSocket(url);
  ws.onopen = () => { $("connection").textContent = "live"; $("connection").className = "pill ok"; };
  ws.onclose = () => {
    $("connection").textContent = "disconnected";
    $("connection").className = "pill bad";
    setTimeout(connect, 2000);
  };
  ws.onmessage = (ev) => onTelemetry(JSON.parse(ev.data));
}

// Time spent handling each message (parse excluded) and drawing, for the page's own smoothness check.
const handleMs = [];
function note(ms) {
  handleMs.push(ms);
  if (handleMs.length > 600) { handleMs.shift(); }
  const sorted = handleMs.slice().sort((a, b) => a - b);
  const st = $("plot-status");
  st.dataset.handledMessages = String(Number(st.dataset.handledMessages || 0) + 1);
  st.dataset.p99Ms = sorted[Math.floor(0.99 * (sorted.length - 1))].toFixed(2);
  st.dataset.maxMs = sorted[sorted.length - 1].toFixed(2);
}

function onTelemetry(m) {
  const began = performance.now();
  handle(m);
  note(performance.now() - began);
}

function handle(m) {
  $("phase").textContent = m.phase;
  $("decoder").textContent = m.decoder || "-";
  $("engine").textContent = m.engine || "JVM";
  $("failovers").textContent = m.failovers;
  $("frames").textContent = m.frames;
  $("dropped").textContent = m.dropped;
  $("misses").textContent = m.deadline_misses;
  $("safe").textContent = m.safe_outputs;
  $("r2").textContent = fmt(m.live_r2, 3);
  $("seq").textContent = m.seq;
  $("clients").textContent = m.clients;
  stimPanel(m.stim);
  runPanel(m.run);
  const now = m.time_ms / 1000;
  if (t0 === null) { t0 = now; }
  const x = now - t0;
  if (m.output) {
    addOutput(x, m.output, m.target, m.output_safe);
  }
  if (m.channel_features) {
    addHeatColumn(m.channel_features, m.channels);
  }
  const lat = m.latency_us && m.latency_us.ingest_to_emit;
  if (lat && lat.count > 0) {
    push(latData, [x, lat.p50, lat.p99]);
  }
  if (!drawPending) {
    drawPending = true;
    requestAnimationFrame(draw);
  }
}

function push(data, row) {
  for (let i = 0; i < data.length; i++) {
    data[i].push(row[i] === null || row[i] === undefined ? null : row[i]);
  }
  const x = data[0];
  while (x.length > MAX_POINTS || (x.length > 1 && x[x.length - 1] - x[0] > WINDOW_S)) {
    for (const s of data) { s.shift(); }
  }
}

const COLORS = ["#d33", "#36c", "#2a2", "#a3a"];

function addOutput(x, out, target, safe) {
  if (outPlot === null) {
    outSeries = Math.min(out.length, 4);
    targetSeries = target ? Math.min(target.length, outSeries) : 0;
    const series = [{ label: "s" }];
    for (let i = 0; i < outSeries; i++) {
      series.push({ label: "output " + i, stroke: COLORS[i], width: 1.5 });
    }
    for (let i = 0; i < targetSeries; i++) {
      series.push({ label: "target " + i, stroke: COLORS[i], dash: [6, 4], width: 1 });
    }
    outData = series.map(() => []);
    outPlot = new uPlot({ width: $("plot-output").clientWidth || 900, height: 220, series,
      scales: { x: { time: false } }, axes: [{ label: "s" }, {}] }, outData, $("plot-output"));
    latPlot = new uPlot({ width: $("plot-latency").clientWidth || 420, height: 200,
      series: [{ label: "s" }, { label: "p50 µs", stroke: "#36c" }, { label: "p99 µs", stroke: "#d33" }],
      scales: { x: { time: false }, y: { distr: 3 } }, axes: [{ label: "s" }, { label: "µs (log)" }] }, latData,
      $("plot-latency"));
  }
  const row = [x];
  for (let i = 0; i < outSeries; i++) { row.push(out[i]); }
  for (let i = 0; i < targetSeries; i++) { row.push(target ? target[i] : null); }
  push(outData, row);
  $("output-now").textContent = out.slice(0, outSeries).map((v) => fmt(v, 3)).join("  ")
      + (safe ? "  (safe output)" : "");
  for (let i = 0; i < outSeries; i++) {
    let el = $("output" + i);
    if (!el) {
      el = document.createElement("span");
      el.id = "output" + i;
      el.hidden = true;
      document.body.appendChild(el);
    }
    el.textContent = out[i] === null ? "" : String(out[i]);
  }
}

function addHeatColumn(values, channels) {
  const c = $("heatmap");
  const rows = values.length;
  if (rows === 0) { return; }
  if (c.height !== rows) {
    c.height = rows;
    $("channels-info").textContent = "(" + rows + " channels: " + channels.slice(0, 8).join(", ")
        + (rows > 8 ? ", ..." : "") + ")";
  }
  const g = c.getContext("2d");
  g.drawImage(c, -1, 0);
  let max = 0;
  for (const v of values) { if (v !== null && v > max) { max = v; } }
  heatMax = Math.max(heatMax * 0.995, max);
  const img = g.createImageData(1, rows);
  for (let r = 0; r < rows; r++) {
    const v = values[r];
    const k = v === null ? 0 : Math.min(1, v / heatMax);
    img.data[4 * r] = Math.round(255 * Math.min(1, 2 * k));
    img.data[4 * r + 1] = Math.round(255 * Math.max(0, 2 * k - 1));
    img.data[4 * r + 2] = v === null ? 80 : Math.round(90 * (1 - k));
    img.data[4 * r + 3] = 255;
  }
  g.putImageData(img, c.width - 1, 0);
  c.dataset.columns = String(Number(c.dataset.columns || 0) + 1);
}

function draw() {
  const began = performance.now();
  drawPending = false;
  let drawn = 0;
  if (outPlot) { outPlot.setData(outData); if (outData[0].length > 1) { drawn++; } }
  if (latPlot) { latPlot.setData(latData); if (latData[0].length > 1) { drawn++; } }
  if (Number($("heatmap").dataset.columns || 0) > 1) { drawn++; }
  $("plot-status").dataset.drawn = String(drawn);
  note(performance.now() - began);
}

function stimPanel(s) {
  const el = $("stim-state");
  if (!s) {
    el.textContent = "no stim section";
    el.className = "pill";
    for (const id of ["arm-button", "disarm-button", "estop-button"]) { $(id).disabled = true; }
    return;
  }
  el.textContent = s.state;
  el.className = "pill " + (s.fault !== "none" ? "bad" : s.state === "disarmed" ? "ok" : "armed");
  $("stim-fault").textContent = s.fault;
  $("stim-issued").textContent = s.issued;
  $("stim-rejected").textContent = s.rejected;
}

async function arm() {
  const reason = $("arm-reason").value.trim();
  const r = await api("POST", "/api/stim/arm", { reason });
  if (r.status !== 202) {
    show($("stim-result"), "arming refused: " + r.body.error, true);
    return;
  }
  // Nothing is armed yet: the operator must confirm, within the confirmation's lifetime.
  const box = $("confirm-box");
  box.hidden = false;
  box.dataset.confirmation = r.body.confirmation;
  $("confirm-reason").textContent = r.body.reason;
  let left = r.body.expires_in_s;
  $("confirm-left").textContent = left;
  clearInterval(confirmTimer);
  confirmTimer = setInterval(() => {
    left--;
    $("confirm-left").textContent = left;
    if (left <= 0) { closeConfirm("confirmation expired: not armed"); }
  }, 1000);
  show($("stim-result"), "not armed yet: confirm or cancel", false);
}

function closeConfirm(text) {
  clearInterval(confirmTimer);
  const box = $("confirm-box");
  box.hidden = true;
  delete box.dataset.confirmation;
  show($("stim-result"), text, false);
}

async function confirmArm() {
  const id = $("confirm-box").dataset.confirmation;
  clearInterval(confirmTimer);
  $("confirm-box").hidden = true;
  const r = await api("POST", "/api/stim/arm/confirm", { confirmation: id });
  show($("stim-result"), r.status === 200 ? "armed: " + r.body.reason : "not armed: " + r.body.error, r.status !== 200);
}

async function disarm() {
  const reason = $("disarm-reason").value.trim() || "console: disarm";
  const r = await api("POST", "/api/stim/disarm", { reason });
  show($("stim-result"), r.status === 202 ? "disarm requested" : "disarm refused: " + r.body.error, r.status !== 202);
}

function runPanel(r) {
  if (!r) { return; }
  const el = $("run-state");
  el.textContent = r.state + (r.stopping ? " (stopping)" : "");
  el.className = "pill " + (r.exit_code !== 0 ? "bad" : r.state === "running" ? "ok" : "");
  $("run-number").textContent = r.number;
  $("run-last-exit").textContent = r.last_exit === null ? "-" : r.last_exit;
  $("run-last-fault").textContent = r.last_fault || "";
  // a start needs --serve and no run live; a stop needs a live run not stopping yet
  $("run-start-button").disabled = !r.serve || r.state !== "idle";
  $("run-stop-button").disabled = r.state !== "running" || r.stopping;
}

// Stopping disarms first and starting starts disarmed: neither asks for a confirmation.
async function runAction(what) {
  const reason = $("run-reason").value.trim() || "console: " + what + " run";
  const r = await api("POST", "/api/run/" + what, { reason });
  show($("run-result"), r.status === 202 ? what + " requested: run " + r.body.run : what + " refused: "
      + r.body.error, r.status !== 202);
}

async function estop() {
  // No confirmation: an emergency stop acts at once.
  const r = await api("POST", "/api/stim/estop", { reason: "console E-STOP" });
  show($("stim-result"), r.status === 202 ? "E-STOP: stimulation stopped, fault latched" : "E-STOP failed: "
      + r.body.error, r.status !== 202);
}

// A decoder file, or a decoder by name (LFADS with a shipped model, SNN, Kalman, Wiener) that the daemon builds on
// the run's engine chain and fits on the run's calibration block.
async function swapDecoder() {
  const kind = $("decoder-kind").value;
  const file = $("decoder-file").value.trim();
  let body;
  if (kind === "file") {
    body = { file };
  } else {
    const [decoder, model] = kind.split(":");
    body = model ? { decoder, options: { model } } : { decoder };
  }
  $("swap-button").disabled = true;
  try {
    const r = await api("POST", "/api/decoder", body);
    const from = r.body.file ? " from " + r.body.file : (r.body.model ? " (" + r.body.model + ")" : "")
        + (r.body.engine ? " on " + r.body.engine : "");
    show($("swap-result"), r.status === 200 ? "swapped: " + r.body.decoder + from
        + " (generation " + r.body.generation + ")" : "not swapped: " + r.body.error, r.status !== 200);
  } finally {
    $("swap-button").disabled = false;
  }
}

async function pollLog() {
  try {
    const r = await fetch("/api/log");
    const j = await r.json();
    const ol = $("log");
    for (const e of j.entries) {
      if (e.seq <= lastLogSeq) { continue; }
      lastLogSeq = e.seq;
      const li = document.createElement("li");
      li.className = e.kind;
      li.textContent = e.ts.substring(11, 19) + "  " + e.kind + "  " + e.msg;
      ol.appendChild(li);
      while (ol.children.length > 500) { ol.removeChild(ol.firstChild); }
      ol.scrollTop = ol.scrollHeight;
    }
  } catch (e) {
    // the daemon has gone: the connection pill says so
  }
  setTimeout(pollLog, LOG_POLL_MS);
}

function start() {
  token = takeToken();
  if (!token) {
    $("token-box").hidden = false;
    $("token-box").onsubmit = (ev) => {
      ev.preventDefault();
      sessionStorage.setItem("reflex-token", $("token").value.trim());
      $("token-box").hidden = true;
      start();
    };
    return;
  }
  $("arm-button").onclick = arm;
  $("confirm-button").onclick = confirmArm;
  $("cancel-button").onclick = () => closeConfirm("cancelled: not armed");
  $("disarm-button").onclick = disarm;
  $("estop-button").onclick = estop;
  $("swap-button").onclick = swapDecoder;
  $("decoder-kind").onchange = () => { $("decoder-file").disabled = $("decoder-kind").value !== "file"; };
  $("run-stop-button").onclick = () => runAction("stop");
  $("run-start-button").onclick = () => runAction("start");
  connect();
  pollLog();
}

start();
