// The results page: reads /console/api/results with the filters the page shows (from its
// query string, or the defaults) and draws the funnel, the outcome tiles, the borrower's ratings and
// comments, the trend per day and the breakdown.
// Numbers are always written as text; charts are Chart.js (vendored) on <canvas>.
(function () {
  "use strict";
  var page = document.getElementById("results-page");
  if (!page) return;
  var el = ConsolePage.el;
  var charts = {};

  var FUNNEL = [
    ["attempts", "Attempts sent"],
    ["delivered", "Delivered"],
    ["answered", "Answered or replied to"],
    ["right_party_contacts", "Right-party contacts"],
    ["agreed", "Promises and plans agreed"],
    ["promises_kept", "Promises kept"]
  ];
  var TILES = [
    ["conversations", "Conversations"],
    ["contained", "Settled with no person", "containment_rate"],
    ["handoffs", "Handed to a person", "handoff_rate"],
    ["opt_outs", "Opt-outs", "opt_out_rate"],
    ["disputes", "Disputes"],
    ["wrong_numbers", "Wrong numbers"],
    ["promises_part_paid", "Promises part-paid"],
    ["promises_broken", "Promises broken"],
    ["deferrals", "Deferrals"],
    ["nlu_fallbacks", "NLU fallbacks"],
    ["median_turns_to_outcome", "Median turns to an outcome"],
    ["median_seconds_to_outcome", "Median time to an outcome"]
  ];
  var COLUMNS = [
    ["attempts", "Attempts"], ["delivered", "Delivered"], ["answered", "Answered"],
    ["conversations", "Conversations"], ["right_party_contacts", "Right party"],
    ["promises", "Promises"], ["plans", "Plans"], ["promises_kept", "Kept"],
    ["contained", "Contained"], ["handoffs", "Handoffs"], ["opt_outs", "Opt-outs"],
    ["disputes", "Disputes"], ["wrong_numbers", "Wrong numbers"]
  ];

  function percent(value) {
    return value === null || value === undefined ? "–" : (value * 100).toFixed(1) + "%";
  }

  function count(value) {
    return value === null || value === undefined ? "–" : Number(value).toLocaleString("en-US");
  }

  function money(amounts) {
    var keys = Object.keys(amounts || {});
    return keys.length ? keys.map(function (c) { return amounts[c] + " " + c; }).join(", ") : "0";
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 90) return Math.round(seconds) + " s";
    if (seconds < 5400) return Math.round(seconds / 60) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  }

  function withAgreed(row) {
    row.agreed = row.promises + row.plans;
    return row;
  }

  function draw(id, config) {
    if (typeof Chart === "undefined") return;  // the tables still say everything
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts[id] = new Chart(document.getElementById(id), config);
  }

  function funnel(totals) {
    var body = document.querySelector('[data-testid="funnel"] tbody');
    body.textContent = "";
    FUNNEL.forEach(function (step, i) {
      var value = totals[step[0]];
      var before = i ? totals[FUNNEL[i - 1][0]] : null;
      body.appendChild(el("tr", { "data-step": step[0] }, [
        el("td", { text: step[1] }),
        el("td", { "class": "num", "data-testid": "funnel-" + step[0], text: count(value) }),
        el("td", { "class": "num", text: i ? percent(before ? value / before : null) : "" })
      ]));
    });
    draw("funnel-chart", {
      type: "bar",
      data: { labels: FUNNEL.map(function (s) { return s[1]; }),
              datasets: [{ label: "Count", data: FUNNEL.map(function (s) { return totals[s[0]]; }),
                           backgroundColor: "#1f5eff" }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } } }
    });
  }

  function tiles(totals) {
    var list = document.querySelector('[data-testid="tiles"]');
    list.textContent = "";
    TILES.forEach(function (tile) {
      var value = totals[tile[0]];
      var shown = tile[0] === "median_seconds_to_outcome" ? duration(value)
        : count(value);
      var dd = el("dd", { "data-testid": "tile-" + tile[0], text: shown });
      if (tile[2]) dd.appendChild(el("small", { text: " " + percent(totals[tile[2]]) }));
      list.appendChild(el("div", {}, [el("dt", { text: tile[1] }), dd]));
    });
    list.appendChild(el("div", {}, [el("dt", { text: "Collected" }),
      el("dd", { "data-testid": "tile-amount_collected", text: money(totals.amount_collected) })]));
    var rates = Object.keys(totals.recovery_rate).map(function (c) { return percent(totals.recovery_rate[c]) + " " + c; });
    list.appendChild(el("div", {}, [el("dt", { text: "Recovery rate" }),
      el("dd", { "data-testid": "tile-recovery_rate", text: rates.join(", ") || "–" })]));
    var reasons = Object.keys(totals.handoffs_by_reason).map(function (r) { return r + " " + totals.handoffs_by_reason[r]; });
    list.appendChild(el("div", {}, [el("dt", { text: "Handoffs by reason" }),
      el("dd", { "class": "small", "data-testid": "tile-handoffs_by_reason", text: reasons.join(", ") || "none" })]));
  }

  function feedback(report) {
    var totals = report.totals;
    var list = document.querySelector('[data-testid="feedback"]');
    list.textContent = "";
    [["feedback_asked", "Questions asked"], ["feedback_answers", "Ratings", "feedback_answer_rate"]].forEach(function (tile) {
      var dd = el("dd", { "data-testid": "tile-" + tile[0], text: count(totals[tile[0]]) });
      if (tile[2]) dd.appendChild(el("small", { text: " " + percent(totals[tile[2]]) }));
      list.appendChild(el("div", {}, [el("dt", { text: tile[1] }), dd]));
    });
    var mean = totals.feedback_mean_score;
    list.appendChild(el("div", {}, [el("dt", { text: "Mean rating (1-5)" }),
      el("dd", { "data-testid": "tile-feedback_mean_score", text: mean === null ? "–" : mean.toFixed(2) })]));
    var scores = ["1", "2", "3", "4", "5"];
    draw("feedback-chart", {
      type: "bar",
      data: { labels: scores, datasets: [{ label: "Ratings", backgroundColor: "#1b7f3b",
              data: scores.map(function (s) { return totals.feedback_scores[s]; }) }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    var comments = document.querySelector('[data-testid="feedback-comments"]');
    comments.textContent = "";
    report.feedback_comments.forEach(function (c) {
      comments.appendChild(el("li", {}, [
        el("strong", { text: c.score + "/5" }),
        el("span", { text: " " + c.comment + " " }),
        el("small", { "class": "muted", text: [c.day, c.channel, c.language, c.campaign].join(" · ") })
      ]));
    });
    if (!report.feedback_comments.length) comments.appendChild(el("li", { "class": "muted", text: "No comments in this period." }));
  }

  function trend(days) {
    function series(key, label, color) {
      return { label: label, data: days.map(function (d) { return withAgreed(d)[key]; }), borderColor: color,
               backgroundColor: color, tension: 0.2 };
    }
    draw("trend-chart", {
      type: "line",
      data: { labels: days.map(function (d) { return d.day; }),
              datasets: [series("attempts", "Attempts", "#98a2b3"), series("conversations", "Conversations", "#1f5eff"),
                         series("right_party_contacts", "Right-party contacts", "#6941c6"),
                         series("agreed", "Promises and plans", "#1b7f3b"), series("opt_outs", "Opt-outs", "#c62828")] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }

  function breakdown(report) {
    var table = document.querySelector('[data-testid="breakdown"]');
    var head = table.querySelector("thead"), body = table.querySelector("tbody");
    head.textContent = ""; body.textContent = "";
    head.appendChild(el("tr", {}, [el("th", { text: report.by || "" })].concat(
      COLUMNS.map(function (c) { return el("th", { "class": "num", text: c[1] }); }),
      [el("th", { "class": "num", text: "Collected" })])));
    report.breakdown.forEach(function (row) {
      body.appendChild(el("tr", { "data-key": row.key }, [el("td", { text: row.key })].concat(
        COLUMNS.map(function (c) { return el("td", { "class": "num", "data-column": c[0], text: count(row[c[0]]) }); }),
        [el("td", { "class": "num", text: money(row.amount_collected) })])));
    });
    document.getElementById("breakdown-empty").hidden = report.breakdown.length > 0;
  }

  function load() {
    var error = document.getElementById("results-error");
    var form = page.querySelector("form.filters");
    var query = ["from", "to", "by"].map(function (name) {
      return name + "=" + encodeURIComponent(form.elements[name].value);
    }).join("&");
    ConsolePage.api("GET", page.dataset.api + "?" + query).then(function (result) {
      if (result.status !== 200) {
        error.textContent = result.data.error || "The results could not be read.";
        error.hidden = false;
        return;
      }
      var report = result.data;
      error.hidden = true;
      document.getElementById("period").textContent = report.from + " to " + report.to;
      funnel(withAgreed(report.totals));
      tiles(report.totals);
      feedback(report);
      trend(report.days);
      breakdown(report);
      page.dataset.loaded = "true";
    });
  }

  load();
})();
