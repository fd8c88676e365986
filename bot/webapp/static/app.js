// The Mini App's page: plain script, no build step. Every request carries Telegram's
// initData; the server checks it and answers only about this chat (bot/webapp/server.py).
"use strict";
(function () {
  const tg = window.Telegram && window.Telegram.WebApp;
  const initData = tg ? tg.initData : "";
  const QUADRANT_COLOURS = { Leading: "#2a9d4b", Weakening: "#e0a800", Lagging: "#d33", Improving: "#2481cc" };
  let words = {};
  let session = null;
  let rotation = null;
  let chart = null;
  const hidden = new Set();
  const $ = (id) => document.getElementById(id);
  const say = (key, values) => {
    let text = words[key] || key;
    for (const [k, v] of Object.entries(values || {})) text = text.replace("{" + k + "}", String(v));
    return text;
  };

  async function api(path, body) {
    const chat = session ? "chat=" + encodeURIComponent(session.chat.id) : "";
    const url = "/api/" + path + (chat ? (path.includes("?") ? "&" : "?") + chat : "");
    const options = { headers: { Authorization: "tma " + initData } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const answer = await fetch(url, options);
    const data = await answer.json();
    if (answer.status === 401) {
      const refused = $("refused");
      // before a session there are no translations: the server's reason, in English
      const line = words.refused ? say("refused", { reason: data.error }) : "The bot refused this page: " + data.error;
      refused.textContent = line;
      refused.hidden = false;
      document.body.dataset.refused = data.error;
    }
    if (!answer.ok) throw new Error(data.error || String(answer.status));
    return data;
  }

  function theme() {
    const style = getComputedStyle(document.body);
    return { text: style.color, hint: style.getPropertyValue("--hint").trim() || "#888" };
  }

  // --- rotation ------------------------------------------------------------------------
  function quadrant(name, rgb, from, to, position) {
    return [{ coord: from, itemStyle: { color: `rgba(${rgb},0.08)` },
      label: { show: true, position, formatter: say(name), color: `rgb(${rgb})`, fontSize: 11 } }, { coord: to }];
  }
  function drawRotation() {
    if (!rotation || !window.echarts) return;
    const week = Number($("week").value);
    const tail = Number($("tail").value);
    const colours = theme();
    const series = [];
    let lo = 100, hi = 100, mlo = 100, mhi = 100;
    for (const [sector, rows] of Object.entries(rotation.sectors)) {
      if (hidden.has(sector)) continue;
      const until = rows.filter((r) => r[0] <= rotation.weeks[week]);
      const path = until.slice(-tail);
      if (!path.length) continue;
      for (const r of path) { lo = Math.min(lo, r[1]); hi = Math.max(hi, r[1]); mlo = Math.min(mlo, r[2]); mhi = Math.max(mhi, r[2]); }
      const last = path[path.length - 1];
      series.push({
        name: sector, type: "line", smooth: 0.3, symbolSize: (v, p) => (p.dataIndex === path.length - 1 ? 10 : 4),
        lineStyle: { color: QUADRANT_COLOURS[last[3]], width: 2 }, itemStyle: { color: QUADRANT_COLOURS[last[3]] },
        label: { show: true, formatter: (p) => (p.dataIndex === path.length - 1 ? sector : ""), position: "right", color: colours.text },
        data: path.map((r) => ({ value: [r[1], r[2]], row: r })),
      });
    }
    const pad = (a, b) => Math.max(Math.abs(a - 100), Math.abs(b - 100)) * 1.1 + 0.5;
    const rx = pad(lo, hi), ry = pad(mlo, mhi);
    series.push({
      type: "line", data: [], silent: true,
      markArea: { silent: true, data: [
        quadrant("Leading", "42,157,75", [100, 100], [100 + rx, 100 + ry], "insideTopRight"),
        quadrant("Weakening", "224,168,0", [100, 100 - ry], [100 + rx, 100], "insideBottomRight"),
        quadrant("Lagging", "221,51,51", [100 - rx, 100 - ry], [100, 100], "insideBottomLeft"),
        quadrant("Improving", "36,129,204", [100 - rx, 100], [100, 100 + ry], "insideTopLeft"),
      ] },
    });
    const axis = (name, min, max) => ({
      type: "value", name, min: +min.toFixed(2), max: +max.toFixed(2), nameLocation: "middle", nameGap: 24,
      nameTextStyle: { color: colours.hint },
      splitLine: { show: false }, axisLine: { onZero: false },
      axisLabel: { color: colours.hint, formatter: (v) => v.toFixed(1), showMinLabel: false, showMaxLabel: false },
    });
    chart.setOption({
      animation: false, grid: { left: 44, right: 36, top: 16, bottom: 40 },
      xAxis: axis(say("rs_ratio"), 100 - rx, 100 + rx), yAxis: axis(say("rs_momentum"), 100 - ry, 100 + ry),
      series,
    }, { notMerge: true });
    $("week-label").textContent = rotation.weeks[week] || "";
  }

  async function showRotation() {
    rotation = await api("rotation");
    if (rotation.synthetic) { $("synthetic").textContent = "⚠ " + say("synthetic"); $("synthetic").hidden = false; }
    const week = $("week");
    week.max = String(rotation.weeks.length - 1);
    week.value = week.max;
    const chips = $("sector-toggles");
    chips.textContent = "";
    for (const sector of Object.keys(rotation.sectors)) {
      const chip = document.createElement("button");
      chip.textContent = sector;
      chip.className = "on";
      chip.addEventListener("click", () => {
        if (hidden.has(sector)) hidden.delete(sector); else hidden.add(sector);
        chip.className = hidden.has(sector) ? "" : "on";
        drawRotation();
      });
      chips.appendChild(chip);
    }
    chart = window.echarts.init($("rrg"), null, { renderer: "canvas" });
    chart.on("click", (p) => {
      if (!p.data || !p.data.row) return;
      const [date, ratio, momentum, quadrant] = p.data.row;
      $("point-info").textContent = `${p.seriesName} ${date}: ${say("rs_ratio")} ${ratio.toFixed(2)}, ` +
        `${say("rs_momentum")} ${momentum.toFixed(2)} — ${say(quadrant)}`;
      const open = $("point-chart");
      open.textContent = "📈 " + say("open_chart", { subject: p.seriesName + "/SPY" });
      open.dataset.subject = p.seriesName + "/SPY";
      open.hidden = false;
    });
    chart.on("finished", () => { document.body.dataset.drawn = "rotation"; });
    week.addEventListener("input", drawRotation);
    $("tail").addEventListener("change", drawRotation);
    window.addEventListener("resize", () => chart && chart.resize());
    drawRotation();
  }

  // --- a rule, tried live ------------------------------------------------------------------
  let typing = null;
  function ruleTyped() {
    clearTimeout(typing);
    typing = setTimeout(async () => {
      const text = $("rule-text").value;
      const answer = $("rule-answer");
      if (!text.trim()) { answer.textContent = ""; $("rule-add").disabled = true; return; }
      const got = await api("rule?text=" + encodeURIComponent(text));
      if (text !== $("rule-text").value) return;  // typed on meanwhile
      answer.className = "info " + (got.ok ? "ok" : "bad");
      answer.textContent = got.ok ? say("valid", { kind: got.kind, subject: got.subject }) : got.error;
      $("rule-add").disabled = !got.ok || !session.can_manage;
      document.body.dataset.rule = got.ok ? "ok" : "refused";
      if (got.ok) showFirings(text); else { $("rule-chart").hidden = true; $("rule-fired").textContent = ""; $("rule-firings").textContent = ""; }
    }, 250);
  }

  async function addRule() {
    try {
      const got = await api("rule", { text: $("rule-text").value });
      $("rule-answer").textContent = say("added", { n: got.number });
      document.body.dataset.added = String(got.number);
      renderAlerts(got);
    } catch (e) {
      $("rule-answer").className = "info bad";
      $("rule-answer").textContent = e.message;
    }
  }

  async function showFirings(text) {
    let got;
    try { got = await api("firings?text=" + encodeURIComponent(text)); } catch (e) { return; }
    if (text !== $("rule-text").value) return;
    const box = $("rule-chart");
    box.hidden = false;
    const marks = got.firings.map((f) => ({ value: [f.date, valueAt(got, f.date)], firing: f }));
    drawLine("rule", box, got, marks);
    const change = (x) => (x === null || x === undefined ? "–" : got.level ? (x >= 0 ? "+" : "") + x.toFixed(2) : pct(x));
    $("rule-fired").textContent = say("fired", { n: got.firings.length });
    const ul = $("rule-firings");
    ul.textContent = "";
    for (const f of got.firings.slice(-12).reverse()) {
      const li = document.createElement("li");
      li.textContent = `${f.date} ${f.variant}: ` + say("after", { m: change(f["1m"]), q: change(f["3m"]) });
      ul.appendChild(li);
    }
    document.body.dataset.firings = String(got.firings.length);
  }

  // --- ratios and prices -------------------------------------------------------------------
  const charts = {};
  function valueAt(data, date) {
    let lo = 0, hi = data.dates.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (data.dates[mid] < date) lo = mid + 1; else hi = mid; }
    return data.values[lo];
  }
  function drawLine(name, box, data, marks) {
    const colours = theme();
    const chart = charts[name] || (charts[name] = window.echarts.init(box, null, { renderer: "canvas" }));
    chart.off("finished");
    chart.on("finished", () => { document.body.dataset["drawn" + name] = data.subject; });
    const line = (label, values, colour, width) => ({
      name: label, type: "line", showSymbol: false, sampling: "lttb", lineStyle: { width, color: colour },
      itemStyle: { color: colour }, data: data.dates.map((d, i) => [d, values[i]]),
    });
    chart.setOption({
      animation: false, grid: { left: 48, right: 12, top: 28, bottom: 64 },
      legend: { top: 0, textStyle: { color: colours.text } },
      xAxis: { type: "time", axisLabel: { color: colours.hint } },
      yAxis: { type: "value", scale: true, axisLabel: { color: colours.hint }, splitLine: { lineStyle: { opacity: 0.2 } } },
      dataZoom: [{ type: "inside", start: 80, end: 100 }, { type: "slider", start: 80, end: 100, bottom: 8, height: 24 }],
      series: [
        line(data.subject, data.values, colours.text, 1.4),
        line("50d", data.ma50, "#2481cc", 1),
        line("200d", data.ma200, "#e0a800", 1),
        { name: say("marks"), type: "scatter", symbolSize: 9, itemStyle: { color: "#d33" }, data: marks, z: 5 },
      ],
    }, { notMerge: true });
    return chart;
  }

  async function showSeries(subject) {
    $("series-subject").value = subject;
    const answer = $("series-answer");
    let data;
    try { data = await api("series?subject=" + encodeURIComponent(subject)); } catch (e) {
      answer.className = "info bad"; answer.textContent = e.message; return;
    }
    answer.className = "info"; answer.textContent = "";
    const marks = data.events.map((e) => ({ value: [e.date, valueAt(data, e.date)], event: e }));
    const chart = drawLine("series", $("series-chart"), data, marks);
    chart.off("click");
    chart.on("click", (p) => { if (p.data && p.data.event) answer.textContent = `${p.data.event.date}: ${p.data.event.text}`; });
    const ul = $("series-events");
    ul.textContent = "";
    for (const e of data.events.slice(-10).reverse()) { const li = document.createElement("li"); li.textContent = `${e.date}: ${e.text}`; ul.appendChild(li); }
    if (!data.events.length) { const li = document.createElement("li"); li.textContent = say("none"); ul.appendChild(li); }
  }

  // --- this chat's alerts ----------------------------------------------------------------
  function renderAlerts(data) {
    const box = $("topics");
    box.textContent = "";
    $("read-only").textContent = say("read_only");
    $("read-only").hidden = session.can_manage;
    for (const t of data.topics) {
      const row = document.createElement("div");
      row.className = "topic";
      row.dataset.topic = t.topic;
      const name = document.createElement("span");
      name.textContent = t.title;
      const modes = document.createElement("span");
      modes.className = "modes";
      for (const mode of ["on", "silent", "off"]) {
        const b = document.createElement("button");
        b.textContent = say(mode);
        b.dataset.mode = mode;
        b.className = t.mode === mode ? "on" : "";
        b.disabled = !session.can_manage;
        b.addEventListener("click", () => change(t.topic, mode, null));
        modes.appendChild(b);
      }
      const cooldown = document.createElement("input");
      cooldown.type = "number"; cooldown.min = "0"; cooldown.max = String(data.max_cooldown);
      cooldown.value = String(t.cooldown); cooldown.title = say("cooldown");
      cooldown.disabled = !session.can_manage || t.mode === "off";
      cooldown.addEventListener("change", () => change(t.topic, t.mode, Number(cooldown.value)));
      modes.appendChild(cooldown);
      row.append(name, modes);
      box.appendChild(row);
    }
    const list = (id, items, text) => {
      const ul = $(id);
      ul.textContent = "";
      for (const item of items) { const li = document.createElement("li"); li.textContent = text(item); ul.appendChild(li); }
      if (!items.length) { const li = document.createElement("li"); li.textContent = say("none"); ul.appendChild(li); }
    };
    list("rules", data.rules, (r) => `${r.number}. ${r.text}`);
    $("rules").querySelectorAll("li").forEach((li, i) => {
      const rule = data.rules[i];
      if (!rule) return;
      li.dataset.number = String(rule.number);
      const drop = document.createElement("button");
      drop.textContent = "×";  // in every font (an emoji may have none on a desktop)
      drop.className = "delete";
      drop.title = "/delete " + rule.number;
      drop.disabled = !session.can_manage;
      drop.addEventListener("click", () => deleteRule(rule.number));
      li.appendChild(drop);
    });
    const set = data.settings;
    const lang = $("set-lang");
    if (!lang.options.length) {
      for (const [code, name] of Object.entries(data.languages)) lang.appendChild(new Option(name, code));
    }
    lang.value = set ? set.lang : session.lang;
    $("set-instant").className = set && set.digest ? "" : "on";
    $("set-digest").className = set && set.digest ? "on" : "";
    for (const id of ["set-instant", "set-digest", "set-lang", "set-tz", "set-quiet", "set-keep", "set-mute"]) $(id).disabled = !session.can_manage;
    const label = (key) => say(key, { zone: "", quiet: "", kept: "", muted: "" }).replace(/[:\s]+$/, "");
    $("label-tz").textContent = label("tz_line");
    $("label-quiet").textContent = label("quiet_line");
    $("label-keep").textContent = label("keep_line");
    $("label-mute").textContent = label("mute_line");
    if (set) {
      $("set-tz").value = set.tz;
      $("set-quiet").value = set.quiet_start ? `${set.quiet_start}-${set.quiet_end}` : say("off");
      $("set-keep").value = set.keep_days ? String(set.keep_days) : say("all");
      // muted: until when (UTC date); typing a number of days mutes anew, "off" resumes
      $("set-mute").value = set.muted_until ? set.muted_until.slice(0, 10) : say("off");
    }
    $("settings").textContent = set ? `/settings: ${set.tz}` + (set.quiet_start ? `, ${set.quiet_start}–${set.quiet_end}` : "") +
      (set.digest ? ", digest" : "") + `, ${set.lang}` + (set.keep_days ? `, ${set.keep_days}d` : "") : "";
    const plain = (html) => new DOMParser().parseFromString(html, "text/html").body.textContent;
    list("history", data.history, (m) => `${m.session || ""} ${plain(m.html)}`);
    document.body.dataset.alerts = "shown";
  }

  async function changeSettings(body) {
    try {
      const data = await api("settings", body);
      if (body.lang) { await loadSession(); }
      renderAlerts(data);
      document.body.dataset.settings = `${data.settings.lang}:${data.settings.digest}`;
    } catch (e) {
      $("read-only").textContent = e.message;
      $("read-only").hidden = false;
    }
  }

  // a setting as /settings WHAT VALUE: the server reads it with the command's own parser
  async function changeSetting(setting, value) {
    const answer = $("settings-answer");
    try {
      const data = await api("setting", { setting, value });
      answer.className = "info"; answer.textContent = "";
      renderAlerts(data);
      document.body.dataset.setting = `${setting}:${value}`;
    } catch (e) {
      answer.className = "info bad"; answer.textContent = e.message;
      document.body.dataset.setting = "refused";
    }
  }

  async function deleteRule(number) {
    try {
      const data = await api("delete", { number });
      renderAlerts(data);
      document.body.dataset.deleted = data.deleted;
    } catch (e) {
      $("read-only").textContent = e.message;
      $("read-only").hidden = false;
    }
  }

  async function change(topic, mode, cooldown) {
    try {
      renderAlerts(await api("subscription", { topic, mode, cooldown }));
    } catch (e) {
      $("read-only").textContent = e.message;
      $("read-only").hidden = false;
    }
  }

  // --- the dashboard ---------------------------------------------------------------------
  function pct(x) { return x === null || x === undefined ? "–" : (x >= 0 ? "+" : "") + (100 * x).toFixed(1) + "%"; }
  function renderDashboard(data) {
    const board = data.board;
    const fill = (id, rows) => {
      const table = $(id);
      table.textContent = "";
      for (const cells of rows) {
        const tr = document.createElement("tr");
        cells.forEach((c, i) => { const td = document.createElement("td"); td.textContent = c; if (i) td.className = "num"; tr.appendChild(td); });
        table.appendChild(tr);
      }
    };
    fill("gauges", board.gauges.map((g) => [g.label, g.value.toFixed(3),
      g.ma50 ? pct(g.value / g.ma50 - 1) + " 50d" : "–", g.ma200 ? pct(g.value / g.ma200 - 1) + " 200d" : "–"]));
    fill("sectors", board.sectors.map((s) => [`${s.ticker} ${s.name}`, pct(s.relative_3m), s.quadrant ? say(s.quadrant) : "–"]));
    const r = board.record;
    $("record").textContent = r ? `${r.ticker} ${r.close.toFixed(1)} (${pct(r.from_record)} vs ${r.record_date})` : "";
    document.body.dataset.dashboard = board.date || "";
  }

  // --- tabs and start ----------------------------------------------------------------------
  const loaded = {};
  async function show(view) {
    for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.view === view);
    for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== "view-" + view;
    document.body.dataset.view = view;
    if (view === "rotation" && chart) chart.resize();
    if (view === "series") { if (!loaded.series) { loaded.series = true; await showSeries($("series-subject").value); } else if (charts.series) charts.series.resize(); }
    if (view === "rule" && charts.rule) charts.rule.resize();
    if (view === "alerts") renderAlerts(await api("alerts"));
    if (view === "dashboard" && !loaded.dashboard) { loaded.dashboard = true; renderDashboard(await api("dashboard")); }
  }

  function applySession(got) {
    session = got;
    words = got.strings;
    document.documentElement.lang = got.lang;
    for (const el of document.querySelectorAll("[data-word]")) el.textContent = say(el.dataset.word);
    $("rule-text").placeholder = say("type_rule");
    $("series-subject").placeholder = say("subject");
  }

  async function loadSession() {
    const chat = session.chat.id;
    session = null;  // ask as at the start, for the same chat
    const got = await api("session?chat=" + encodeURIComponent(chat));
    applySession(got);
    if (rotation) drawRotation();
  }

  async function start() {
    if (tg) { tg.ready(); tg.expand(); }
    document.body.dataset.loading = "yes";
    let first;
    try {
      first = await api("session");
    } catch (e) {
      document.body.dataset.loading = "";
      return;
    }
    applySession(first);
    $("set-instant").addEventListener("click", () => changeSettings({ digest: false }));
    $("set-digest").addEventListener("click", () => changeSettings({ digest: true }));
    $("set-lang").addEventListener("change", () => changeSettings({ lang: $("set-lang").value }));
    for (const what of ["tz", "quiet", "keep", "mute"]) {
      $("set-" + what).addEventListener("change", () => changeSetting(what, $("set-" + what).value));
    }
    $("settings-form").addEventListener("submit", (e) => e.preventDefault());
    $("series-form").addEventListener("submit", (e) => { e.preventDefault(); loaded.series = true; show("series"); showSeries($("series-subject").value); });
    for (const subject of ["IWM/SPY", "IWD/IWF", "RSP/SPY", "^RUT", "^TNX", "XLE"]) {
      const chip = document.createElement("button");
      chip.textContent = subject;
      chip.addEventListener("click", () => showSeries(subject));
      $("series-common").appendChild(chip);
    }
    $("point-chart").addEventListener("click", () => { loaded.series = true; show("series"); showSeries($("point-chart").dataset.subject); });
    $("rule-text").addEventListener("input", ruleTyped);
    $("rule-add").addEventListener("click", addRule);
    for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => show(b.dataset.view));
    document.body.dataset.loading = "";
    await showRotation();
  }

  window.addEventListener("DOMContentLoaded", () => { start(); });
})();
