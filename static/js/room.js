/* The session room: the session clock, presence (join / heartbeat / leave) and sharing photos and
   clips in the chat. Everything here is an enhancement: without it the clock shows the time left
   when the page was rendered, presence shows what it was, and the attach form posts as a plain
   multipart form.

   Clock:    [data-clock] counts down to data-ends-at (server time), corrected by the difference
             between the server's clock (data-server-now) and this browser's; a notice in
             #clock-notice (aria-live) at 5 minutes left and when overtime starts; overtime counts
             up ("+3:12 over"). Nothing hangs up.
   Presence: #presence[data-url] gets state=join on load (and when the stream opens or the page
             comes back from the back/forward cache), beat every 25 s while the page is open
             (hidden tabs too), leave on pagehide (navigator.sendBeacon, with the CSRF token in the
             form). Each answer is where the other side is, shown in #presence.
   Attach:   choosing a file in form[data-attach] uploads it at once (XMLHttpRequest, for the
             progress), with Accept: application/json; a refusal's sentence shows next to it. */
(function () {
  "use strict";
  var AD = (window.AutoDoctor = window.AutoDoctor || {});
  if (AD.roomReady) return;
  AD.roomReady = true;
  var body = document.body;
  body.classList.add("room-js");

  function csrfToken() {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (err) {
      return "";
    }
  }

  // --- the session clock ----------------------------------------------------------------------
  var FIVE_MINUTES = 300;
  var offsets = new WeakMap(); // clock element -> server time minus browser time (ms)
  var announced = {};

  function mmss(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function notice(key, text) {
    var box = document.getElementById("clock-notice");
    if (!box || announced[key]) return;
    announced[key] = true;
    box.textContent = text;
  }

  function tick() {
    document.querySelectorAll("[data-clock]").forEach(function (el) {
      if (!offsets.has(el)) {
        var server = Date.parse(el.dataset.serverNow || "");
        offsets.set(el, isNaN(server) ? 0 : server - Date.now());
      }
      var ends = Date.parse(el.dataset.endsAt || "");
      if (isNaN(ends)) return;
      var left = Math.floor((ends - (Date.now() + offsets.get(el))) / 1000);
      var text = el.querySelector("[data-clock-text]");
      if (text) text.textContent = left >= 0 ? mmss(left) + " left" : "+" + mmss(-left) + " over";
      el.classList.toggle("ending", left >= 0 && left <= FIVE_MINUTES);
      el.classList.toggle("overtime", left < 0);
      if (left >= 0 && left <= FIVE_MINUTES) {
        notice("five", "5 minutes left in this session.");
      } else if (left < 0) {
        notice("over", "The plan's time is up. The session continues in overtime until the mechanic completes it.");
      }
    });
  }
  tick();
  setInterval(tick, 1000);

  // --- presence -------------------------------------------------------------------------------
  var BEAT_MS = 25000;

  function presence(state) {
    var box = document.getElementById("presence");
    var url = box && box.dataset.url;
    if (!url) return;
    var data = new FormData();
    data.append("state", state);
    data.append("csrfmiddlewaretoken", csrfToken());
    if (state === "leave" && navigator.sendBeacon && navigator.sendBeacon(url, data)) return;
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
      keepalive: state === "leave",
    })
      .then(function (response) { return response.status === 200 ? response.text() : null; })
      .then(function (html) {
        if (html !== null && html.trim() !== box.innerHTML.trim()) box.innerHTML = html;
      })
      .catch(function () { /* offline: the next beat tries again */ });
  }

  var changedTimer = null;
  presence("join");
  setInterval(function () { presence("beat"); }, BEAT_MS);
  window.addEventListener("pagehide", function () { presence("leave"); });
  window.addEventListener("pageshow", function (e) { if (e.persisted) presence("join"); });
  body.addEventListener("live-state", function (e) { if (e.detail && e.detail.open) presence("beat"); });
  // A JOINED/LEFT event (or any change) of the session moves its version, so the status panel is
  // swapped in anew (by a hint or by its poll): ask where the other side is now.
  body.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (!target || target.id !== "room-status") return;
    clearTimeout(changedTimer);
    changedTimer = setTimeout(function () { presence("beat"); }, 200);
  });

  // --- photos and clips -----------------------------------------------------------------------
  function parts(form) {
    return {
      input: form.querySelector("input[type=file]"),
      status: form.querySelector("#attach-status"),
      error: form.querySelector("#attach-error"),
    };
  }

  function refusal(xhr) {
    try {
      var answer = JSON.parse(xhr.responseText || "{}");
      if (answer.detail) return answer.detail;
    } catch (err) { /* not JSON: fall through */ }
    if (xhr.status === 413) return "That file is too large to send.";
    return "The upload failed (" + xhr.status + "). Please try again.";
  }

  function upload(form) {
    var p = parts(form);
    if (!p.input || !p.input.files || !p.input.files.length) {
      if (p.error) p.error.textContent = "Choose a photo or video first.";
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    if (p.error) p.error.textContent = "";
    if (p.status) p.status.textContent = "Uploading…";
    form.classList.add("busy");
    form.setAttribute("aria-busy", "true");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable && p.status) p.status.textContent = "Uploading… " + Math.round((e.loaded * 100) / e.total) + "%";
    });
    xhr.addEventListener("load", function () {
      form.classList.remove("busy");
      form.removeAttribute("aria-busy");
      p.input.value = "";
      if (xhr.status === 201 || xhr.status === 200) {
        if (p.status) p.status.textContent = "Sent.";
        if (window.htmx) htmx.trigger(body, "chat-refresh");
      } else {
        if (p.status) p.status.textContent = "";
        if (p.error) p.error.textContent = refusal(xhr);
      }
    });
    xhr.addEventListener("error", function () {
      form.classList.remove("busy");
      form.removeAttribute("aria-busy");
      if (p.status) p.status.textContent = "";
      if (p.error) p.error.textContent = "The upload failed: check your connection and try again.";
    });
    xhr.send(new FormData(form));
  }

  body.addEventListener("change", function (e) {
    var input = e.target;
    var form = input instanceof HTMLInputElement && input.type === "file" ? input.closest("form[data-attach]") : null;
    if (form && input.files && input.files.length) upload(form);
  });
  body.addEventListener("submit", function (e) {
    var form = e.target instanceof HTMLFormElement && e.target.matches("form[data-attach]") ? e.target : null;
    if (!form) return;
    e.preventDefault();
    upload(form);
  });
})();
