/* Auto Doctor customer pages and session rooms: small progressive enhancements.
   Everything works without this file; it adds the banner's token and chat niceties
   (toasts and dialogs are ui.js's). */
(function () {
  "use strict";
  if (window.AutoDoctor && window.AutoDoctor.customerReady) return;
  const AD = (window.AutoDoctor = window.AutoDoctor || {});
  AD.customerReady = true;

  AD.lastMessageId = function () {
    const items = document.querySelectorAll("#chat-log > li[data-id]");
    let last = 0;
    items.forEach(function (li) { last = Math.max(last, parseInt(li.dataset.id, 10) || 0); });
    return last;
  };

  /* A message can arrive twice (a poll and a refresh racing): keep the first copy only. */
  function dedupeChat() {
    const log = document.getElementById("chat-log");
    if (!log) return;
    const seen = new Set();
    let added = false;
    log.querySelectorAll(":scope > li[data-id]").forEach(function (li) {
      if (seen.has(li.dataset.id)) { li.remove(); } else { seen.add(li.dataset.id); added = true; }
    });
    if (added && log.dataset.count !== String(seen.size)) {
      log.dataset.count = String(seen.size);
      log.scrollTop = log.scrollHeight;
    }
  }

  /* The banner's poll carries its state token (data-token): with it an unchanged poll is
     answered before session, user or customer are loaded. A 204 that says something else
     changed hands over a fresh one (the banner-token event). */
  document.body.addEventListener("banner-token", function (event) {
    const banner = document.getElementById("session-banner");
    if (banner && event.detail && event.detail.t) banner.dataset.token = event.detail.t;
  });
  /* The chat poll asks only for messages after the newest one on the page. */
  document.body.addEventListener("htmx:configRequest", function (event) {
    const elt = event.detail.elt;
    if (elt && elt.id === "session-banner" && elt.dataset.token && event.detail.verb === "get") {
      event.detail.parameters.t = elt.dataset.token;
    }
    if (elt && elt.id === "chat-poller") event.detail.parameters.after = AD.lastMessageId();
  });

  /* A message sent: empty the composer for the next one. */
  document.body.addEventListener("htmx:afterRequest", function (event) {
    const elt = event.detail.elt;
    if (event.detail.successful && elt instanceof HTMLFormElement && elt.classList.contains("chat-form")) {
      elt.reset();
    }
  });

  /* Enter sends a chat message, Shift+Enter adds a line. */
  document.addEventListener("keydown", function (event) {
    const area = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (!(area instanceof HTMLTextAreaElement) || !area.closest(".chat-form")) return;
    event.preventDefault();
    if (area.value.trim()) area.form.requestSubmit();
  });

  document.addEventListener("DOMContentLoaded", function () {
    dedupeChat();
    const log = document.getElementById("chat-log");
    if (log) log.scrollTop = log.scrollHeight;
  });

  if (document.body) { init(); } else { document.addEventListener("DOMContentLoaded", init); }

  function init() {
    const body = document.body;
    /* Do not replace the banner while its confirmation dialog is open (a poll would close it). */
    body.addEventListener("htmx:beforeSwap", function (event) {
      const target = event.detail.target;
      if (target && target.id === "session-banner" && target.querySelector("dialog[open]") &&
          event.detail.requestConfig && event.detail.requestConfig.verb === "get") {
        event.detail.shouldSwap = false;
      }
    });
    body.addEventListener("htmx:oobAfterSwap", dedupeChat);
    body.addEventListener("htmx:afterSettle", dedupeChat);
  }
})();
