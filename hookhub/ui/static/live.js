// Live tail of an integration's history (server-sent events; hookhub/ui/live.py).
// Builds rows with textContent only: nothing from the server is parsed as HTML.
"use strict";
(function () {
  var state = document.getElementById("live-state");
  var table = document.getElementById("history");
  if (!state || !table || !window.EventSource) { return; }
  var body = table.tBodies[0];

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    if (text !== null && text !== undefined) { td.textContent = String(text); }
    row.appendChild(td);
    return td;
  }

  function badge(status) {
    var span = document.createElement("span");
    span.className = "badge " + (status === null ? "" : status < 300 ? "ok" : status < 500 ? "warn" : "bad");
    span.textContent = status === null ? "–" : String(status);
    return span;
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;  // a path built by the server under /ui/
    a.textContent = text;
    return a;
  }

  var source = new EventSource(state.getAttribute("data-src"));
  source.onopen = function () { state.textContent = "live tail: on"; state.className = "live on"; };
  source.onerror = function () { state.textContent = "live tail: reconnecting…"; state.className = "live"; };
  source.addEventListener("history", function (ev) {
    var e = JSON.parse(ev.data);
    if (body.querySelector('tr[data-id="' + CSS.escape(e.id) + '"]')) { return; }
    var row = document.createElement("tr");
    row.setAttribute("data-id", e.id);
    row.className = "new";
    cell(row, null, "nowrap").appendChild(link(e.href, e.ts));
    cell(row, e.kind + (e.step ? " " + e.step : ""));
    cell(row, null).appendChild(badge(e.status));
    cell(row, (e.duration_ms || 0).toFixed(1) + " ms", "num");
    var messages = cell(row, null, "nowrap");
    if (e.messages) { messages.appendChild(link(e.href + "#messages", e.messages + " message(s)")); }
    var lines = (e.error || "").split("\n").filter(function (l) { return l.trim(); });
    cell(row, lines.length ? lines[lines.length - 1].trim().slice(0, 140) : "", "error");
    cell(row, null).appendChild(link(e.href, "detail"));
    body.insertBefore(row, body.firstChild);
    var empty = document.getElementById("no-history");
    if (empty) { empty.remove(); }
  });
})();
