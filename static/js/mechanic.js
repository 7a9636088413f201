/* Mechanic pages: connection indicator, new-request notifications, the intake dialog, print.
   Toasts, dialogs and poll pacing are ui.js's. Everything here is an enhancement: without it
   every action is a plain form post. */
(function () {
  "use strict";
  // Loaded by the dashboard and by the banner on every other mechanic page: once is enough.
  var AD = (window.AutoDoctor = window.AutoDoctor || {});
  if (AD.mechanicReady) return;
  AD.mechanicReady = true;

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
    // The banner's poll brings its state token (an unchanged poll is answered before anything
    // loads) and the version the live stream last announced (see live.js).
    var elt = e.detail.elt;
    if (elt && elt.id === "mechanic-banner" && e.detail.verb === "get") {
      if (elt.dataset.token) e.detail.parameters.t = elt.dataset.token;
      if (AD.live && AD.live.version) e.detail.parameters.lv = AD.live.version;
    }
  });
  body.addEventListener("mechanic-banner-token", function (e) {
    var banner = document.getElementById("mechanic-banner");
    if (banner && e.detail && e.detail.t) banner.dataset.token = e.detail.t;
  });

  // --- "Updated 14:03:12": when the panels last came back ----------------------------------
  var PANELS = ["panel-stats", "my-active-work", "panel-tabnav", "panel-tablist"];
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function stampRefreshed() {
    var stamp = document.getElementById("refreshed-at");
    if (!stamp) return;
    var now = new Date();
    stamp.textContent = "Updated " + two(now.getHours()) + ":" + two(now.getMinutes()) + ":" + two(now.getSeconds());
  }
  stampRefreshed();
  body.addEventListener("htmx:load", function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && PANELS.indexOf(elt.id) !== -1) stampRefreshed();
  });

  // --- the filters: folded behind "Filter" on a phone, open on a wide screen -----------------
  var filterToggle = document.querySelector("details[data-open-wide]");
  if (filterToggle && window.matchMedia && window.matchMedia("(min-width: 641px)").matches) filterToggle.open = true;

  // --- focus survives a panel swap ---------------------------------------------------------
  // The panels are replaced whole after a change; the element that had the focus goes with its
  // panel. Put it back: the same element if it is still there (same id, or same text in the
  // same session's card), else the first control of that card, else the panel itself.
  var FOCUS_PANELS = PANELS.concat(["mechanic-banner"]);
  var lastFocus = null;

  function panelOf(el) {
    for (var node = el; node && node !== body; node = node.parentElement) {
      if (node.id && FOCUS_PANELS.indexOf(node.id) !== -1) return node;
    }
    return null;
  }
  document.addEventListener("focusin", function (e) {
    var el = e.target instanceof Element ? e.target : null;
    var panel = el && panelOf(el);
    if (!panel) return;
    var card = el.closest("[data-session-id]");
    lastFocus = {
      panel: panel.id,
      id: el.id || "",
      tag: el.tagName,
      text: (el.textContent || "").trim(),
      session: card ? card.getAttribute("data-session-id") : "",
    };
  });

  function focusable(root) {
    return root.querySelector("a[href], button:not([disabled]), summary, textarea, input:not([type=hidden]), select");
  }
  function restoreFocus(panel) {
    var memo = lastFocus;
    if (!memo || memo.panel !== panel.id) return;
    var active = document.activeElement;
    if (active && active !== body && document.contains(active)) return; // focus is still somewhere real
    var target = memo.id ? document.getElementById(memo.id) : null;
    var card = memo.session ? panel.querySelector('[data-session-id="' + memo.session + '"]') : null;
    if (!target && (card || !memo.session)) {
      var same = Array.prototype.filter.call((card || panel).querySelectorAll(memo.tag), function (el) {
        return (el.textContent || "").trim() === memo.text;
      });
      target = same[0] || (card && focusable(card));
    }
    if (!target || !panel.contains(target)) target = panel;
    if (target === panel && !panel.hasAttribute("tabindex")) panel.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }
  body.addEventListener("htmx:load", function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.id && FOCUS_PANELS.indexOf(elt.id) !== -1 && document.contains(elt)) restoreFocus(elt);
  });
  // An action's button is disabled while it posts, which drops the focus to the page; the
  // panel swap that follows puts it back (above). Do not replace a panel while its summary is
  // being typed.
  // Nor while one of its forms is posting: htmx drops the answer of a form that left the page,
  // and with it the toast and the refresh the answer asks for (the refresh comes anyway).
  body.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail.target;
    var active = document.activeElement;
    if (!target || !e.detail.requestConfig || e.detail.requestConfig.verb !== "get") return;
    var typing = active && active.tagName === "TEXTAREA" && target.contains(active);
    if (typing || target.querySelector("form.htmx-request")) {
      e.detail.shouldSwap = false;
      return;
    }
    rememberOpen(target);
  });

  // A "Complete…" the mechanic opened stays open through a refresh, with what they typed.
  var openBefore = {}; // panel id -> [{session, text}]
  function rememberOpen(panel) {
    if (!panel.id || FOCUS_PANELS.indexOf(panel.id) === -1) return;
    openBefore[panel.id] = Array.prototype.map.call(panel.querySelectorAll("[data-session-id] details.complete[open]"), function (d) {
      var area = d.querySelector("textarea");
      return { session: d.closest("[data-session-id]").getAttribute("data-session-id"), text: area ? area.value : "" };
    });
  }
  body.addEventListener("htmx:load", function (e) {
    var elt = e.detail && e.detail.elt;
    var kept = elt && elt.id && openBefore[elt.id];
    if (!kept) return;
    delete openBefore[elt.id];
    kept.forEach(function (k) {
      var d = elt.querySelector('[data-session-id="' + k.session + '"] details.complete');
      if (!d) return; // the session moved on: nothing to complete any more
      d.open = true;
      var area = d.querySelector("textarea");
      if (area && !area.value) area.value = k.text;
    });
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
