// nexproxy web view: live sessions over server-sent events, or an opened
// session log. The server filters; this page draws what it is sent. Every
// value from the network goes into the page as text, never as markup.
"use strict";

const MAX_CALLS = 5000; // calls the page keeps, newest
const MAX_SESSIONS = 500; // sessions the page keeps: the oldest closed ones go first
const TIMELINE_CALLS = 40;
const HIST_METHODS = 12;
const BUCKETS = [0.3, 1, 3, 10, 30, 100, 300, 1000, Infinity]; // ms, upper bounds
const BUCKET_LABELS = ["≤0.3ms", "≤1ms", "≤3ms", "≤10ms", "≤30ms", "≤100ms", "≤300ms", "≤1s", ">1s"];

const state = {
  sessions: new Map(), // id -> session
  calls: [],
  selected: "",
  expanded: new Set(), // "session/seq"
  source: "",
  es: null,
  file: null,
};

const $ = (sel) => document.querySelector(sel);
const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs, ...children) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.setAttribute("class", v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function filterQuery() {
  const q = new URLSearchParams();
  for (const input of $("#filters").querySelectorAll("input")) {
    if (input.value.trim() !== "") q.set(input.name, input.value.trim());
  }
  return q;
}

function setStatus(text, cls) {
  const s = $("#status");
  s.textContent = text;
  s.className = "status " + (cls || "");
}

function reset() {
  state.sessions.clear();
  state.calls = [];
  state.expanded.clear();
  scheduleRender();
}

// load (re)starts the current source with the current filter.
function load() {
  if (state.es) { state.es.close(); state.es = null; }
  reset();
  const q = filterQuery();
  const url = new URL(location.href);
  url.search = q.toString();
  history.replaceState(null, "", url);
  if (state.source === "" && !state.file) {
    setStatus("connecting…");
    const es = new EventSource("api/events?" + q.toString());
    state.es = es;
    es.addEventListener("session", (ev) => addSession(JSON.parse(ev.data)));
    es.addEventListener("call", (ev) => addCall(JSON.parse(ev.data)));
    es.addEventListener("ready", (ev) => {
      const d = JSON.parse(ev.data);
      setStatus(d.dropped ? `live · ${d.dropped} events dropped` : "live", "live");
    });
    es.addEventListener("open", () => { reset(); });
    es.addEventListener("error", () => setStatus("reconnecting…", "bad"));
    return;
  }
  let req;
  if (state.file) {
    q.set("name", state.file.name);
    req = fetch("api/log?" + q.toString(), { method: "POST", body: state.file });
  } else {
    q.set("name", state.source);
    req = fetch("api/log?" + q.toString());
  }
  setStatus("loading…");
  req.then(async (resp) => {
    if (!resp.ok) throw new Error(await resp.text());
    return resp.json();
  }).then((view) => {
    view.sessions.forEach(addSession);
    view.calls.forEach(addCall);
    setStatus(view.warning ? "log (partial: " + view.warning + ")" : "session log", view.warning ? "bad" : "");
  }).catch((err) => setStatus(String(err.message || err).trim(), "bad"));
}

function addSession(s) {
  state.sessions.set(s.id, s);
  // The server forgets closed sessions without saying so; a page left open
  // drops them too. A Map iterates in the order sessions first came.
  for (const [id, old] of state.sessions) {
    if (state.sessions.size <= MAX_SESSIONS) break;
    if (old.closed && id !== state.selected) state.sessions.delete(id);
  }
  scheduleRender();
}

function addCall(c) {
  state.calls.push(c);
  if (state.calls.length > MAX_CALLS) state.calls.splice(0, state.calls.length - MAX_CALLS);
  scheduleRender();
}

let pending = false;
function scheduleRender() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; render(); });
}

function visibleCalls() {
  return state.selected === "" ? state.calls : state.calls.filter((c) => c.session === state.selected);
}

function render() {
  renderSessions();
  const calls = visibleCalls();
  renderTimeline(calls);
  renderHistograms(calls);
  renderCalls(calls);
}

