// The trainers' NLU inbox: lists what is waiting, reviews one item at a time, posts the
// decision with the page's CSRF token. Borrowers' words are inserted as text, never HTML.
(function () {
  "use strict";
  var page = document.getElementById("nlu-page");
  if (!page) return;
  var REFRESH_MS = 10000;
  var state = { reason: "", data: null, item: null, entities: [] };

  var el = ConsolePage.el;
  var api = ConsolePage.api;

  function percent(value) { return Math.round((value || 0) * 100) + "%"; }

  function alternatives(item) {
    return (item.alternatives || []).map(function (a) { return a.intent + " " + percent(a.confidence); }).join(", ");
  }

  function fileOf(intent) {
    var found = (state.data.intents || []).filter(function (i) { return i.name === intent; })[0];
    return found && found.file;
  }

  // --- the lists ------------------------------------------------------------------------
  function fill(tableId, emptyId, rows) {
    var body = document.querySelector("#" + tableId + " tbody");
    body.replaceChildren.apply(body, rows);
    document.getElementById(emptyId).hidden = rows.length > 0;
    document.getElementById(tableId).hidden = rows.length === 0;
  }

  function render() {
    var data = state.data;
    var counts = data.counts || {};
    document.getElementById("pending-count").textContent = counts.pending || 0;
    document.querySelectorAll("#filters [data-count]").forEach(function (span) {
      var key = span.dataset.count;
      var n = key ? counts["pending_" + key] : counts.pending;
      span.textContent = n ? "(" + n + ")" : "";
    });
    fill("inbox-table", "inbox-empty", data.pending.map(function (item) {
      var button = el("button", { type: "button", class: "primary", text: "Review", "data-testid": "review-" + item.id });
      button.addEventListener("click", function () { open(item); });
      var text = el("td", {}, [el("span", { text: item.text })]);
      if (item.seen > 1) text.appendChild(el("span", { class: "muted", text: " · seen " + item.seen + " times" }));
      return el("tr", { "data-id": item.id, class: state.item && state.item.id === item.id ? "selected" : "" }, [
        text,
        el("td", { text: (item.intent || "?") + " " + percent(item.confidence) }),
        el("td", { class: "muted", text: alternatives(item) }),
        el("td", {}, [el("span", { class: "badge reason-" + item.reason, text: item.reason_label })]),
        el("td", {}, [button])]);
    }));
    fill("reviewed-table", "reviewed-empty", data.reviewed.map(function (item) {
      var decision = item.status === "approved" ? item.decided_intent + (item.decided_intent !== item.intent ? " (model: " + (item.intent || "?") + ")" : "") : "discarded";
      return el("tr", { "data-id": item.id }, [
        el("td", { text: item.example || item.text }),
        el("td", { text: decision }),
        el("td", { text: item.reviewed_by || "" }),
        el("td", { text: item.written_to || "" })]);
    }));
  }

  function refresh() {
    var url = page.dataset.api + (state.reason ? "?reason=" + encodeURIComponent(state.reason) : "");
    return api("GET", url).then(function (result) {
      if (result.status !== 200) return;
      state.data = result.data;
      fillSelects();
      render();
    });
  }

  var selectsFilled = false;
  function fillSelects() {
    if (selectsFilled) return;
    selectsFilled = true;
    var intents = document.getElementById("intent-select");
    state.data.intents.forEach(function (intent) {
      intents.appendChild(el("option", { value: intent.name, text: intent.name }));
    });
    var entities = document.getElementById("entity-select");
    state.data.entities.forEach(function (name) { entities.appendChild(el("option", { value: name, text: name })); });
  }

  document.querySelectorAll("#filters .filter").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll("#filters .filter").forEach(function (b) { b.classList.remove("active"); });
      button.classList.add("active");
      state.reason = button.dataset.reason;
      refresh();
    });
  });

  // --- one item -------------------------------------------------------------------------
  var card = document.getElementById("review-card");
  var textBox = document.getElementById("example-text");
  var intentSelect = document.getElementById("intent-select");
  var result = document.getElementById("review-result");

  function markup() {
    var text = textBox.value, out = "", at = 0;
    state.entities.slice().sort(function (a, b) { return a.start - b.start; }).forEach(function (e) {
      out += text.slice(at, e.start) + "[" + text.slice(e.start, e.end) + "](" + e.entity + ")";
      at = e.end;
    });
    return out + text.slice(at);
  }

  function update() {
    document.getElementById("preview").textContent = "- " + markup();
    var file = fileOf(intentSelect.value);
    document.getElementById("preview-file").textContent = file ? "under " + intentSelect.value + " in " + file : "";
    var item = state.item;
    var approve = document.getElementById("approve");
    approve.textContent = item && intentSelect.value === item.intent ? "Confirm " + intentSelect.value : "Correct to " + intentSelect.value;
    var list = document.getElementById("entity-list");
    list.replaceChildren.apply(list, state.entities.map(function (e, index) {
      var remove = el("button", { type: "button", class: "link", text: "remove" });
      remove.addEventListener("click", function () { state.entities.splice(index, 1); update(); });
      return el("li", {}, [el("span", { text: "“" + textBox.value.slice(e.start, e.end) + "” is " + e.entity + " " }), remove]);
    }));
  }

  function open(item) {
    state.item = item;
    state.entities = [];
    card.hidden = false;
    result.replaceChildren();
    document.getElementById("review-text").textContent = item.text;
    document.getElementById("review-reason").textContent = item.reason_label;
    var model = (item.intent || "no intent") + " " + percent(item.confidence) + (item.fell_back ? " (fell back)" : "");
    var others = alternatives(item);
    document.getElementById("review-model").textContent = model + (others ? "; then " + others : "");
    var link = document.getElementById("review-conversation");
    link.hidden = !item.conversation_url;
    if (item.conversation_url) link.href = item.conversation_url;
    textBox.value = item.suggestion;
    intentSelect.value = item.intent || intentSelect.options[0].value;
    update();
    render();
    card.scrollIntoView({ block: "nearest" });
    textBox.focus();
  }

  function close() { state.item = null; card.hidden = true; render(); }

  textBox.addEventListener("input", function () {
    if (state.entities.length) {
      state.entities = [];
      result.replaceChildren(el("p", { class: "muted", text: "The text changed: mark the entities again." }));
    }
    update();
  });
  intentSelect.addEventListener("change", update);

  document.getElementById("mark-entity").addEventListener("click", function () {
    var start = textBox.selectionStart, end = textBox.selectionEnd;
    while (start < end && textBox.value[start] === " ") start++;
    while (end > start && textBox.value[end - 1] === " ") end--;
    if (start === end) {
      result.replaceChildren(el("p", { class: "refused", text: "Select the words in the example first." }));
      return;
    }
    var overlaps = state.entities.some(function (e) { return start < e.end && e.start < end; });
    if (overlaps) {
      result.replaceChildren(el("p", { class: "refused", text: "Those words overlap an entity already marked." }));
      return;
    }
    state.entities.push({ start: start, end: end, entity: document.getElementById("entity-select").value });
    result.replaceChildren();
    update();
  });

  function decided(response, done) {
    result.replaceChildren();
    if (response.status === 201 || response.status === 200) {
      done(response.data);
      close();
      refresh();
    } else {
      result.appendChild(el("p", { class: "refused", text: response.data.error || "Not done" }));
    }
  }

  var lastDone = document.createElement("div");
  lastDone.className = "result";
  lastDone.setAttribute("data-testid", "last-decision");
  lastDone.setAttribute("aria-live", "polite");
  page.insertBefore(lastDone, page.firstChild);

  document.getElementById("review-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var item = state.item;
    if (!item) return;
    api("POST", "/console/api/nlu/items/" + item.id + "/approve", {
      intent: intentSelect.value, text: textBox.value, entities: state.entities,
    }).then(function (response) {
      decided(response, function (data) {
        lastDone.replaceChildren(el("p", { class: "ok", text: data.written.message + " " }),
                                 el("code", { text: "- " + data.written.example }));
      });
    });
  });

  document.getElementById("discard").addEventListener("click", function () {
    var item = state.item;
    if (!item) return;
    api("POST", "/console/api/nlu/items/" + item.id + "/discard").then(function (response) {
      decided(response, function () {
        lastDone.replaceChildren(el("p", { class: "ok", text: "Discarded: “" + item.text + "”." }));
      });
    });
  });

  document.getElementById("cancel").addEventListener("click", close);

  refresh();
  setInterval(function () { if (!state.item) refresh(); }, REFRESH_MS);
})();
