// The reports dashboard: fetches the reports from the gateway on this page's origin
// with the reader's bearer token and draws them with Chart.js (vendor/chart.umd.js).
// Nothing is fetched from anywhere else; clients appear by id only.
"use strict";

(() => {
  const TOKEN_KEY = "atr.dashboard.token";
  const PERIOD_KEY = "atr.dashboard.period";
  const PALETTE = ["#1d4ed8", "#f59e0b", "#059669", "#dc2626", "#7c3aed", "#0891b2",
    "#db2777", "#65a30d", "#ea580c", "#475569"];

  /** Chart instances by name, read by the headless test and by curious readers. */
  const charts = {};
  /** The last report bodies by name (what the charts were drawn from). */
  const reports = {};
  window.atrCharts = charts;
  window.atrReports = reports;

  const $ = (id) => document.getElementById(id);
  const amount = (value) => (value === null || value === undefined ? null : Number(value));
  const cents = (value) => Math.round(value * 100) / 100;
  const money = (value) => (value === null || value === undefined ? "-"
    : Number(value).toLocaleString("en-US", { style: "currency", currency: "USD" }));
  const percent = (value) => (value === null || value === undefined ? "-"
    : `${Number(value).toFixed(1)} %`);

  /** The fiscal quarter of a day: fiscal years run July to June, named by their end. */
  function fiscalQuarter(day) {
    const month = day.getUTCMonth() + 1;
    const year = month >= 7 ? day.getUTCFullYear() + 1 : day.getUTCFullYear();
    return `${year}Q${Math.floor(((month + 5) % 12) / 3) + 1}`;
  }

  /** The last day of a fiscal quarter such as 2027Q2 (2026-12-31). */
  function quarterEnd(period) {
    const year = Number(period.slice(0, 4));
    const ends = { 1: `${year - 1}-09-30`, 2: `${year - 1}-12-31`, 3: `${year}-03-31`,
      4: `${year}-06-30` };
    return ends[Number(period.slice(5))];
  }

  /** The query of each report for the chosen quarter. */
  function paramsOf(name, period) {
    if (name === "follow-up") {
      const today = new Date().toISOString().slice(0, 10);
      const end = quarterEnd(period);
      return { as_of: today < end ? today : end };
    }
    return { period };
  }

  async function fetchReport(name, period, format) {
    const query = new URLSearchParams({ ...paramsOf(name, period), format });
    const response = await fetch(`/v1/reports/${name}?${query}`, {
      headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` },
      cache: "no-store",
      credentials: "omit",
    });
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const problem = await response.json();
        detail = problem.detail || problem.title || detail;
      } catch (_) {
        // not a problem document: keep the status text
      }
      throw new Error(`${name} report: ${response.status} ${detail}`);
    }
    return response;
  }

  /** Fetch a report as JSON or CSV with the token and hand it to the browser as a file. */
  async function download(name, format) {
    const period = $("period").value;
    try {
      const blob = await (await fetchReport(name, period, format)).blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = `atr-${name}-${period}.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 5000);
    } catch (error) {
      say(error.message, "error");
    }
  }

  function say(message, state) {
    $("status").textContent = message;
    if (state) document.body.dataset.state = state;
  }

  function draw(name, config) {
    if (charts[name]) charts[name].destroy();
    config.options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      ...config.options,
    };
    charts[name] = new window.Chart($(`chart-${name}`), config);
  }

  function dataset(label, data, index, extra) {
    const colour = PALETTE[index % PALETTE.length];
    return { label, data, backgroundColor: colour, borderColor: colour, ...extra };
  }

  function drawBurnDown(financial) {
    let released = 0;
    let funded = 0;
    const labels = financial.quarters.map((q) => `FY${q.fiscal_year} Q${q.quarter}`);
    const allotment = financial.quarters.map((q) => cents((released += amount(q.allotment))));
    const spent = financial.quarters.map((q) => cents((funded += amount(q.funded))));
    const left = allotment.map((value, i) => cents(value - spent[i]));
    draw("burn-down", {
      type: "line",
      data: {
        labels,
        datasets: [
          dataset("Allotment released (cumulative)", allotment, 0, { tension: 0 }),
          dataset("Funded (cumulative)", spent, 1, { tension: 0 }),
          dataset("Left", left, 2, { borderDash: [6, 4], tension: 0 }),
        ],
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: "USD" } } } },
    });
  }

  function drawOutcomes(gpra) {
    draw("outcomes", {
      type: "bar",
      data: {
        labels: gpra.domains.map((d) => `${d.domain}. ${d.indicator.replaceAll("_", " ")}`),
        datasets: [
          dataset("At intake", gpra.domains.map((d) => d.at_intake), 0),
          dataset("At latest follow-up or discharge", gpra.domains.map((d) => d.at_follow_up), 1),
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 },
        title: { display: true, text: "clients" } } } },
    });
  }

  function drawFollowUp(followUp) {
    const rows = [...followUp.providers, { ...followUp.program, provider_id: "Program" }];
    draw("follow-up", {
      type: "bar",
      data: {
        labels: rows.map((r) => r.provider_id || "(no provider)"),
        datasets: [
          dataset("Follow-up rate (%)", rows.map((r) => amount(r.rate_percent)), 2),
        ],
      },
      options: { scales: { y: { beginAtZero: true, max: 100,
        title: { display: true, text: "%" } } } },
    });
  }

  function drawDenials(integrity) {
    const months = [...new Set(integrity.denials_by_month.map((d) => d.month))].sort();
    const reasons = [...new Set(integrity.denials_by_month.map((d) => d.reason))].sort();
    const lines = (month, reason) => integrity.denials_by_month
      .filter((d) => d.month === month && d.reason === reason)
      .reduce((sum, d) => sum + d.lines, 0);
    draw("denials", {
      type: "bar",
      data: {
        labels: months,
        datasets: reasons.map((reason, i) =>
          dataset(reason, months.map((month) => lines(month, reason)), i + 3)),
      },
      options: { scales: { x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 },
          title: { display: true, text: "lines denied" } } } },
    });
  }

  function drawCards(cards, outcomes) {
    const providers = cards.providers;
    draw("cards", {
      type: "bar",
      data: {
        labels: providers.map((p) => p.provider_id),
        datasets: [
          dataset("Allowed", providers.map((p) => amount(p.allowed_amount)), 0),
          dataset("Denied", providers.map((p) => amount(p.denied_amount)), 3),
          dataset("Funded", providers.map((p) => amount(p.funded)), 1),
        ],
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: "USD" } } } },
    });
    const byProvider = new Map(outcomes.providers.map((o) => [o.provider_id, o]));
    const body = $("cards").querySelector("tbody");
    body.replaceChildren(...providers.map((p) => {
      const outcome = byProvider.get(p.provider_id);
      const row = document.createElement("tr");
      const cells = [
        p.provider_id, p.claim_lines, money(p.allowed_amount), p.denied_lines,
        money(p.denied_amount), money(p.funded), money(p.holdbacks_released),
        money(p.holdbacks_forfeited),
        p.outcome_reporting_completeness === null ? "-"
          : percent(100 * Number(p.outcome_reporting_completeness)),
        outcome ? percent(outcome.abstinence_rate_percent) : "-",
        outcome ? outcome.completions : "-",
        p.ineligible_next_year ? "yes" : "no",
      ];
      for (const value of cells) {
        const cell = document.createElement("td");
        cell.textContent = String(value);
        row.append(cell);
      }
      if (p.ineligible_next_year) {
        row.lastChild.classList.add("flagged");
        row.lastChild.title = p.ineligibility_reason || "";
      }
      return row;
    }));
  }

  function showFigures(financial, gpra, followUp) {
    $("fig-allowed").textContent = money(financial.allowed_amount);
    $("fig-funded").textContent = money(financial.funded);
    $("fig-intakes").textContent = String(gpra.clients_with_intake);
    $("fig-followed").textContent = String(gpra.clients_followed_up);
    $("fig-due").textContent = `${followUp.due} / ${followUp.overdue}`;
  }

  const NAMES = ["financial", "gpra", "follow-up", "integrity", "providers", "outcomes"];

  async function load() {
    const period = $("period").value;
    say(`Loading the reports of ${period}...`, "loading");
    try {
      const bodies = await Promise.all(
        NAMES.map(async (name) => (await fetchReport(name, period, "json")).json()));
      NAMES.forEach((name, i) => { reports[name] = bodies[i]; });
      drawBurnDown(reports.financial);
      drawOutcomes(reports.gpra);
      drawFollowUp(reports["follow-up"]);
      drawDenials(reports.integrity);
      drawCards(reports.providers, reports.outcomes);
      showFigures(reports.financial, reports.gpra, reports["follow-up"]);
      const shown = new Date().toISOString().slice(0, 16).replace("T", " ");
      say(`FY${period.slice(0, 4)} Q${period.slice(5)} ` +
        `(${reports.financial.starts_on} to ${reports.financial.ends_on}), read ${shown} UTC.`,
      "ready");
    } catch (error) {
      say(error.message, "error");
    }
  }

  function addExportButtons() {
    for (const holder of document.querySelectorAll(".exports")) {
      const name = holder.dataset.report;
      const label = document.createElement("span");
      label.textContent = `${name}:`;
      holder.append(label);
      for (const format of ["json", "csv"]) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = format.toUpperCase();
        button.dataset.export = name;
        button.dataset.format = format;
        button.addEventListener("click", () => download(name, format));
        holder.append(button);
      }
    }
  }

  function start() {
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    addExportButtons();
    $("period").value = sessionStorage.getItem(PERIOD_KEY) || fiscalQuarter(new Date());
    $("access").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("token").value);
      sessionStorage.setItem(PERIOD_KEY, $("period").value);
      load();
    });
    $("forget").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      $("token").value = "";
      say("Token forgotten.", "idle");
    });
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) {
      $("token").value = token;
      load();
    }
  }

  start();
})();