function renderSessions() {
  const ul = $("#sessions");
  const list = [...state.sessions.values()].sort((a, b) => (b.start || "").localeCompare(a.start || ""));
  $("#session-count").textContent = `(${list.length})`;
  const items = [el("li", { class: state.selected === "" ? "selected" : "", "data-id": "", onclick: () => select("") },
    el("div", { class: "title" }, "All sessions"))];
  for (const s of list) {
    const li = el("li", {
      class: (s.closed ? "closed " : "") + (state.selected === s.id ? "selected" : ""),
      "data-id": s.id, "data-pid": String(s.pid || ""), "data-game": s.game || "",
      onclick: () => select(s.id),
    },
    el("div", { class: "title" }, `${s.game || "?"} · ${s.server || ""} `, el("span", { class: "badge" }, s.mode),
      s.closed ? el("span", { class: "badge" }, "closed") : el("span", { class: "badge" }, "live")),
    el("div", null, `PID ${s.pid || "—"} · ${s.calls} calls` + (s.evicted ? ` (${s.evicted} dropped)` : "")),
    el("div", { class: "addr" }, `console ${s.console || "?"}`),
    el("div", { class: "addr" }, `nexproxy ${s.local || "?"}`),
    s.upstream ? el("div", { class: "addr" }, `upstream ${s.upstream}`) : null,
    s.source !== "live" ? el("div", { class: "addr" }, s.source) : null);
    items.push(li);
  }
  ul.replaceChildren(...items);
}

function select(id) {
  state.selected = id;
  scheduleRender();
}

function methodName(c) {
  if (c.type === "script") return `hook ${c.script || ""}`;
  if (c.type === "note") return "note";
  return `${c.protocol || "Protocol(" + (c.protocol_id || 0) + ")"}.${c.method || "Method(" + (c.method_id || 0) + ")"}`;
}

function resultText(c) {
  if (c.type !== "call") return c.text || "";
  if (c.status) return c.status;
  if (c.error) return c.error_name || c.error;
  return "ok";
}

function failed(c) { return c.type === "call" && (!!c.error || !!c.status); }

function fmtTime(t) {
  const d = new Date(t);
  return isNaN(d) ? "" : d.toTimeString().slice(0, 8) + "." + String(d.getMilliseconds()).padStart(3, "0");
}

function fmtMs(ms) { return ms >= 100 ? ms.toFixed(0) + " ms" : ms.toFixed(2) + " ms"; }

function renderCalls(calls) {
  $("#call-count").textContent = `(${calls.length})`;
  const rows = [];
  for (let i = calls.length - 1; i >= 0 && rows.length < 1000; i--) {
    const c = calls[i];
    const key = c.session + "/" + c.seq;
    const s = state.sessions.get(c.session) || {};
    const row = el("tr", {
      class: "call " + (c.type !== "call" ? "script" : ""), "data-key": key, "data-method": c.method || "",
      "data-protocol": c.protocol || "", "data-pid": String(s.pid || ""), "data-session": c.session,
      onclick: () => { state.expanded.has(key) ? state.expanded.delete(key) : state.expanded.add(key); scheduleRender(); },
    },
    el("td", null, fmtTime(c.time)),
    el("td", null, c.session),
    el("td", null, s.pid || ""),
    el("td", null, c.type !== "call" ? "" : c.dir === "s2c" ? "⇐" : "⇒"),
    el("td", null, methodName(c)),
    el("td", { class: failed(c) ? "err" : "ok" }, resultText(c)),
    el("td", { class: "num" }, c.type === "call" ? fmtMs(c.ms) : ""),
    el("td", null, c.handler || ""));
    rows.push(row);
    if (state.expanded.has(key)) rows.push(el("tr", { class: "expanded" }, el("td", { colspan: "8" }, details(c))));
  }
  $("#calls tbody").replaceChildren(...rows);
}

