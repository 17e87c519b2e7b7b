/// The dashboard served at `GET /`: one HTML document with inline CSS and JavaScript that loads
/// nothing from elsewhere. It polls `GET /vms` and `GET /health` every 2 s, fills its power chart
/// from `GET /history` once, shows the host (`GET /host`: its load, the model's prediction and, with
/// a meter, the measured power and the model's drift), and asks for a bearer token when the API
/// answers 401. Its ledger table shows each VM's energy over the last 24 h or the last 30 days
/// (`GET /report`, every 60 s and when the period is switched).
///
/// Hooks for tests: `<table id="vms">` with one `<tr data-vm="NAME">` per VM whose cells carry
/// `data-field` (the `/vms` key they show), and `<svg id="power-chart">` with one
/// `<path data-vm="NAME">` per VM; `<p id="host">` and `<svg id="host-chart">` with
/// `<path data-series="measured|model">`; `<table id="ledger">` with one `<tr data-vm="NAME">` per
/// VM of the report, and the period buttons `<button data-period="24h">` and `data-period="30d"`.
/// Data only ever reaches the DOM through `textContent` and
/// `setAttribute`, never as markup.
enum DashboardPage {
    /// The page, its one script element carrying `nonce` (the only script the CSP lets run).
    static func html(nonce: String) -> String {
        head + #"<script nonce="\#(nonce)">"# + script + "</script>\n"
    }

