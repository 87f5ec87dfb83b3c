/* Yenni Ad charts: draws every <canvas data-chart="…"> from a JSON blob in the page.
 *
 * The page writes its figures with Django's json_script (an inert <script type="application/json">)
 * and names it in data-source; this file only turns those numbers into Chart.js charts, so the
 * figures are computed once, on the server, where the tests check them. Each canvas carries an
 * aria-label and the page a table with the same numbers, for screen readers and for people who
 * prefer to read figures. When a chart is drawn, its canvas gets data-rendered="true".
 */
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") {
    return; // Chart.js missing: the tables beside each chart still hold every figure.
  }

  const styles = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => styles.getPropertyValue(name).trim() || fallback;
  const BRAND = colour("--brand", "#1f3a93");
  const ACCENT = colour("--accent", "#f2b705");
  const INK = colour("--ink", "#1b2333");
  const MUTED = colour("--muted", "#566074");
  const LINE = colour("--line", "#dbe0ea");
  const BAND = "rgba(31, 58, 147, 0.16)";
  const lang = document.documentElement.lang || "es";
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  // Spanish as Colombia writes it ("1.500"), like the page's own figures (campaigns/figures.py);
  // plain "es" leaves four-digit numbers ungrouped.
  const locale = lang === "es" ? "es-CO" : lang;
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });

  function money(currency) {
    return (value) => `${currency} ${number.format(value)}`;
  }

  function percent(value) {
    return `${decimal.format(value)} %`;
  }

  function formatterFor(unit) {
    if (unit === "percent") return percent;
    if (unit === "ratio") return (value) => `${decimal.format(value)}×`;
    return money(unit);
  }

  // The page's own font (set on <body>), not the canvas default serif.
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = MUTED;
  Chart.defaults.borderColor = LINE;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = reducedMotion ? false : { duration: 300 };
  Chart.defaults.plugins.legend.labels.color = INK;

  function axis(title, format, extra) {
    return Object.assign(
      {
        beginAtZero: true,
        title: { display: Boolean(title), text: title },
        ticks: { callback: (value) => format(value) },
      },
      extra || {},
    );
  }

  function dateAxis() {
    return { ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 16 } };
  }

  // --- the creative page --------------------------------------------------------------------

  function daily(data) {
    return {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          {
            type: "bar",
            label: data.text.impressions,
            data: data.impressions,
            backgroundColor: "rgba(31, 58, 147, 0.35)",
            yAxisID: "y",
            order: 2,
          },
          {
            type: "line",
            label: data.text.clicks,
            data: data.clicks,
            borderColor: ACCENT,
            backgroundColor: ACCENT,
            pointRadius: 0,
            borderWidth: 2,
            yAxisID: "y1",
            order: 1,
          },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: dateAxis(),
          y: axis(data.text.impressions, (v) => number.format(v)),
          y1: axis(data.text.clicks, (v) => number.format(v), {
            position: "right",
            grid: { drawOnChartArea: false },
          }),
        },
      },
    };
  }

  function ctr(data) {
    return {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          // The band: the upper bound filled down to the lower one (the next dataset).
          {
            label: data.text.ctr_band,
            data: data.ctr_high,
            borderWidth: 0,
            pointRadius: 0,
            backgroundColor: BAND,
            fill: "+1",
            spanGaps: false,
          },
          {
            // The band's lower edge: same words (no English "(low)" on a Spanish page); it has
            // no legend entry or tooltip line of its own.
            label: data.text.ctr_band,
            data: data.ctr_low,
            borderWidth: 0,
            pointRadius: 0,
            fill: false,
            spanGaps: false,
          },
          {
            label: data.text.ctr,
            data: data.ctr,
            borderColor: BRAND,
            backgroundColor: BRAND,
            pointRadius: 0,
            borderWidth: 2,
            spanGaps: false,
          },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        plugins: {
          // The lower bound is drawn only to close the band: no legend entry of its own.
          legend: { labels: { filter: (item) => item.datasetIndex !== 1 } },
          tooltip: {
            filter: (item) => item.datasetIndex === 2 || item.datasetIndex === 0,
            callbacks: { label: (item) => `${item.dataset.label}: ${percent(item.parsed.y)}` },
          },
        },
        scales: { x: dateAxis(), y: axis(data.text.ctr, percent) },
      },
    };
  }

  function spend(data) {
    const format = money(data.currency);
    return {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          {
            label: data.text.spend,
            data: data.spend,
            backgroundColor: "rgba(242, 183, 5, 0.6)",
          },
        ],
      },
      options: {
        plugins: {
          tooltip: { callbacks: { label: (item) => format(item.parsed.y) } },
        },
        scales: { x: dateAxis(), y: axis(data.text.spend, format) },
      },
    };
  }

  // --- the insights page --------------------------------------------------------------------

  function histogram(data) {
    return {
      type: "bar",
      data: {
        labels: data.histogram.labels,
        datasets: [
          {
            label: data.histogram.label,
            data: data.histogram.counts,
            backgroundColor: "rgba(31, 58, 147, 0.55)",
            barPercentage: 1.0,
            categoryPercentage: 0.95,
          },
        ],
      },
      options: {
        plugins: { legend: { display: false } },
        scales: {
          x: { title: { display: true, text: data.histogram.x_title }, ticks: { maxRotation: 45 } },
          y: axis(data.histogram.label, (v) => (Number.isInteger(v) ? number.format(v) : "")),
        },
      },
    };
  }

  function monthly(data) {
    const format = formatterFor(data.unit);
    return {
      type: "line",
      data: {
        labels: data.monthly.labels,
        datasets: [
          {
            label: data.monthly.label,
            data: data.monthly.values,
            borderColor: BRAND,
            backgroundColor: BRAND,
            borderWidth: 2,
            pointRadius: 3,
            spanGaps: false,
          },
        ],
      },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (item) => format(item.parsed.y) } },
        },
        scales: { x: dateAxis(), y: axis(data.monthly.label, format) },
      },
    };
  }

  const BUILDERS = { daily, ctr, spend, histogram, monthly };

  function draw(canvas) {
    const build = BUILDERS[canvas.dataset.chart];
    const source = document.getElementById(canvas.dataset.source);
    if (!build || !source) return;
    const data = JSON.parse(source.textContent);
    const config = build(data);
    // Chart.js formats the numbers it prints on its own (a tooltip's value, a default tick) in
    // the browser's locale unless told: an English browser showed "1,800" on a Spanish page.
    config.options = Object.assign({ locale }, config.options);
    new Chart(canvas, config);
    canvas.dataset.rendered = "true";
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