function details(c) {
  const box = el("div", { class: "values" });
  const add = (title, json, raw) => {
    if (json === undefined && !raw) return;
    box.append(el("div", null, el("h3", null, title), json !== undefined ? tree(json) : el("div", { class: "tree" }, "hex " + raw)));
  };
  add("Parameters", c.params, c.params_raw);
  add("Response", c.result, c.result_raw);
  add("Sent upstream instead (changed by " + (c.changed_by || []).join(", ") + ")", c.sent_params, c.sent_params_raw);
  add("Received before a hook replaced it", c.received_result, c.received_result_raw);
  const meta = [`call id ${c.call_id || 0}`];
  if (c.upstream_call_id) meta.push(`upstream call id ${c.upstream_call_id}`);
  if (c.error) meta.push(`error ${c.error} ${c.error_name || ""}`);
  if (c.text) meta.push(c.text);
  box.append(el("div", null, el("h3", null, "Call"), el("div", { class: "tree" }, meta.join(" · "))));
  return box;
}

// tree renders a JSON value as nested, expandable lines.
function tree(v) {
  const root = el("div", { class: "tree" });
  root.append(node(null, v, 0));
  return root;
}

function node(key, v, depth) {
  const label = key === null ? [] : [el("span", { class: "k" }, key), ": "];
  if (v !== null && typeof v === "object") {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    const d = el("details", depth < 2 ? { open: "" } : {},
      el("summary", null, ...label, Array.isArray(v) ? `[${entries.length}]` : `{${entries.length}}`));
    for (const [k, x] of entries) d.append(node(k, x, depth + 1));
    return d;
  }
  const cls = typeof v === "string" ? "s" : "n";
  return el("div", { class: "leaf" }, ...label, el("span", { class: cls }, typeof v === "string" ? JSON.stringify(v) : String(v)));
}

// renderTimeline draws the newest calls of one session as a sequence
// diagram: console ↔ nexproxy ↔ upstream, each answer with its latency.
function renderTimeline(calls) {
  const box = $("#timeline");
  let id = state.selected;
  if (id === "" && calls.length) id = calls[calls.length - 1].session;
  const s = state.sessions.get(id);
  $("#timeline-title").textContent = s ? `${s.id} · ${s.game || ""} · PID ${s.pid || "—"}` : "";
  const list = calls.filter((c) => c.session === id && c.type === "call").slice(-TIMELINE_CALLS);
  if (!s || list.length === 0) { box.replaceChildren(el("div", { class: "muted" }, "No calls yet.")); return; }
  const X = { console: 150, proxy: 420, upstream: 690 };
  const t0 = Date.parse(s.start) || Date.parse(list[0].time);
  const rowH = 22, top = 46, h = top + list.length * rowH + 10;
  const svg = el("svg:svg", { width: "820", height: String(h), viewBox: `0 0 820 ${h}`, role: "img", "aria-label": "timeline" });
  svg.append(el("svg:defs", null,
    el("svg:marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "6", markerHeight: "6", orient: "auto-start-reverse" },
      el("svg:path", { d: "M0,0 L10,5 L0,10 z", fill: "#555" }))));
  const lanes = [["console", "Console", s.console], ["proxy", "nexproxy", s.local], ["upstream", "Upstream", s.upstream || "(local)"]];
  for (const [k, name, addr] of lanes) {
    svg.append(el("svg:text", { x: String(X[k]), y: "14", "text-anchor": "middle", "font-weight": "bold" }, name));
    svg.append(el("svg:text", { x: String(X[k]), y: "28", "text-anchor": "middle" }, addr || ""));
    svg.append(el("svg:line", { class: "lane", x1: String(X[k]), x2: String(X[k]), y1: "34", y2: String(h) }));
  }
  const line = (x1, x2, y, cls) => svg.append(el("svg:line", { class: cls, x1: String(x1), x2: String(x2), y1: String(y), y2: String(y), "marker-end": "url(#arrow)" }));
  list.forEach((c, i) => {
    const y = top + i * rowH;
    const bad = failed(c) ? " fail" : "";
    const label = `${c.method || methodName(c)} · ${fmtMs(c.ms)}` + (failed(c) ? " · " + resultText(c) : "");
    // When the call arrived, from the session's start.
    svg.append(el("svg:text", { x: "4", y: String(y + 4), class: "muted" }, "+" + ((Date.parse(c.time) - t0) / 1000).toFixed(3) + " s"));
    if (c.dir === "s2c") {
      const from = c.handler === "console" && s.upstream ? X.upstream : X.proxy;
      line(from, X.console + 4, y, "req" + bad);
      svg.append(el("svg:text", { x: String(X.console + 10), y: String(y - 4) }, label));
      return;
    }
    line(X.console, X.proxy - 4, y, "req");
    if (c.handler === "upstream") {
      line(X.proxy, X.upstream - 4, y, "up" + bad);
      line(X.upstream, X.proxy + 4, y + 8, "resp" + bad);
      svg.append(el("svg:text", { x: String(X.proxy + 10), y: String(y - 4) }, label));
    } else {
      svg.append(el("svg:text", { x: String(X.proxy + 10), y: String(y + 4) }, `${label} · ${c.handler || "?"}`));
    }
    line(X.proxy, X.console + 4, y + 8, "resp" + bad);
  });
  box.replaceChildren(svg);
}

