/* Mechanic pages: connection indicator, new-request notifications, the intake dialog, print.
   Toasts, dialogs and poll pacing are ui.js's. Everything here is an enhancement: without it
   every action is a plain form post. */
(function () {
  "use strict";

  var body = document.body;

  function toast(message, level) {
    if (window.AutoDoctor && window.AutoDoctor.toast) window.AutoDoctor.toast(message, level);
  }

  // --- clicks: print, refresh ---------------------------------------------------------------
  document.addEventListener("click", function (e) {
    var target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    if (target.closest("[data-print]")) {
      window.print();
      return;
    }
    if (target.closest("#refresh-button") && window.htmx) {
      e.preventDefault();
      refreshEverything();
    }
  });

  function refreshEverything() {
    if (!window.htmx) return;
    htmx.trigger(body, "dashboard-changed");
    var pulse = document.getElementById("pulse");
    if (pulse) htmx.trigger(pulse, "poll-now");
  }

  // The queue panel sends the panel token of the newest pulse: with it, a refresh right after
  // a change is answered from the shared cache (mechanics.dashboard.shared_queue_panel).
  body.addEventListener("htmx:configRequest", function (e) {
    var pulse = document.getElementById("pulse");
    if (e.detail.elt && e.detail.elt.id === "panel-tablist" && pulse && pulse.dataset.panelToken) {
      e.detail.parameters.pt = pulse.dataset.panelToken;
    }
  });

  // The intake opens in a dialog once htmx has loaded it; a form posted from a dialog closes it.
  body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "intake-dialog-body") {
      var dialog = document.getElementById("intake-dialog");
      if (dialog && !dialog.open && typeof dialog.showModal === "function") dialog.showModal();
    }
  });
  body.addEventListener("htmx:afterRequest", function (e) {
    var dialog = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("dialog");
    if (dialog && dialog.open && e.detail.elt.tagName === "FORM") dialog.close();
  });

  // A panel request that ended on the login page means the sign-in expired: go there.
  body.addEventListener("htmx:beforeSwap", function (e) {
    var url = e.detail.xhr && e.detail.xhr.responseURL;
    if (url && url.indexOf("/accounts/login/") !== -1) {
      e.detail.shouldSwap = false;
      window.location.href = "/accounts/login/?next=" + encodeURIComponent(location.pathname + location.search);
    }
  });

  // --- connection indicator -----------------------------------------------------------------
  // "Live": the push stream is open (polls are only the safety net). "Live · updated N s ago":
  // no stream here (a WSGI-only deploy), the 2 s polls keep the page current. "Reconnecting…
  // · updated N s ago": the stream dropped, the 2 s polls cover until it is back.
  // "Reconnecting…": the polls fail too. "Paused while hidden": the tab closed its stream after
  // a minute out of sight (live.js); it reopens and catches up when the tab is shown.
  var indicator = document.getElementById("live-indicator");
  var lastOk = Date.now();
  var failing = false;

  function renderIndicator() {
    if (!indicator || !document.getElementById("pulse")) return;
    indicator.hidden = false;
    var live = window.AutoDoctor && window.AutoDoctor.live;
    if (live && live.paused) { // the tab was hidden for a while: its stream is closed until it is shown
      indicator.setAttribute("data-state", "paused");
      indicator.setAttribute("data-mode", "push");
      indicator.textContent = "Paused while hidden";
      return;
    }
    if (live && live.open) {
      indicator.setAttribute("data-state", "live");
      indicator.setAttribute("data-mode", "push");
      indicator.textContent = "Live";
      return;
    }
    indicator.setAttribute("data-mode", "poll");
    if (failing) {
      indicator.setAttribute("data-state", "reconnecting");
      indicator.textContent = "Reconnecting…";
      return;
    }
    var seconds = Math.max(0, Math.round((Date.now() - lastOk) / 1000));
    var streamDown = live && live.everOpen;
    indicator.setAttribute("data-state", streamDown ? "reconnecting" : "live");
    indicator.textContent = (streamDown ? "Reconnecting… · updated " : "Live · updated ") + seconds + " s ago";
  }
  function pulseFinished(e, ok) {
    var elt = e.detail && e.detail.elt;
    if (!elt || elt.id !== "pulse") return;
    if (ok) lastOk = Date.now();
    failing = !ok;
    renderIndicator();
  }
  body.addEventListener("htmx:afterRequest", function (e) { pulseFinished(e, !!e.detail.successful); });
  body.addEventListener("htmx:sendError", function (e) { pulseFinished(e, false); });
  body.addEventListener("htmx:timeout", function (e) { pulseFinished(e, false); });
  // The server asked every poll to wait (a 503 with Retry-After, see ui.js): say so until a pulse gets through.
  body.addEventListener("live-state", function () { renderIndicator(); });
  body.addEventListener("polls-paused", function () {
    failing = true;
    renderIndicator();
  });
  if (indicator) {
    // The live text only changes once a second; keep it out of the screen reader's way.
    indicator.setAttribute("aria-live", "off");
    renderIndicator();
    setInterval(renderIndicator, 1000);
  }

  // Polls pause while the tab is hidden; catch up at once when it is shown again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    var pulse = document.getElementById("pulse");
    if (pulse) htmx.trigger(pulse, "poll-now");
  });

  // --- new requests: toast and (if allowed) a browser notification --------------------------
  var notifyButton = document.getElementById("enable-notifications");
  var canNotify = "Notification" in window;

  function notificationsOn() {
    return canNotify && Notification.permission === "granted";
  }
  if (notifyButton && canNotify && Notification.permission === "default") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(function (permission) {
        notifyButton.hidden = true;
        toast(permission === "granted" ? "Browser notifications are on." : "Notifications were not allowed.",
              permission === "granted" ? "success" : "warning");
      });
    });
  }

  function isAvailable() {
    var stats = document.getElementById("panel-stats");
    return !stats || stats.getAttribute("data-available") !== "0";
  }

  function announce(text) {
    toast(text, "info");
    // Away mechanics still see the queue but get no notifications (SPEC §2).
    if (notificationsOn() && isAvailable()) {
      try { new Notification("Auto Doctor: new request", { body: text, tag: "autodoctor-queue" }); } catch (err) { /* some browsers allow only service-worker notifications */ }
    }
  }

  var seenAssignments = new Set();
  var newestSeen = 0;

  function queueItems(root) {
    return Array.prototype.slice.call((root || document).querySelectorAll("[data-assignment-id]"));
  }
  function newestInStats() {
    var stats = document.getElementById("panel-stats");
    return stats ? parseInt(stats.getAttribute("data-queue-newest") || "0", 10) : 0;
  }
  queueItems().forEach(function (li) { seenAssignments.add(li.getAttribute("data-assignment-id")); });
  newestSeen = newestInStats();

  body.addEventListener("htmx:load", function (e) {
    var elt = e.detail && e.detail.elt;
    if (!elt || !elt.id) return;
    if (elt.id === "panel-tablist" && elt.querySelector("[data-queue]")) {
      var fresh = queueItems(elt).filter(function (li) { return !seenAssignments.has(li.getAttribute("data-assignment-id")); });
      fresh.forEach(function (li) { seenAssignments.add(li.getAttribute("data-assignment-id")); });
      if (fresh.length === 1) announce("New " + fresh[0].getAttribute("data-label") + ".");
      else if (fresh.length > 1) announce(fresh.length + " new requests in the queue.");
    }
    if (elt.id === "panel-stats") {
      var newest = newestInStats();
      // On the other tabs the queue list is not on the page: the stats card tells us instead.
      if (newest > newestSeen && !document.querySelector("[data-queue]")) announce("A new request is waiting in the queue.");
      newestSeen = Math.max(newestSeen, newest);
    }
  });
})();
