/* Auto Doctor customer pages and session rooms: small progressive enhancements.
   Everything works without this file; it adds dialogs, toasts, chat niceties. */
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

  function toast(message, level) {
    const box = document.getElementById("toasts");
    if (!box || !message) return;
    const el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    el.setAttribute("role", level === "error" ? "alert" : "status");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 5000);
  }
  AD.toast = AD.toast || toast;

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
  document.body.addEventListener("htmx:configRequest", function (event) {
    const elt = event.detail.elt;
    if (elt && elt.id === "session-banner" && elt.dataset.token && event.detail.verb === "get") {
      event.detail.parameters.t = elt.dataset.token;
    }
  });

  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.dialogOpen);
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        dialog.showModal();
        const cancel = dialog.querySelector("[data-dialog-close]");
        if (cancel) cancel.focus();
      }
      return;
    }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) dialog.close();
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
    body.addEventListener("toast", function (event) {
      const detail = event.detail || {};
      AD.toast(detail.message, detail.level);
    });
  }
})();