    /// The `Content-Security-Policy` for the page: only its own nonce'd script and inline styles
    /// run, `fetch` reaches only this agent, and nothing else loads, frames it or is submitted.
    static func contentSecurityPolicy(nonce: String) -> String {
        "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'unsafe-inline'; connect-src 'self'; "
            + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    /// The document up to its script: the styles, the header, the empty table and chart.
    static let head = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Cinergy</title>
        <link rel="icon" href="data:,">
        <style>
          :root { --fg: #1f2328; --muted: #656d76; --line: #d8dee4; --bg: #f6f8fa; --bad: #b42318; }
          * { box-sizing: border-box; }
          body { margin: 0; padding: 20px 28px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
                 color: var(--fg); background: #fff; }
          header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; margin-bottom: 12px; }
          h1 { font-size: 20px; margin: 0; letter-spacing: .02em; }
          h2 { font-size: 13px; margin: 20px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
          #status { color: var(--muted); }
          .ok { color: #1a7f37; } .off { color: var(--bad); }
          #error { margin: 8px 0; padding: 8px 12px; border: 1px solid #f5c2c0; background: #fef3f2; color: var(--bad);
                   border-radius: 6px; }
          #auth { margin: 8px 0; padding: 10px 12px; border: 1px solid var(--line); background: var(--bg); border-radius: 6px; }
          #auth input { font: inherit; padding: 3px 6px; width: 22em; margin: 0 6px; }
          #auth button { font: inherit; padding: 3px 12px; }
          [hidden] { display: none !important; }
          table { border-collapse: collapse; width: 100%; }
          th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
          th { font-weight: 600; color: var(--muted); font-size: 12px; background: var(--bg); }
          td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
          td[data-field="name"] { white-space: normal; word-break: break-word; }
          td[data-field="uuid"] { font: 12px ui-monospace, "Liberation Mono", monospace; color: var(--muted); }
          .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 8px; }
          #empty { color: var(--muted); padding: 10px; }
          .chart-box { border: 1px solid var(--line); border-radius: 6px; padding: 8px 8px 4px; }
          svg.chart { display: block; width: 100%; height: auto; }
          svg.chart text { font-size: 11px; fill: var(--muted); }
          svg.chart .grid { stroke: #eaeef2; }
          svg.chart .axis { stroke: #afb8c1; }
          svg.chart path { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
          svg.chart .none { font-size: 14px; }
          body.stale #vms, body.stale .chart-box, body.stale #host { opacity: .45; }
          .legend { list-style: none; margin: 6px 0 0; padding: 0 8px; display: flex; flex-wrap: wrap; gap: 4px 18px; }
          #host .drifting { color: var(--bad); font-weight: 600; }
          #periods button { font: inherit; font-size: 12px; padding: 2px 10px; margin-right: 4px; border: 1px solid var(--line);
                            background: #fff; border-radius: 4px; cursor: pointer; }
          #periods button[aria-pressed="true"] { background: var(--fg); color: #fff; border-color: var(--fg); }
          #ledger-note { color: var(--muted); padding: 6px 10px; }
        </style>
        </head>
        <body>
        <header>
          <h1>Cinergy</h1>
          <span id="status">connecting…</span>
        </header>
        <p id="error" role="alert" hidden>Agent unreachable; retrying every 2 s.</p>
        <form id="auth" hidden>
          <label>This agent needs an API token: <input id="token" type="password" autocomplete="off"
            placeholder="Bearer token"></label><button type="submit">Use token</button>
          <span id="auth-note" class="off"></span>
        </form>
        <h2>Virtual machines</h2>
        <table id="vms">
          <thead><tr>
            <th>Name</th><th>UUID</th><th>Source</th><th>State</th><th class="num">vCPUs</th>
            <th class="num" title="percent of one host core">CPU</th><th class="num">Power</th>
            <th class="num">Energy</th><th class="num">Carbon</th>
          </tr></thead>
          <tbody></tbody>
        </table>
        <p id="empty" hidden>No VMs found yet.</p>
        <h2>Power per VM (W), last 10 minutes</h2>
        <div id="chart-box" class="chart-box">
          <svg id="power-chart" class="chart" viewBox="0 0 1200 300" role="img" aria-label="Power per VM over time"></svg>
          <ul id="legend" class="legend"></ul>
        </div>
        <h2>Host: measured and predicted power (W), last 10 minutes</h2>
        <p id="host">–</p>
        <div id="host-box" class="chart-box">
          <svg id="host-chart" class="chart" viewBox="0 0 1200 240" role="img" aria-label="The host's measured and predicted power over time"></svg>
          <ul id="host-legend" class="legend"></ul>
        </div>
        <h2>Energy and carbon per VM, from the ledger</h2>
        <p id="periods"><button type="button" data-period="24h" aria-pressed="true">last 24 h</button><button type="button"
          data-period="30d" aria-pressed="false">last 30 days</button></p>
        <table id="ledger">
          <thead><tr>
            <th>Name</th><th>UUID</th><th>Project</th><th class="num">Energy</th><th class="num">Carbon</th>
            <th class="num">Hours running</th><th class="num">Mean power</th>
          </tr></thead>
          <tbody></tbody>
        </table>
        <p id="ledger-note" hidden></p>

        """#

    /// The script: polling, rendering the table and the chart, the token form.
    static let script = #"""

        "use strict";
        const POLL_MS = 2000, KEEP_MS = 10 * 60 * 1000, MIN_SPAN_MS = 60 * 1000;
        const COLORS = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#1b7c83", "#bf3989", "#6e7781", "#9a6700", "#0550ae"];
        const SVG_NS = "http://www.w3.org/2000/svg";
        const $ = (id) => document.getElementById(id);
        const series = new Map();   // key -> {name, color, points: [{t, w}]}, points oldest first
        const rows = new Map();     // key -> <tr>
        const hostSeries = new Map([
          ["measured", { name: "measured (meter)", color: "#1a7f37", points: [] }],
          ["model", { name: "model f(host load)", color: "#8250df", points: [] }],
        ]);
        let historyLoaded = false;

        const keyOf = (vm) => vm.uuid || "name:" + vm.name;
        const dash = "\u2013";
        const fixed = (v, digits, unit) => (typeof v === "number" ? v.toFixed(digits) + unit : dash);
        const decimals = (v) => (v < 1 ? 3 : v < 10 ? 2 : 1);
        function energy(joules) {
          if (typeof joules !== "number") return dash;
          const wh = joules / 3600;
          return wh >= 1000 ? (wh / 1000).toFixed(2) + " kWh" : wh.toFixed(decimals(wh)) + " Wh";
        }
        const grams = (g) => (typeof g === "number" ? g.toFixed(decimals(g)) + " g" : dash);
        const pad = (n) => String(n).padStart(2, "0");
        const clock = (t) => { const d = new Date(t); return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); };

        class HTTPStatus extends Error { constructor(status) { super("HTTP " + status); this.status = status; } }

        // GETs an API path with the stored token; throws HTTPStatus on a non-2xx answer.
        async function api(path) {
          const headers = {};
          const token = sessionStorage.getItem("cinergy-token");
          if (token) headers.Authorization = "Bearer " + token;
          const response = await fetch(path, { headers, cache: "no-store", signal: AbortSignal.timeout(5000) });
          if (!response.ok) throw new HTTPStatus(response.status);
          return response.json();
        }

        function seriesFor(key, name) {
          let s = series.get(key);
          if (!s) {
            s = { name, color: COLORS[series.size % COLORS.length], points: [] };
            series.set(key, s);
          }
          s.name = name;
          return s;
        }

        // Appends a sample unless one at that time (or later) is already there.
        function addPoint(s, sampledAt, watts) {
          const t = Date.parse(sampledAt);
          if (!Number.isFinite(t) || typeof watts !== "number") return;
          const last = s.points[s.points.length - 1];
          if (!last || t > last.t) s.points.push({ t, w: watts });
        }

        function cell(row, field, text, numeric) {
          let td = row.querySelector('[data-field="' + field + '"]');
          if (!td) {
            td = document.createElement("td");
            td.dataset.field = field;
            if (numeric) td.className = "num";
            row.appendChild(td);
          }
          if (text !== null && td.textContent !== text) td.textContent = text;
          return td;
        }

        function renderTable(vms) {
          const body = $("vms").tBodies[0];
          const seen = new Set();
          for (const vm of vms) {
            const key = keyOf(vm);
            seen.add(key);
            let row = rows.get(key);
            if (!row) { row = document.createElement("tr"); rows.set(key, row); }
            row.dataset.vm = vm.name;
            const nameCell = cell(row, "name", null, false);
            const swatch = document.createElement("span");
            swatch.className = "swatch";
            swatch.style.background = seriesFor(key, vm.name).color;
            nameCell.replaceChildren(swatch, document.createTextNode(vm.name));
            cell(row, "uuid", vm.uuid || dash);
            cell(row, "source", vm.source || dash);
            cell(row, "state", vm.state || dash);
            cell(row, "vcpus", typeof vm.vcpus === "number" ? String(vm.vcpus) : dash, true);
            cell(row, "cpu_usage", fixed(vm.cpu_usage, 1, " %"), true);
            cell(row, "total_power_watts", fixed(vm.total_power_watts, 1, " W"), true);
            cell(row, "energy_joules", energy(vm.energy_joules), true);
            cell(row, "carbon_grams", grams(vm.carbon_grams), true);
            body.appendChild(row);   // appends new rows, moves existing ones into /vms order
          }
          for (const [key, row] of rows) if (!seen.has(key)) { row.remove(); rows.delete(key); }
          $("empty").hidden = vms.length > 0;
        }

        function svg(tag, attributes, parent) {
          const element = document.createElementNS(SVG_NS, tag);
          for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
          parent.appendChild(element);
          return element;
        }

        // A round step that cuts `range` into about `count` intervals.
        function niceStep(range, count) {
          const raw = range / count, magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
          for (const m of [1, 2, 2.5, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
          return 10 * magnitude;
        }

        // Draws `map`'s series into `chart` and `legend`; a series left without points is dropped
        // unless `keep(key)` says otherwise.
        function renderChart(chart, legend, map, keep, H, pathAttribute) {
          const W = 1200, left = 56, right = 36, top = 12, bottom = 28;
          const series = map;
          let latest = 0;
          for (const s of series.values()) if (s.points.length) latest = Math.max(latest, s.points[s.points.length - 1].t);
          for (const [key, s] of series) {
            s.points = s.points.filter((p) => p.t >= latest - KEEP_MS);
            if (!s.points.length && !keep(key)) series.delete(key);
          }
          let earliest = latest, maxW = 0;
          for (const s of series.values()) for (const p of s.points) { earliest = Math.min(earliest, p.t); maxW = Math.max(maxW, p.w); }
          const span = Math.max(MIN_SPAN_MS, latest - earliest), start = latest - span;
          const yStep = niceStep(Math.max(maxW, 1), 4), yMax = Math.ceil(Math.max(maxW, 1) / yStep) * yStep;
          const x = (t) => left + ((t - start) / span) * (W - left - right);
          const y = (w) => H - bottom - (w / yMax) * (H - top - bottom);

          chart.replaceChildren();
          for (let w = 0; w <= yMax + 1e-9; w += yStep) {
            svg("line", { class: "grid", x1: left, x2: W - right, y1: y(w), y2: y(w) }, chart);
            svg("text", { x: left - 8, y: y(w) + 4, "text-anchor": "end" }, chart).textContent = String(+w.toFixed(2));
          }
          if (latest) {
            const xStep = [5, 10, 15, 30, 60, 120, 300].map((s) => s * 1000).find((s) => span / s <= 8) || 600000;
            for (let t = Math.ceil(start / xStep) * xStep; t <= latest; t += xStep) {
              svg("line", { class: "axis", x1: x(t), x2: x(t), y1: H - bottom, y2: H - bottom + 4 }, chart);
              svg("text", { x: x(t), y: H - 8, "text-anchor": "middle" }, chart).textContent = clock(t);
            }
          }
          svg("line", { class: "axis", x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }, chart);
          if (!latest) svg("text", { class: "none", x: W / 2, y: H / 2, "text-anchor": "middle" }, chart).textContent = "No samples yet";

          legend.replaceChildren();
          for (const [key, s] of series) {
            const d = s.points.map((p, i) => (i ? "L" : "M") + x(p.t).toFixed(1) + " " + y(p.w).toFixed(1)).join(" ");
            const path = svg("path", { d, stroke: s.color }, chart);
            path.setAttribute(pathAttribute, pathAttribute === "data-vm" ? s.name : key);
            svg("title", {}, path).textContent = s.name;
            const last = s.points[s.points.length - 1];
            if (last) svg("circle", { cx: x(last.t), cy: y(last.w), r: 3, fill: s.color }, chart);
            const item = document.createElement("li"), swatch = document.createElement("span");
            swatch.className = "swatch";
            swatch.style.background = s.color;
            item.append(swatch, s.name + (last ? " \u00b7 " + last.w.toFixed(1) + " W" : ""));
            legend.appendChild(item);
          }
        }

        const renderVMChart = () => renderChart($("power-chart"), $("legend"), series, (key) => rows.has(key), 300, "data-vm");
        const renderHostChart = () => renderChart($("host-chart"), $("host-legend"), hostSeries, () => true, 240, "data-series");

        function renderHost(host) {
          const parts = ["CPU " + fixed(host.host_cpu_usage, 1, " %"), "model " + fixed(host.model_power_watts, 1, " W"),
            "VMs' isolated power " + fixed(host.vms_isolated_power_watts, 1, " W")];
          const meter = host.meter;
          const nodes = [];
          if (meter) {
            if (meter.available) {
              parts.push("measured " + fixed(meter.power_watts, 1, " W") + " (" + meter.kind + ": " + meter.measures + ")");
              parts.push("error " + fixed(meter.model_error_percent, 1, " %") + " now, " +
                fixed(meter.mean_absolute_percent_error, 1, " %") + " mean over the last " +
                (meter.window_seconds >= 120 ? Math.round(meter.window_seconds / 60) + " min" : Math.round(meter.window_seconds) + " s"));
              addPoint(hostSeries.get("measured"), meter.read_at, meter.power_watts);
              addPoint(hostSeries.get("model"), meter.read_at, meter.model_power_watts);
            } else {
              parts.push("meter unavailable" + (meter.error ? ": " + meter.error : ""));
            }
          } else {
            parts.push("no meter (HOST_METER=none)");
            addPoint(hostSeries.get("model"), host.sampled_at, host.model_power_watts);
          }
          nodes.push(document.createTextNode(parts.join(" \u00b7 ")));
          if (meter && meter.drifting) {
            const flag = document.createElement("span");
            flag.className = "drifting";
            flag.textContent = " \u00b7 model drifting: run cinergy calibrate";
            nodes.push(flag);
          }
          $("host").replaceChildren(...nodes);
        }

        function renderHealth(health) {
          const status = $("status");
          const parts = [health.vm_count + (health.vm_count === 1 ? " VM" : " VMs")];
          parts.push("last sample " + (health.last_sample_at ? clock(Date.parse(health.last_sample_at)) : dash));
          const nodes = [document.createTextNode(parts.join(" \u00b7 "))];
          for (const [name, source] of Object.entries(health.sources || {})) {
            const span = document.createElement("span");
            span.className = source.available ? "ok" : "off";
            span.textContent = name + (source.available ? " \u2713" : " unavailable");
            if (source.last_error) span.title = source.last_error;
            nodes.push(document.createTextNode(" \u00b7 "), span);
          }
          status.replaceChildren(...nodes);
        }

        function showProblem(error) {
          document.body.classList.add("stale");
          if (error instanceof HTTPStatus && error.status === 401) {
            $("auth").hidden = false;
            $("auth-note").textContent = sessionStorage.getItem("cinergy-token") ? "That token was refused." : "";
            $("error").hidden = true;
            return;
          }
          $("error").textContent = error instanceof HTTPStatus
            ? "The agent answered " + error.message + "; retrying every 2 s."
            : "Agent unreachable; retrying every 2 s.";
          $("error").hidden = false;
        }

        const PERIODS = { "24h": 24 * 3600 * 1000, "30d": 30 * 24 * 3600 * 1000 };
        let period = "24h", ledgerTimer = 0;
        async function pollLedger() {
          clearTimeout(ledgerTimer);
          const body = $("ledger").tBodies[0], note = $("ledger-note");
          try {
            const to = new Date(), from = new Date(to.getTime() - PERIODS[period]);
            const report = await api("/report?by=vm&from=" + encodeURIComponent(from.toISOString()) + "&to=" + encodeURIComponent(to.toISOString()));
            const rowsNow = report.rows.map((r) => {
              const row = document.createElement("tr");
              row.dataset.vm = r.vm || "";
              cell(row, "vm", r.vm || dash);
              cell(row, "uuid", r.uuid || dash);
              cell(row, "project", r.project_name || r.project_id || dash);
              cell(row, "energy_joules", energy(r.energy_joules), true);
              cell(row, "carbon_grams", grams(r.carbon_grams), true);
              cell(row, "hours_running", fixed(r.hours_running, 2, " h"), true);
              cell(row, "mean_power_watts", fixed(r.mean_power_watts, 1, " W"), true);
              return row;
            });
            body.replaceChildren(...rowsNow);
            note.hidden = rowsNow.length > 0;
            note.textContent = "No energy recorded in this period yet.";
          } catch (error) {
            body.replaceChildren();
            note.hidden = false;
            note.textContent = error instanceof HTTPStatus && error.status === 503
              ? "The ledger is off or unavailable (see /health)." : "The ledger could not be read; retrying.";
          }
          ledgerTimer = setTimeout(pollLedger, 60 * 1000);
        }
        for (const button of document.querySelectorAll("#periods button")) {
          button.addEventListener("click", () => {
            period = button.dataset.period;
            for (const other of document.querySelectorAll("#periods button")) other.setAttribute("aria-pressed", String(other === button));
            pollLedger();
          });
        }

        let timer = 0;
        async function poll() {
          clearTimeout(timer);
          try {
            renderHealth(await api("/health"));
            if (!historyLoaded) {
              for (const vm of await api("/history")) {
                const s = seriesFor(keyOf(vm), vm.name);
                for (const sample of vm.samples) addPoint(s, sample.sampled_at, sample.total_power_watts);
              }
              historyLoaded = true;
            }
            const vms = await api("/vms");
            for (const vm of vms) addPoint(seriesFor(keyOf(vm), vm.name), vm.sampled_at, vm.total_power_watts);
            renderTable(vms);
            renderVMChart();
            renderHost(await api("/host"));
            renderHostChart();
            $("error").hidden = true;
            $("auth").hidden = true;
            document.body.classList.remove("stale");
          } catch (error) {
            showProblem(error);
          }
          timer = setTimeout(poll, POLL_MS);
        }

        $("auth").addEventListener("submit", (event) => {
          event.preventDefault();
          const token = $("token").value.trim();
          if (token) sessionStorage.setItem("cinergy-token", token); else sessionStorage.removeItem("cinergy-token");
          $("token").value = "";
          poll();
        });
        renderVMChart();
        renderHostChart();
        poll();
        pollLedger();

        """#
}
