/* Live push: one event stream per tab (the #live-stream element; htmx's SSE extension opens it).
   A hint ("the queue changed", "your session changed", "message 123") only makes the page ask
   its usual, authorised views now instead of at the next poll:
     - the mechanic dashboard's pulse (which refreshes the panels when the version moved),
     - the customer's banner and the room's status panel (the session-changed event),
     - the room's chat (chat-refresh).
   While the stream is open the polls run only as a slow safety net (ui.js reads
   AutoDoctor.live.open and safetyNetMs); while it is down they run at their own pace again.
   A tab hidden for longer than hiddenCloseMs (about a minute) closes its stream (its polls do
   not tick while hidden either: ui.js); shown again, it opens a new one that names the last
   version it heard (?v=, as Last-Event-ID would), so the server's first event says "refetch"
   when anything changed meanwhile, and the page asks its views once either way.
   The pages hear "live-state" on body when the stream opens, drops or pauses
   (AutoDoctor.live.paused: closed on purpose while hidden). */
(function () {
  "use strict";
  var AD = (window.AutoDoctor = window.AutoDoctor || {});
  var body = document.body;
  var live = (AD.live = {
    open: false,
    everOpen: false,
    paused: false, // closed on purpose while the tab is hidden
    version: null, // the state version of the newest hint (the SSE event id)
    safetyNetMs: window.AutoDoctorSafetyNetMs || 30000,
    hiddenCloseMs: window.AutoDoctorHiddenCloseMs || 60000,
  });

  function announce() {
    body.dataset.live = live.paused ? "paused" : live.open ? "open" : "down"; // what a test (or a stylesheet) can read
    body.dispatchEvent(new CustomEvent("live-state", { detail: { open: live.open, paused: live.paused } }));
  }

  function setOpen(open) {
    if (live.open === open) return;
    live.open = open;
    if (open) live.everOpen = true;
    announce();
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

  // --- hidden tabs --------------------------------------------------------------------------
  var parked = null; // {element, parent, next}: the stream element taken out while hidden
  var hiddenTimer = null;
  // Every EventSource the SSE extension makes, so a pause can close them: taking the element
  // out of the page does not (htmx.remove runs no cleanup), and a reconnect timer the extension
  // had already set must not open a new one while paused.
  var sources = [];
  if (window.htmx && htmx.createEventSource) {
    var makeSource = htmx.createEventSource;
    htmx.createEventSource = function (url) {
      var source = makeSource(url);
      sources = sources.filter(function (s) { return s.readyState !== EventSource.CLOSED; });
      if (live.paused) source.close();
      else sources.push(source);
      return source;
    };
  }

  function pause() {
    hiddenTimer = null;
    var stream = document.getElementById("live-stream");
    if (document.visibilityState === "visible" || !stream || !window.htmx) return;
    parked = { element: stream.cloneNode(false), parent: stream.parentNode, next: stream.nextSibling };
    live.paused = true;
    htmx.remove(stream);
    sources.forEach(function (source) { source.close(); });
    sources = [];
    setOpen(false);
    announce();
  }

  function resume() {
    if (!parked || !window.htmx) return;
    var stream = parked.element;
    var url = stream.getAttribute("sse-connect").split("?")[0];
    var since = live.version || new URLSearchParams(stream.getAttribute("sse-connect").split("?")[1] || "").get("v");
    stream.setAttribute("sse-connect", since ? url + "?v=" + encodeURIComponent(since) : url);
    parked.parent.insertBefore(stream, parked.next && parked.next.parentNode === parked.parent ? parked.next : null);
    parked = null;
    live.paused = false;
    announce();
    htmx.process(stream); // opens the stream; its first event makes the page ask its views
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      if (hiddenTimer) clearTimeout(hiddenTimer);
      hiddenTimer = null;
      resume();
    } else if (!hiddenTimer && !parked) {
      hiddenTimer = setTimeout(pause, live.hiddenCloseMs);
    }
  });

  // The polls the hints trigger name the version they heard of, so the server does not answer
  // them "nothing changed" from a version it remembered a moment earlier (sessions_app.live).
  body.addEventListener("htmx:configRequest", function (e) {
    var elt = e.detail.elt;
    if (live.version && elt && (elt.id === "pulse" || elt.id === "session-banner") && e.detail.verb === "get") {
      e.detail.parameters.lv = live.version;
    }
  });
})();
