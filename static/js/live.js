/* Live push: one event stream per tab (the #live-stream element; htmx's SSE extension opens it).
   A hint ("the queue changed", "your session changed", "message 123") only makes the page ask
   its usual, authorised views now instead of at the next poll:
     - the mechanic dashboard's pulse (which refreshes the panels when the version moved),
     - the customer's banner and the room's status panel (the session-changed event),
     - the room's chat (chat-refresh).
   While the stream is open the polls run only as a slow safety net (ui.js reads
   AutoDoctor.live.open and safetyNetMs); while it is down they run at their own pace again.
   The pages hear "live-state" on body when the stream opens or drops. */
(function () {
  "use strict";
  var AD = (window.AutoDoctor = window.AutoDoctor || {});
  var body = document.body;
  var live = (AD.live = {
    open: false,
    everOpen: false,
    version: null, // the state version of the newest hint (the SSE event id)
    safetyNetMs: window.AutoDoctorSafetyNetMs || 30000,
  });

  function setOpen(open) {
    if (live.open === open) return;
    live.open = open;
    if (open) live.everOpen = true;
    body.dataset.live = open ? "open" : "down"; // also what a test (or a stylesheet) can read
    body.dispatchEvent(new CustomEvent("live-state", { detail: { open: open } }));
  }

  function refresh(kind) {
    if (!window.htmx) return;
    var pulse = document.getElementById("pulse");
    if (pulse) htmx.trigger(pulse, "poll-now");
    if (kind !== "message") htmx.trigger(body, "session-changed");
    if (kind !== "queue" && kind !== "work" && document.getElementById("chat-poller")) htmx.trigger(body, "chat-refresh");
  }

  var heard = new WeakSet();
  body.addEventListener("htmx:sseOpen", function (e) {
    var source = e.detail && e.detail.source;
    if (source && !heard.has(source)) {
      heard.add(source);
      source.addEventListener("hint", function (message) {
        if (message.lastEventId) live.version = message.lastEventId;
        var hint = {};
        try { hint = JSON.parse(message.data) || {}; } catch (err) { /* a hint we cannot read: refresh all */ }
        if (hint.kind === "signal") { // issue 11 (calls): call.js fetches its pending signals
          body.dispatchEvent(new CustomEvent("call-signal"));
          return;
        }
        refresh(hint.kind || "refetch");
      });
    }
    setOpen(true);
  });
  body.addEventListener("htmx:sseError", function () { setOpen(false); });
  body.addEventListener("htmx:sseClose", function () { setOpen(false); });

  // The polls the hints trigger name the version they heard of, so the server does not answer
  // them "nothing changed" from a version it remembered a moment earlier (sessions_app.live).
  body.addEventListener("htmx:configRequest", function (e) {
    var elt = e.detail.elt;
    if (live.version && elt && (elt.id === "pulse" || elt.id === "session-banner") && e.detail.verb === "get") {
      e.detail.parameters.lv = live.version;
    }
  });
})();
