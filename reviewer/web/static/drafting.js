/* Live policy checks in the reply editor (progressive enhancement).
 *
 * A form marked data-live-check posts its text to the check endpoint (JSON,
 * CSRF token in the X-CSRFToken header) about 300 ms after the person stops
 * typing, then redraws the decision, the findings and the highlighted mirror.
 * From the first keystroke until the answer for the text now in the box, the
 * panel says "Checking…" (aria-busy) and the mirror shows the typed words
 * unmarked: it never shows an answer about text that is gone. Every keystroke
 * takes a sequence number; an answer for an older number (out of order, or
 * overtaken by more typing) is dropped and counted in data-live-dropped.
 * Text is only ever placed with textContent: drafts may hold HTML on purpose.
 * Without this script the form still works: the server checks on save/submit.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 300;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function actionText(finding) {
    if (finding.action === "block") return "blocks";
    if (finding.action === "review") return "needs approval" + (finding.route ? " by " + finding.route : "");
    return "note";
  }

  function renderDecision(node, data) {
    if (!node) return;
    node.className = "decision decision-" + (data ? data.decision : "none");
    node.replaceChildren(el("span", "decision-label", data ? data.label : "Not checked yet"));
  }

  function renderFindings(list, findings) {
    if (!list) return;
    var prefix = list.getAttribute("data-prefix") || "";
    var items = (findings || []).map(function (f) {
      var item = el("li", "finding finding-" + f.action);
      var ref = el("span", "finding-ref", prefix + f.number);
      ref.setAttribute("aria-hidden", "true");
      var body = el("div", "finding-body");
      var head = el("p", "finding-head");
      head.append(el("strong", "finding-title", f.title || f.rule), " ", el("span", "tag sev sev-" + f.severity, f.severity), " ",
        el("span", "finding-action", actionText(f)));
      if (!f.spans || f.spans.length === 0) head.append(" ", el("span", "hint", "(about the whole text)"));
      body.append(head, el("p", "finding-message", f.message));
      if (f.also && f.also.length) {
        body.append(el("p", "finding-also hint", "Also: " + f.also.map(function (a) { return a.title; }).join("; ") + "."));
      }
      var source = el("p", "finding-source", "Policy: " + f.source + " ");
      source.append(el("code", "finding-rule", (f.rules && f.rules.length ? f.rules : [f.rule]).join(", ")));
      body.append(source);
      item.append(ref, body);
      return item;
    });
    list.replaceChildren.apply(list, items);
  }

  function renderSegments(mirror, segments) {
    if (!mirror) return;
    var prefix = mirror.getAttribute("data-prefix") || "";
    var nodes = (segments || []).map(function (seg) {
      if (!seg.marks || seg.marks.length === 0) return document.createTextNode(seg.text);
      var mark = el("mark", "hl hl-" + seg.action);
      mark.title = seg.marks.map(function (m) { return m.rule + ": " + m.message; }).join("; ");
      var ref = el("sup", "hl-ref");
      ref.append(el("span", "visually-hidden", " (finding "),
        seg.marks.map(function (m) { return prefix + m.number; }).join(","),
        el("span", "visually-hidden", ")"));
      mark.append(el("span", "hl-text", seg.text), ref);
      return mark;
    });
    mirror.replaceChildren.apply(mirror, nodes);
  }

  function renderCount(node, text) {
    if (!node) return;
    var count = Array.from(text).length; // code points, as the policy counts
    var limit = parseInt(node.getAttribute("data-limit"), 10);
    if (!limit) { node.textContent = count + " characters"; return; }
    var words = count + " of " + limit + " characters (" + node.getAttribute("data-platform") + ")";
    node.textContent = count > limit ? words + ": " + (count - limit) + " over the limit" : words;
    node.classList.toggle("is-over", count > limit);
  }

  function renderSubmit(button, reason, outcome, decision, backTo) {
    if (!button) return;
    button.value = outcome ? outcome.label : "Submit";
    if (decision === "pass" && backTo) button.value = "Send back to " + backTo + " for approval";
    button.disabled = Boolean(outcome && outcome.blocked);
    if (reason) {
      reason.textContent = outcome && outcome.blocked ? outcome.blocked : "";
      reason.classList.toggle("is-empty", !(outcome && outcome.blocked));
    }
  }

  function setStatus(node, text, isError) {
    if (!node) return;
    node.textContent = text;
    node.classList.toggle("is-error", Boolean(isError));
  }

  function attach(form) {
    var textarea = form.querySelector("textarea[name='text']");
    if (!textarea) return;
    var url = form.getAttribute("data-check-url");
    var accountId = parseInt(form.getAttribute("data-account-id"), 10);
    var inboundAttr = form.getAttribute("data-inbound-id");
    var inboundId = inboundAttr ? parseInt(inboundAttr, 10) : null;
    var tokenInput = form.querySelector("input[name='csrf_token']");
    var status = form.querySelector("[data-live='status']");
    var live = {
      decision: document.querySelector("[data-live='decision']"),
      findings: document.querySelector("[data-live='findings-draft']"),
      contextBox: document.querySelector("[data-live='context']"),
      contextFindings: document.querySelector("[data-live='findings-in_reply_to']"),
      mirror: document.querySelector("[data-live='mirror-draft']"),
      inboundMirror: document.querySelector("[data-live='mirror-in_reply_to']"),
      count: form.querySelector("[data-live='count']"),
      submit: document.querySelector("[data-live='submit']"),
      submitReason: document.querySelector("[data-live='submit-reason']")
    };
    var backTo = form.getAttribute("data-back-to") || ""; // a returned draft goes back to who returned it
    var panel = form.closest(".editor-grid") ? form.closest(".editor-grid").querySelector(".live-panel") : null;
    var timer = null;
    var sequence = 0; // the latest keystroke's number: only its answer is drawn
    var dropped = 0;

    function busy(on) {
      if (panel) panel.setAttribute("aria-busy", on ? "true" : "false");
    }

    function outOfDate() {
      sequence += 1;
      if (live.decision) {
        live.decision.className = "decision decision-checking";
        live.decision.replaceChildren(el("span", "decision-label", "Checking…"));
      }
      renderSegments(live.mirror, [{ text: textarea.value, marks: [] }]);
      renderCount(live.count, textarea.value);
      renderSubmit(live.submit, live.submitReason, null); // the server checks again on submit
      busy(true);
      setStatus(status, "Out of date: checking what you typed…", false);
    }

    function drop() {
      dropped += 1;
      form.setAttribute("data-live-dropped", String(dropped));
    }

    function draw(data, text) {
      renderDecision(live.decision, data);
      renderFindings(live.findings, data ? data.findings : []);
      renderFindings(live.contextFindings, data ? data.context_findings : []);
      if (live.contextBox) live.contextBox.classList.toggle("is-empty", !data || data.context_findings.length === 0);
      renderSegments(live.mirror, data ? data.segments : [{ text: text, marks: [] }]);
      if (data && data.inbound_segments) renderSegments(live.inboundMirror, data.inbound_segments);
      renderSubmit(live.submit, live.submitReason, data ? data.submit : null, data ? data.decision : null, backTo);
    }

    function check() {
      var text = textarea.value;
      var mine = sequence;
      if (text.trim() === "") {
        draw(null, text);
        busy(false);
        setStatus(status, "Write your reply: it is checked as you type.", false);
        return;
      }
      var headers = { "Content-Type": "application/json", "Accept": "application/json" };
      if (tokenInput && tokenInput.value) headers["X-CSRFToken"] = tokenInput.value;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: headers,
        body: JSON.stringify({ account_id: accountId, text: text, inbound_id: inboundId })
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          throw new Error(response.status === 400 ? "the page has expired: reload it" : "status " + response.status);
        }
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.error || "status " + response.status);
          return body;
        });
      }).then(function (data) {
        if (mine !== sequence) { drop(); return; } // the text changed since: its own answer is coming
        draw(data, text);
        busy(false);
        setStatus(status, "Checked as you type. The server checks again when you save or submit.", false);
      }).catch(function (error) {
        if (mine !== sequence) { drop(); return; }
        draw(null, text);
        busy(false);
        setStatus(status, "Live check unavailable (" + error.message + "); your text is still checked when you save or submit.", true);
      });
    }

    textarea.addEventListener("input", function () {
      outOfDate();
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, DEBOUNCE_MS);
    });
    form.setAttribute("data-live-ready", "true");
    if (textarea.value.trim() !== "") { outOfDate(); check(); }
  }

  function start() {
    var forms = document.querySelectorAll("form[data-live-check]");
    for (var i = 0; i < forms.length; i++) attach(forms[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