// renderHistograms draws, per method, how many calls took how long.
function renderHistograms(calls) {
  const by = new Map();
  for (const c of calls) {
    if (c.type !== "call") continue;
    const k = methodName(c);
    if (!by.has(k)) by.set(k, []);
    by.get(k).push(c.ms);
  }
  const methods = [...by.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, HIST_METHODS);
  const figs = [];
  for (const [name, ms] of methods) {
    const counts = BUCKETS.map(() => 0);
    for (const v of ms) counts[BUCKETS.findIndex((b) => v <= b)]++;
    const max = Math.max(...counts), w = 46, hgt = 60, top = 14;
    const svg = el("svg:svg", { width: String(BUCKETS.length * w + 10), height: String(top + hgt + 18), role: "img", "aria-label": name });
    counts.forEach((n, i) => {
      const bh = max ? Math.max(n ? 1 : 0, Math.round((n / max) * hgt)) : 0;
      const x = 5 + i * w, mid = String(x + (w - 4) / 2);
      svg.append(el("svg:rect", { class: "bar", x: String(x), y: String(top + hgt - bh), width: String(w - 4), height: String(bh) }, el("svg:title", null, `${n} calls`)));
      svg.append(el("svg:text", { x: mid, y: String(top + hgt + 13), "text-anchor": "middle", "font-size": "9" }, BUCKET_LABELS[i]));
      if (n) svg.append(el("svg:text", { x: mid, y: String(top + hgt - bh - 3), "text-anchor": "middle", "font-size": "9" }, String(n)));
    });
    const sorted = [...ms].sort((a, b) => a - b);
    const p50 = sorted[Math.floor(sorted.length / 2)];
    figs.push(el("figure", { "data-method": name }, svg,
      el("figcaption", null, `${name} · ${ms.length} calls · p50 ${fmtMs(p50)} · max ${fmtMs(sorted[sorted.length - 1])}`)));
  }
  $("#histograms").replaceChildren(...(figs.length ? figs : [el("div", { class: "muted" }, "No calls yet.")]));
}

function loadLogList() {
  fetch("api/logs").then((r) => r.json()).then((d) => {
    const sel = $("#source");
    for (const f of d.logs) sel.append(el("option", { value: f.name }, f.name));
  }).catch(() => {});
}

function init() {
  const params = new URLSearchParams(location.search);
  for (const input of $("#filters").querySelectorAll("input")) input.value = params.get(input.name) || "";
  let timer = 0;
  $("#filters").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  $("#filters").addEventListener("reset", () => setTimeout(load, 0));
  $("#source").addEventListener("change", (ev) => { state.file = null; state.source = ev.target.value; state.selected = ""; load(); });
  $("#upload").addEventListener("change", (ev) => {
    if (!ev.target.files.length) return;
    state.file = ev.target.files[0];
    state.selected = "";
    load();
  });
  loadLogList();
  load();
}

init();
