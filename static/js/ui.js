/* Every page: toasts, dialogs, and polls that behave. Loaded by base.html before the page
   scripts; everything here is an enhancement (without it links and forms are plain pages).

   Dialogs: data-dialog-open="<id>" on a link or button opens that <dialog>;
            data-dialog-close on a button closes the dialog it is in.
   Toasts:  an HX-Trigger {"toast": {"message", "level"}} or AutoDoctor.toast(message, level).
   Polls:   an element whose hx-trigger says "every" is a poll. Its timer runs only while the
            tab is visible, and every poll pauses for Retry-After seconds after a 503 (the
            page hears "polls-paused" on body). While the page's live stream is open (live.js)
            a poll's timer fires at most once per AutoDoctor.live.safetyNetMs (about 30 s):
            the hints trigger the polls at once, the timer is only the safety net. */
(function () {
  "use strict";
  var AD = (window.AutoDoctor = window.AutoDoctor || {});
  var body = document.body;

  // --- toasts -------------------------------------------------------------------------------
  // A toast never covers what the page marks to avoid (the lock message, Accept buttons,
  // [data-toast-avoid]): the stack goes to the bottom corner, else to the top, else into the
  // page's flow under the header, where it covers nothing. Each can be dismissed; #toasts is a
  // polite live region (errors are alerts).
  var TOAST_MS = 7000;
  var AVOID = ".lock, .request-accept, [data-toast-avoid]";

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function placeToasts() {
    var box = document.getElementById("toasts");
    if (!box || !box.children.length) return;
    var avoid = Array.prototype.slice.call(document.querySelectorAll(AVOID)).map(function (el) {
      return el.getBoundingClientRect();
    }).filter(function (r) { return r.width > 0 && r.height > 0; });
    var places = ["", "toasts-top"];
    for (var i = 0; i < places.length; i++) {
      box.classList.remove("toasts-top", "toasts-inline");
      if (places[i]) box.classList.add(places[i]);
      var rect = box.getBoundingClientRect();
      if (!avoid.some(function (r) { return overlaps(rect, r); })) return;
    }
    box.classList.remove("toasts-top");
    box.classList.add("toasts-inline");
  }
  AD.placeToasts = placeToasts;
  var placing = false;
  function placeSoon() {
    if (placing) return;
    placing = true;
    window.requestAnimationFrame(function () { placing = false; placeToasts(); });
  }
  window.addEventListener("scroll", placeSoon, { passive: true });
  window.addEventListener("resize", placeSoon);
  body.addEventListener("htmx:load", placeSoon);

  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    if (level === "error") el.setAttribute("role", "alert"); // the others: #toasts is a polite live region
    var text = document.createElement("span");
    text.className = "toast-text";
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "\u00d7";
    close.addEventListener("click", function () { el.remove(); placeToasts(); });
    el.appendChild(text);
    el.appendChild(close);
    box.appendChild(el);
    placeToasts();
    setTimeout(function () { el.remove(); placeToasts(); }, TOAST_MS);
  }
  AD.toast = toast;
  body.addEventListener("toast", function (e) {
    var detail = e.detail || {};
    toast(detail.message, detail.level);
  });

  // --- header navigation: a Menu button folds the links at phone width ----------------------
  var nav = document.querySelector("[data-nav]");
  var navToggle = nav && nav.querySelector(".nav-toggle");
  if (nav && navToggle) {
    nav.classList.add("nav-collapsible");
    navToggle.hidden = false;
    navToggle.addEventListener("click", function () {
      var open = navToggle.getAttribute("aria-expanded") !== "true";
      navToggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("nav-open", open);
    });
    nav.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && nav.classList.contains("nav-open")) {
        navToggle.setAttribute("aria-expanded", "false");
        nav.classList.remove("nav-open");
        navToggle.focus();
      }
    });
  }

  // --- dialogs ------------------------------------------------------------------------------
  document.addEventListener("click", function (e) {
    var target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    var opener = target.closest("[data-dialog-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (dialog && typeof dialog.showModal === "function") {
        e.preventDefault();
        dialog.showModal();
        var keep = dialog.querySelector("[data-dialog-close]"); // the safe choice has the focus
        if (keep) keep.focus();
      }
      return;
    }
    var closer = target.closest("[data-dialog-close]");
    var open = closer && closer.closest("dialog");
    if (open) open.close();
  });

  // --- polls --------------------------------------------------------------------------------
  var RETRY_DEFAULT_SECONDS = 10;
  var RETRY_MAX_SECONDS = 300;
  var pausedUntil = 0;
  var lastAsked = {}; // poll (id or URL) -> when it last went out

  function pollKey(elt) {
    return elt.id || (elt.getAttribute("hx-get") || "").split("?")[0];
  }

  function isPoll(elt) {
    var trigger = elt && elt.getAttribute && elt.getAttribute("hx-trigger");
    return !!trigger && /(^|,)\s*every\s/.test(trigger);
  }

  function retryAfterSeconds(header) {
    var seconds = parseInt(header || "", 10);
    if (isNaN(seconds)) {
      var at = Date.parse(header || ""); // Retry-After may also be an HTTP date
      seconds = isNaN(at) ? RETRY_DEFAULT_SECONDS : Math.ceil((at - Date.now()) / 1000);
    }
    return Math.min(Math.max(seconds, 1), RETRY_MAX_SECONDS);
  }

  body.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    if (!isPoll(elt)) return;
    // A timer tick has no triggering event; an event (poll-now, a change) asks on purpose.
    var tick = !(e.detail.requestConfig && e.detail.requestConfig.triggeringEvent);
    if (Date.now() < pausedUntil || (tick && document.visibilityState !== "visible")) {
      e.preventDefault();
      return;
    }
    var key = pollKey(elt);
    var live = AD.live;
    if (tick && live && live.open && Date.now() - (lastAsked[key] || 0) < live.safetyNetMs) {
      e.preventDefault(); // pushed hints ask on purpose; the timer is only the safety net
      return;
    }
    lastAsked[key] = Date.now();
  });

  body.addEventListener("htmx:afterRequest", function (e) {
    var xhr = e.detail.xhr;
    if (!xhr || xhr.status !== 503) return;
    var until = Date.now() + retryAfterSeconds(xhr.getResponseHeader("Retry-After")) * 1000;
    pausedUntil = Math.max(pausedUntil, until);
    body.dispatchEvent(new CustomEvent("polls-paused", { detail: { until: pausedUntil } }));
  });
})();
