// The agent console: polls the JSON API every two seconds and posts actions with the
// page's CSRF token. Everything a borrower wrote is inserted as text, never as HTML.
(function () {
  "use strict";
  var POLL_MS = 2000;

  var el = ConsolePage.el;
  var api = ConsolePage.api;

  function ago(seconds) {
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }

  function clock(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function channelBadge(item) {
    return item.live_call ? el("span", { class: "badge live", text: "Live call" })
                          : el("span", { class: "badge", text: "SMS" });
  }

  function poll(fn) {
    var running = false;
    function tick() {
      if (running) return;
      running = true;
      fn().catch(function () {}).then(function () { running = false; });
    }
    tick();
    return setInterval(tick, POLL_MS);
  }

  // --- the queue ------------------------------------------------------------------------
  var queuePage = document.getElementById("queue-page");
  if (queuePage) {
    var base = queuePage.dataset.conversationUrl.replace(/0$/, "");

    var fill = function (tableId, emptyId, items, row) {
      var body = document.querySelector("#" + tableId + " tbody");
      body.replaceChildren.apply(body, items.map(row));
      document.getElementById(emptyId).hidden = items.length > 0;
      document.getElementById(tableId).hidden = items.length === 0;
    };

    var claim = function (item, button) {
      button.disabled = true;
      api("POST", "/console/api/handoffs/" + item.id + "/claim").then(function (result) {
        if (result.status === 200) window.location.href = base + item.id;
        else { button.disabled = false; button.textContent = result.data.error || "Not available"; }
      });
    };

    var cells = function (item, extra) {
      var reason = [el("span", { text: item.reason_label })];
      if (item.identity_locked) reason.push(el("span", { class: "badge locked", text: "Identity locked" }));
      return [
        el("td", {}, [el("span", { class: "priority p" + item.priority, text: item.priority_label })]),
        el("td", {}, [channelBadge(item)]),
        el("td", {}, reason),
        el("td", { text: item.borrower }),
      ].concat(extra);
    };

    var refresh = function () {
      return api("GET", queuePage.dataset.api).then(function (result) {
        var data = result.data;
        var locks = data.identity_locks || [];
        document.getElementById("locks-card").hidden = locks.length === 0;
        document.getElementById("locks-count").textContent = locks.length;
        var lockRows = document.querySelector("#locks-table tbody");
        lockRows.replaceChildren.apply(lockRows, locks.map(function (lock) {
          return el("tr", {}, [
            el("td", { text: lock.borrower }), el("td", { text: lock.phone }),
            el("td", { text: String(lock.failures) }), el("td", { text: lock.channel }),
            el("td", { text: clock(lock.locked_at) }), el("td", { text: new Date(lock.locked_until).toLocaleString() })]);
        }));
        document.getElementById("queue-count").textContent = data.queue.length;
        fill("queue-table", "queue-empty", data.queue, function (item) {
          var button = el("button", { class: "primary", type: "button", text: "Claim",
                                      "data-testid": "claim-" + item.id });
          button.addEventListener("click", function () { claim(item, button); });
          return el("tr", { "data-id": item.id }, cells(item, [
            el("td", { text: item.phone }), el("td", { text: ago(item.waiting_seconds) }),
            el("td", {}, [button])]));
        });
        fill("mine-table", "mine-empty", data.mine, function (item) {
          return el("tr", { "data-id": item.id }, cells(item, [
            el("td", { text: item.phone }), el("td", { text: clock(item.last_activity_at) }),
            el("td", {}, [el("a", { href: base + item.id, text: "Open" })])]));
        });
        if (data.others) {
          document.querySelectorAll(".supervisor-only").forEach(function (node) { node.hidden = false; });
          fill("others-table", "others-empty", data.others, function (item) {
            return el("tr", {}, cells(item, [
              el("td", { text: item.claimed_by }), el("td", { text: clock(item.last_activity_at) }),
              el("td", {}, [el("a", { href: base + item.id, text: "Read" })])]));
          });
          fill("approvals-table", "approvals-empty", data.approvals, function (approval) {
            var approve = el("button", { class: "primary", type: "button", text: "Approve" });
            var reject = el("button", { type: "button", text: "Reject" });
            // The request's fate in words: an arrangement may have moved on since it was asked.
            var decide = function (decision, doneText) {
              api("POST", "/console/api/approvals/" + approval.id + "/" + decision).then(function (response) {
                var ok = response.status === 200;
                document.getElementById("approval-result").replaceChildren(el("p", {
                  class: ok ? "ok" : "refused",
                  text: ok ? doneText + describeOutcome(approval.kind, approval.details) : (response.data.error || "Not done") }));
                refresh();
              });
            };
            approve.addEventListener("click", function () { decide("approve", "Approved: "); });
            reject.addEventListener("click", function () { decide("reject", "Rejected: "); });
            return el("tr", {}, [
              el("td", { text: approval.requested_by }),
              el("td", { text: describeOutcome(approval.kind, approval.details) }),
              el("td", { text: approval.refusal.reason }),
              el("td", {}, [approve, reject])]);
          });
        }
      });
    };
    poll(refresh);
  }

  // --- one conversation -----------------------------------------------------------------
  function consentText(consent) {
    var one = function (name, state) {
      if (!state) return name + ": none on record";
      return name + ": " + (state.granted ? "given " : "revoked (" + state.source + ") ") + state.at.slice(0, 10);
    };
    return one("automated texts", consent.sms) + "; " + one("automated calls", consent.voice);
  }

  var KIND_NAMES = { promise: "promise", plan: "plan", deferral: "deferral", reduced_plan: "reduced plan",
                     fee_waiver: "fee waiver", breathing_space: "breathing space" };

  function planText(details) {
    var first = (details.instalments || [])[0];
    return details.months + " months" + (first ? ", first " + first.amount + " on " + first.due : "");
  }

  function describeRelief(details) {
    if (details.relief === "reduced_plan") return "Reduced plan: " + planText(details);
    if (details.relief === "fee_waiver") return "Fee waiver" + (details.amount ? ": " + details.amount + " " + (details.currency || "") : "");
    if (details.relief === "breathing_space") {
      return "Breathing space" + (details.until ? " through " + details.until : details.days ? " of " + details.days + " days" : "");
    }
    return "Relief";
  }

  function describeOutcome(kind, details) {
    details = details || {};
    if (kind === "promise") return "Promise: " + details.amount + " " + (details.currency || "") + " by " + details.date;
    if (kind === "plan") return "Plan: " + planText(details);
    if (kind === "deferral") return "Deferral: due " + details.new_due_date + (details.previous_due_date ? " (was " + details.previous_due_date + ")" : "");
    if (kind === "relief") return describeRelief(details);
    var which = KIND_NAMES[details.arrangement_kind] + " #" + details.arrangement_id;
    if (kind === "arrangement_cancel") return "Cancel the " + which + ": " + details.reason;
    if (kind === "instalment_move") return "Move instalment " + details.number + " of the " + which + " from " + details.from + " to " + details.to;
    if (kind === "callback") return "Call back: " + details.local + " (" + details.timezone + ")";
    if (kind === "already_paid") return "Says it is paid" + (details.paid_on ? " on " + details.paid_on : "");
    if (kind === "dispute") return "Dispute" + (details.note ? ": " + details.note : "");
    if (kind === "payment_link") return "Payment link sent";
    if (kind === "hardship") return "Hardship (vulnerable)";
    if (kind === "legal") return "Attorney or bankruptcy";
    if (kind === "opt_out") return "Opted out of " + ((details.channels || [details.channel]).join(" and ") || "contact");
    return kind.replace(/_/g, " ");
  }

  var page = document.getElementById("conversation-page");
  if (page) {
    var id = page.dataset.handoff;
    var apiUrl = page.dataset.api;
    var lastId = 0;
    var transcript = document.getElementById("transcript");
    var canAct = false;

    var facts = function (target, pairs) {
      var nodes = [];
      pairs.forEach(function (pair) {
        if (pair[1] === null || pair[1] === undefined || pair[1] === "") return;
        nodes.push(el("dt", { text: pair[0] }), el("dd", { text: String(pair[1]) }));
      });
      target.replaceChildren.apply(target, nodes);
    };

    var list = function (target, entries, text, empty) {
      var items = entries.map(function (entry) { return el("li", { text: text(entry) }); });
      if (!items.length) items = [el("li", { class: "muted", text: empty })];
      target.replaceChildren.apply(target, items);
    };

    // --- the account's arrangements: schedule, cancel, move a date ---
    var arrangementsBox = document.getElementById("arrangements");
    var arrangementResult = document.getElementById("arrangement-result");
    var shownArrangements = null;

    var flash = function (target, ok, text) {
      target.replaceChildren(el("p", { class: ok ? "ok" : "refused", text: text }));
    };

    // What came back from a change, the outcome form's way: done, sent for approval, or
    // refused with the rule's reason (and, where the policy allows, a supervisor's way on).
    var changeArrangement = function (arrangement, action, body, doneText) {
      api("POST", "/console/api/handoffs/" + id + "/arrangements/" + arrangement.id + "/" + action, body).then(function (response) {
        var data = response.data;
        if (response.status === 200) flash(arrangementResult, true, doneText);
        else if (response.status === 202) flash(arrangementResult, true, "Sent to a supervisor for approval.");
        else if (response.status === 422) {
          flash(arrangementResult, false, "The policy refuses this: " + data.refusal.reason);
          if (data.approvable) {
            var supervisor = page.dataset.supervisor === "yes";
            var ask = el("button", { type: "button", text: supervisor ? "Approve the exception" : "Ask a supervisor to approve" });
            ask.addEventListener("click", function () {
              var more = Object.assign({}, body, supervisor ? { approve_exception: true } : { request_approval: true });
              changeArrangement(arrangement, action, more, doneText);
            });
            arrangementResult.appendChild(ask);
          }
        } else flash(arrangementResult, false, data.error || "Not done");
        refresh();
      });
    };

    var arrangementNode = function (a) {
      var name = KIND_NAMES[a.kind] || a.kind;
      var agreed = "Agreed by " + (a.agreed_by === "bot" ? "the bot" : a.agreed_by.replace(/^agent:/, "")) +
        " on " + a.agreed_at.slice(0, 10) +
        (a.approved_by ? ", approved by " + a.approved_by : "");
      var nodes = [
        el("h3", { text: name.charAt(0).toUpperCase() + name.slice(1) + " #" + a.id + " · " + a.status }),
        el("p", { class: "hint", text: agreed + (a.status_reason && a.status !== "active" ? " · " + a.status_reason : "") })];
      if (a.kind === "deferral") nodes.push(el("p", { text: "New due date " + a.ends_on }));
      if (a.kind === "breathing_space") nodes.push(el("p", { text: "No automated contact through " + a.ends_on }));
      if (a.kind === "fee_waiver") nodes.push(el("p", { text: "Fees waived: " + a.total + " " + a.currency }));
      if (a.schedule.length) {
        nodes.push(el("table", { class: "items schedule" }, [
          el("thead", {}, [el("tr", {}, ["#", "Due", "Amount", "Paid", "Status"].map(function (h) { return el("th", { text: h }); }))]),
          el("tbody", {}, a.schedule.map(function (i) {
            return el("tr", { "data-number": i.number }, [
              el("td", { text: String(i.number) }), el("td", { text: i.due_on }),
              el("td", { text: i.amount + " " + a.currency }), el("td", { text: i.amount_paid }),
              el("td", { text: i.status.replace(/_/g, " ") })]);
          }))]));
      }
      if (canAct && a.status === "active") {
        var reason = el("input", { name: "reason", maxlength: "200", placeholder: "Why it is cancelled" });
        var cancel = el("button", { type: "button", text: "Cancel" });
        cancel.addEventListener("click", function () {
          if (!reason.value.trim()) { flash(arrangementResult, false, "Say why it is cancelled."); return; }
          changeArrangement(a, "cancel", { reason: reason.value.trim() }, "Cancelled the " + name + " #" + a.id + ".");
        });
        nodes.push(el("div", { class: "inline", "data-action": "cancel" }, [reason, cancel]));
        var open = a.schedule.filter(function (i) { return i.status === "due" || i.status === "part_paid"; });
        if ((a.kind === "plan" || a.kind === "reduced_plan") && open.length) {
          var number = el("select", { name: "number" }, open.map(function (i) {
            return el("option", { value: String(i.number), text: "#" + i.number + " (" + i.due_on + ")" });
          }));
          var date = el("input", { type: "date", name: "date" });
          var move = el("button", { type: "button", text: "Move date" });
          move.addEventListener("click", function () {
            if (!date.value) { flash(arrangementResult, false, "Pick the new date."); return; }
            changeArrangement(a, "move", { number: number.value, date: date.value },
              "Moved instalment " + number.value + " of the " + name + " #" + a.id + " to " + date.value + ".");
          });
          nodes.push(el("div", { class: "inline", "data-action": "move" }, [number, date, move]));
        }
      }
      return el("div", { class: "arrangement", "data-arrangement": a.id, "data-status": a.status }, nodes);
    };

    // Drawn again only when something changed, so a reason being typed survives the polls.
    var renderArrangements = function (arrangements) {
      var key = JSON.stringify([arrangements, canAct]);
      if (key === shownArrangements) return;
      shownArrangements = key;
      if (arrangements === null || arrangements === undefined) {
        arrangementsBox.replaceChildren(el("p", { class: "muted", text: "Shown once the borrower is verified." }));
      } else if (!arrangements.length) {
        arrangementsBox.replaceChildren(el("p", { class: "muted", text: "None agreed." }));
      } else {
        arrangementsBox.replaceChildren.apply(arrangementsBox, arrangements.map(arrangementNode));
      }
    };

    document.getElementById("flag-vulnerable").addEventListener("click", function () {
      if (!window.confirm("Flag this borrower as vulnerable? Automated campaigns leave them out where the policy says so.")) return;
      api("POST", "/console/api/handoffs/" + id + "/vulnerable").then(function (response) {
        flash(arrangementResult, response.status === 200,
              response.status === 200 ? "Flagged as vulnerable." : (response.data.error || "Not flagged"));
        refresh();
      });
    });

    var render = function (view) {
      var handoff = view.handoff;
      var account = view.account;
      canAct = view.can_act;
      view.messages.forEach(function (message) {
        var item = el("li", { class: "msg " + message.who, "data-who": message.who }, [
          el("span", { class: "meta", text: message.label + " · " + clock(message.at) }),
          el("p", { text: message.body })]);
        transcript.appendChild(item);
        lastId = Math.max(lastId, message.id);
      });
      if (view.messages.length) transcript.scrollTop = transcript.scrollHeight;
      if (!lastId && handoff.live_call && !transcript.children.length) {
        transcript.appendChild(el("li", { class: "muted", "data-placeholder": "yes",
          text: "A call transferred to you. What the bot knew and recorded is beside this." }));
      }
      if (lastId) {
        var placeholder = transcript.querySelector("[data-placeholder]");
        if (placeholder) placeholder.remove();
      }

      var badge = document.getElementById("channel-badge");
      badge.textContent = handoff.live_call ? "Live call" : "SMS";
      badge.className = "badge" + (handoff.live_call ? " live" : "");

      var identity = view.identity || {};
      var status = document.getElementById("identity-status");
      if (identity.locked) {
        status.textContent = "Locked after too many wrong identity answers, until " +
          new Date(identity.locked_until).toLocaleString() + ". The borrower must call the lender.";
        status.className = "refused";
      } else if (identity.verified) {
        status.textContent = identity.verified_by === "bot" ? "Verified by the bot."
          : "Verified by " + identity.verified_by.replace(/^agent:/, "") + ".";
        status.className = "ok";
      } else {
        status.textContent = "Not verified: ask the borrower's date of birth and the last 4 digits of the ID document before anything about the debt (" +
          identity.attempts_left + " tries left).";
        status.className = "refused";
      }
      document.getElementById("verify-form").hidden = !(canAct && !identity.verified && !identity.locked);
      if (account && identity.verified) {
        facts(document.getElementById("account"), [
          ["Name", account.name], ["Account", account.account_id], ["Phone", view.conversation.phone],
          ["Balance", account.balance + " " + account.currency],
          ["Principal · interest · fees", account.principal + " · " + account.interest + " · " + account.fees],
          ["Due", account.due_date], ["Days overdue", account.days_overdue], ["Status", account.status],
          ["Time zone", account.timezone], ["Language", account.language],
          ["Rules", account.jurisdiction || "the policy's"],
          ["Consent", consentText(account.consent || {})],
          ["Vulnerable", account.vulnerable ? "yes (left out of automated campaigns where the policy says so)" : "no"]]);
      } else if (account) {
        facts(document.getElementById("account"), [
          ["Account", account.account_id], ["Phone", view.conversation.phone],
          ["Debt", "shown once the borrower is verified"], ["Status", account.status],
          ["Time zone", account.timezone], ["Language", account.language]]);
      } else {
        facts(document.getElementById("account"), [["Phone", view.conversation.phone], ["Account", "none found for this phone"]]);
      }
      document.getElementById("flag-vulnerable").hidden = !(canAct && account && identity.verified && !account.vulnerable);
      renderArrangements(view.arrangements);
      var summary = handoff.summary || {};
      facts(document.getElementById("handoff-facts"), [
        ["Reason", handoff.reason_label], ["Priority", handoff.priority_label],
        ["Verified by the bot", summary.verified ? "yes" : "no"],
        ["Vulnerable", summary.vulnerable ? "yes" : "no"],
        ["Held by", handoff.claimed_by], ["Status", handoff.resolution || handoff.status]]);
      list(document.getElementById("agreed"), summary.agreed || [], function (entry) {
        return describeOutcome(entry.kind, entry.details);
      }, "Nothing");
      list(document.getElementById("outcomes"), view.outcomes, function (entry) {
        var text = describeOutcome(entry.kind, entry.details);
        return entry.details.approved_by ? text + " (approved by " + entry.details.approved_by + ")" : text;
      }, "Nothing yet");
      list(document.getElementById("approvals"), view.approvals, function (approval) {
        return describeOutcome(approval.kind, approval.details) + ": " + approval.status +
          (approval.decided_by ? " by " + approval.decided_by : "");
      }, "None");

      var banner = document.getElementById("banner");
      if (handoff.status === "closed") {
        banner.textContent = handoff.resolution === "handed_back" ? "Handed back to the bot." : "Closed.";
        banner.className = "banner done";
      } else if (handoff.live_call) {
        banner.textContent = "Live call: the borrower is on the line. Record the outcome when the call ends.";
        banner.className = "banner live";
      } else if (!canAct) {
        banner.textContent = handoff.claimed_by ? "Held by " + handoff.claimed_by + " (read only)." : "Waiting in the queue.";
        banner.className = "banner";
      } else {
        banner.textContent = "";
        banner.className = "banner hidden";
      }
      var sms = !handoff.live_call;
      document.getElementById("reply-form").hidden = !(canAct && sms);
      document.getElementById("outcome-form").hidden = !canAct;
      document.getElementById("actions-card").hidden = !(canAct || (page.dataset.supervisor === "yes" && handoff.status === "claimed"));
      document.getElementById("hand-back").hidden = !(canAct && sms);
      document.getElementById("close").hidden = !canAct;
    };

    var refresh = function () {
      return api("GET", apiUrl + "?after=" + lastId).then(function (result) {
        if (result.status === 200) render(result.data);
        else document.getElementById("banner").textContent = result.data.error || "Not available";
      });
    };
    poll(refresh);

    // What the compliance gate refused: the rule, why, and the first time it would allow it;
    // a supervisor may send it anyway where the policy lets them, with a reason.
    var gateText = function (gate) {
      var text = "Not sent: " + gate.reason + " (rule: " + gate.rule + ").";
      if (gate.retry_at) text += " Allowed from " + new Date(gate.retry_at).toLocaleString() + ".";
      else text += " Waiting does not help.";
      return text;
    };
    var refusedBox = document.getElementById("reply-refused");
    var sendReply = function (extra) {
      var box = document.getElementById("reply-body");
      var hint = document.getElementById("reply-hint");
      if (!box.value.trim()) return;
      var body = { body: box.value };
      Object.keys(extra || {}).forEach(function (key) { body[key] = extra[key]; });
      api("POST", "/console/api/handoffs/" + id + "/reply", body).then(function (result) {
        refusedBox.replaceChildren();
        refusedBox.hidden = true;
        if (result.status === 201) {
          box.value = "";
          hint.textContent = result.data.overridden ? "Sent (supervisor override)." : "Sent.";
          refresh();
          return;
        }
        hint.textContent = "";
        var gate = result.data.gate;
        if (!gate) { hint.textContent = result.data.error || "Not sent"; return; }
        refusedBox.hidden = false;
        refusedBox.appendChild(el("p", { class: "refused", "data-rule": gate.rule, text: gateText(gate) }));
        if (gate.overridable && page.dataset.supervisor === "yes") {
          var reason = el("input", { id: "override-reason", maxlength: "500", placeholder: "Why it must go now" });
          var send = el("button", { type: "button", id: "override-send", text: "Send anyway (supervisor override)" });
          send.addEventListener("click", function () {
            if (reason.value.trim()) sendReply({ override_reason: reason.value.trim() });
          });
          refusedBox.appendChild(el("label", { text: "Reason " }, [reason]));
          refusedBox.appendChild(send);
        }
      });
    };
    document.getElementById("reply-form").addEventListener("submit", function (event) {
      event.preventDefault();
      sendReply();
    });

    document.getElementById("verify-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var verifyForm = event.target;
      var body = { birth_date: verifyForm.birth_date.value, id_last4: verifyForm.id_last4.value };
      verifyForm.reset();  // what was typed is not kept on the page either
      var out = document.getElementById("verify-result");
      api("POST", "/console/api/handoffs/" + id + "/verify", body).then(function (response) {
        out.replaceChildren(el("p", {
          class: response.status === 200 ? "ok" : "refused",
          text: response.status === 200 ? "Verified." : (response.data.error || "Not verified") }));
        refresh();
      });
    });

    var kind = document.getElementById("outcome-kind");
    var reliefOption = document.getElementById("relief-option");
    // data-for lists the kinds a field belongs to; "relief:fee_waiver" one relief option.
    var showFields = function () {
      var wanted = [kind.value, kind.value + ":" + reliefOption.value];
      document.querySelectorAll("#outcome-form [data-for]").forEach(function (label) {
        label.hidden = !label.dataset.for.split(" ").some(function (key) { return wanted.indexOf(key) >= 0; });
      });
    };
    kind.addEventListener("change", showFields);
    reliefOption.addEventListener("change", showFields);
    showFields();

    var form = document.getElementById("outcome-form");
    var result = document.getElementById("outcome-result");
    var submitOutcome = function (extra) {
      var body = { kind: kind.value };
      form.querySelectorAll("input, select[name=channel], select[name=relief]").forEach(function (input) {
        if (!input.closest("label").hidden && input.value) body[input.name] = input.value;
      });
      Object.keys(extra || {}).forEach(function (key) { body[key] = extra[key]; });
      api("POST", "/console/api/handoffs/" + id + "/outcomes", body).then(function (response) {
        var data = response.data;
        result.replaceChildren();
        if (response.status === 201) {
          result.appendChild(el("p", { class: "ok", text: "Recorded: " + describeOutcome(data.recorded.kind, data.recorded.details) }));
          form.reset(); showFields();
        } else if (response.status === 202) {
          result.appendChild(el("p", { class: "ok", text: "Sent to a supervisor for approval." }));
        } else if (response.status === 422) {
          result.appendChild(el("p", { class: "refused", text: "The policy refuses this: " + data.refusal.reason }));
          if (data.approvable) {
            var supervisor = page.dataset.supervisor === "yes";
            var ask = el("button", { type: "button", text: supervisor ? "Approve the exception" : "Ask a supervisor to approve" });
            ask.addEventListener("click", function () {
              submitOutcome(supervisor ? { approve_exception: true } : { request_approval: true });
            });
            result.appendChild(ask);
          }
        } else {
          result.appendChild(el("p", { class: "refused", text: data.error || "Not recorded" }));
        }
        refresh();
      });
    };
    form.addEventListener("submit", function (event) { event.preventDefault(); submitOutcome(); });

    var action = function (buttonId, path, confirmText) {
      document.getElementById(buttonId).addEventListener("click", function () {
        if (confirmText && !window.confirm(confirmText)) return;
        api("POST", "/console/api/handoffs/" + id + "/" + path).then(function (response) {
          if (response.status === 200) {
            if (path === "release") window.location.href = page.dataset.queueUrl;
            else refresh();
            if (response.data.gate) {
              refusedBox.hidden = false;
              refusedBox.replaceChildren(el("p", { class: "refused", text: "Handed back; the notice was " + gateText(response.data.gate).charAt(0).toLowerCase() + gateText(response.data.gate).slice(1) }));
            }
          } else {
            document.getElementById("banner").textContent = response.data.error || "Not done";
          }
        });
      });
    };
    action("hand-back", "hand-back", null);
    action("close", "close", "Close this conversation? The borrower's next message starts a new one with the bot.");
    action("release", "release", null);
  }

  window.RepayConsole = { describeOutcome: describeOutcome };
})();
