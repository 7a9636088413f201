/* The video call of a room (issue 11): browser to browser over WebRTC, signalled through the app.

   Signalling: POST /calls/<id>/signals/ (hello, offer, answer, candidate, bye), fetched by the
   other side with GET ?after=<last id>. The room's live stream says "signal" (live.js turns it
   into a "call-signal" event on body); while the stream is down the page polls every second
   during setup (every few seconds once connected).

   Who offers: a page that (re)joins gets a fresh peer id and says "hello"; the page already
   there starts a fresh RTCPeerConnection for that peer and offers. An offer from a peer we are
   not talking to also starts a fresh connection (that page reloaded or joined). When both offer
   at once, perfect negotiation settles it: the customer's page is polite (gives way), the
   mechanic's is not. So either side may join first, leave, rejoin or reload.

   AutoDoctor.call exposes the state and the current RTCPeerConnection (the tests read its stats). */
(function () {
  "use strict";
  var root = document.getElementById("call");
  if (!root || !root.dataset.configUrl || !window.RTCPeerConnection) {
    if (root && root.dataset.configUrl) {
      setText("call-state", "This browser cannot make video calls. Continue in the chat below.");
    }
    return;
  }
  var AD = (window.AutoDoctor = window.AutoDoctor || {});
  var body = document.body;
  var remoteVideo = byId("call-remote");
  var selfVideo = byId("call-self");
  var other = root.dataset.other || "the other person";
  var signalsUrl = root.dataset.signalsUrl;
  var POLL_SETUP_MS = 1000, POLL_CONNECTED_MS = 4000, POLL_LIVE_MS = 15000, FAILED_AFTER_MS = 20000;

  var call = (AD.call = {
    state: "idle", pc: null, peer: null, remotePeer: null, polite: false, local: null, connectedAt: null, helloAt: null, trace: [],
  });
  var config = null;
  var cursor = 0; // the newest signal id this page has read
  var joined = false;
  var handling = Promise.resolve(); // signals are handled one at a time, in id order
  var sending = Promise.resolve(); // and sent one at a time, so an offer is stored before its candidates
  var fetching = false, fetchAgain = false, pollTimer = null, failTimer = null;
  var remoteStream = null;

  function byId(id) { return document.getElementById(id); }
  function trace(what) { // the last events, for a test or a bug report (AutoDoctor.call.trace)
    call.trace.push([Math.round(performance.now()), what]);
    if (call.trace.length > 200) call.trace.shift();
  }
  function setText(id, text) { var el = byId(id); if (el) el.textContent = text; }

  var STATE_TEXT = {
    starting: "Starting the video call…",
    media: "Asking for your camera and microphone…",
    waiting: "Waiting for " + other + " to join the call…",
    connecting: "Connecting…",
    connected: "Connected",
    reconnecting: "Reconnecting…",
    failed: "The call could not connect. Check your connection and press Rejoin call, or continue in the chat.",
    left: "You left the call. Press Rejoin call to come back.",
  };

  function setState(state, text) {
    call.state = state;
    root.dataset.state = state;
    trace("state " + state);
    setText("call-state", text || STATE_TEXT[state] || "");
    byId("call-controls").hidden = state === "closed" || state === "idle";
    byId("call-leave").hidden = !joined;
    byId("call-rejoin").hidden = (joined && state !== "failed") || state === "closed";
    var snapshot = byId("call-snapshot");
    if (snapshot) snapshot.disabled = state !== "connected";
    if (state === "connected") {
      call.connectedAt = Date.now(); // bench/call.py reads it
      if (failTimer) { clearTimeout(failTimer); failTimer = null; }
    }
  }

  function note(text) {
    var el = byId("call-note");
    el.textContent = text || "";
    el.hidden = !text;
  }

  function csrfToken() {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function newPeerId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // --- the server -----------------------------------------------------------------------------

  async function readError(response) {
    try {
      var data = await response.json();
      return data.detail || "The call is not available.";
    } catch (e) {
      return "The call is not available (" + response.status + ").";
    }
  }

  function closeCall(detail) {
    if (call.state === "closed") return;
    hangUp(false);
    setState("closed", detail);
  }

  function signalForm(kind, data, peer) {
    var form = new FormData();
    form.append("kind", kind);
    form.append("peer", peer);
    if (data) form.append("payload", JSON.stringify(data));
    return form;
  }

  function send(kind, data) {
    var peer = call.peer;
    trace("send " + kind);
    sending = sending.then(async function () {
      if (!peer) return;
      try {
        var response = await fetch(signalsUrl, {
          method: "POST", body: signalForm(kind, data, peer), credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken() },
        });
        if (response.status === 409) closeCall(await readError(response));
        else if (!response.ok) console.warn("call: signal refused", kind, response.status, await readError(response));
      } catch (e) {
        console.warn("call: could not send a signal", e);
      }
    });
    return sending;
  }

  async function fetchSignals() {
    if (!joined) return;
    trace("fetch after " + cursor);
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    try {
      do {
        fetchAgain = false;
        var response = await fetch(signalsUrl + "?after=" + cursor, { credentials: "same-origin" });
        if (response.status === 409) { closeCall(await readError(response)); return; }
        if (!response.ok) return;
        var data = await response.json();
        data.signals.forEach(function (signal) {
          cursor = Math.max(cursor, signal.id);
          handling = handling.then(function () { return handle(signal); }).catch(function (e) {
            console.warn("call: a signal failed", signal.kind, e);
          });
        });
        if (data.signals.length >= 200) fetchAgain = true;
      } while (fetchAgain && joined);
    } catch (e) {
      /* offline for a moment: the next poll or hint tries again */
    } finally {
      fetching = false;
    }
  }

  function schedulePoll() {
    if (pollTimer) clearTimeout(pollTimer);
    if (!joined) return;
    var streamOpen = AD.live && AD.live.open && config && config.signal_push;
    var wait = streamOpen ? POLL_LIVE_MS : call.state === "connected" ? POLL_CONNECTED_MS : POLL_SETUP_MS;
    pollTimer = setTimeout(function () {
      if (!document.hidden || call.state !== "connected") fetchSignals();
      schedulePoll();
    }, wait);
  }

  // --- camera and microphone ------------------------------------------------------------------

  var HOW_TO_ALLOW = " To allow it, click the camera icon in the address bar (on a phone: the browser's " +
    "site settings), allow Camera and Microphone for this site, then press Rejoin call.";

  async function tryMedia(constraints) {
    try {
      return { stream: await navigator.mediaDevices.getUserMedia(constraints) };
    } catch (e) {
      return { error: e };
    }
  }

  async function openMedia() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      note("This page cannot use a camera here (it needs HTTPS). You can still see and hear " + other + ".");
      return new MediaStream();
    }
    var video = { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } };
    var both = await tryMedia({ audio: true, video: video });
    if (both.stream) { note(""); return both.stream; }
    var blocked = both.error && (both.error.name === "NotAllowedError" || both.error.name === "SecurityError");
    var audio = await tryMedia({ audio: true });
    if (audio.stream) {
      note((blocked ? "Your camera is blocked, so the call continues with sound only." + HOW_TO_ALLOW
        : "No camera was found, so the call continues with sound only."));
      return audio.stream;
    }
    var camera = await tryMedia({ video: video });
    if (camera.stream) {
      note((blocked ? "Your microphone is blocked: " + other + " can see you but not hear you; use the chat." + HOW_TO_ALLOW
        : "No microphone was found: " + other + " can see you but not hear you; use the chat."));
      return camera.stream;
    }
    note(blocked
      ? "Your browser blocked the camera and microphone. You can still see and hear " + other +
        ", and the chat below works." + HOW_TO_ALLOW
      : "No camera or microphone was found. You can still see and hear " + other + ", and the chat below works.");
    return new MediaStream();
  }

  function localTrack(kind) {
    return call.local ? call.local.getTracks().filter(function (t) { return t.kind === kind; })[0] : null;
  }

  function showSelf() {
    var hasVideo = !!localTrack("video");
    selfVideo.hidden = !hasVideo;
    selfVideo.srcObject = hasVideo ? call.local : null;
    byId("call-mute").disabled = !localTrack("audio");
    byId("call-camera").disabled = !hasVideo;
  }

  // --- the peer connection --------------------------------------------------------------------

  function freshConnection(remotePeer) {
    if (call.pc) call.pc.close();
    var pc = new RTCPeerConnection({
      iceServers: config.ice_servers, iceTransportPolicy: config.ice_transport_policy || "all",
    });
    var negotiation = { makingOffer: false, ignoreOffer: false, answerPending: false };
    pc.negotiation = negotiation;
    call.pc = pc;
    call.remotePeer = remotePeer;
    remoteStream = new MediaStream();
    remoteVideo.srcObject = remoteStream;
    call.local.getTracks().forEach(function (track) { pc.addTrack(track, call.local); });
    ["audio", "video"].forEach(function (kind) {
      if (!localTrack(kind)) pc.addTransceiver(kind, { direction: "recvonly" }); // receive what we cannot send
    });
    pc.ontrack = function (e) {
      if (pc !== call.pc) return;
      remoteStream.getTracks().filter(function (t) { return t.kind === e.track.kind; })
        .forEach(function (t) { remoteStream.removeTrack(t); });
      remoteStream.addTrack(e.track);
    };
    pc.onicecandidate = function (e) {
      if (pc === call.pc && e.candidate && call.remotePeer) send("candidate", e.candidate.toJSON());
    };
    pc.onnegotiationneeded = async function () {
      if (pc !== call.pc || !call.remotePeer) return; // nobody to offer to yet: "hello" will bring them
      try {
        negotiation.makingOffer = true;
        await pc.setLocalDescription();
        send(pc.localDescription.type, pc.localDescription.toJSON()); // queued in order, not awaited
      } catch (e) {
        console.warn("call: could not make an offer", e);
      } finally {
        negotiation.makingOffer = false;
      }
    };
    pc.onconnectionstatechange = function () { trace("pc " + pc.connectionState); followConnection(pc); };
    pc.onicegatheringstatechange = function () { trace("gathering " + pc.iceGatheringState); };
    if (remotePeer) setState("connecting");
    return pc;
  }

  function followConnection(pc) {
    if (pc !== call.pc || !joined) return;
    var state = pc.connectionState;
    if (state === "connected") {
      setState("connected");
    } else if (state === "disconnected") {
      setState("reconnecting");
    } else if (state === "failed") {
      setState("reconnecting");
      pc.restartIce(); // a new offer with fresh ICE credentials (perfect negotiation carries it)
      if (!failTimer) {
        failTimer = setTimeout(function () {
          failTimer = null;
          if (call.pc === pc && pc.connectionState !== "connected") setState("failed");
        }, FAILED_AFTER_MS);
      }
    }
    schedulePoll();
  }

  async function handle(signal) {
    if (!joined || signal.peer === call.peer) return;
    trace("got " + signal.kind + " #" + signal.id);
    var kind = signal.kind;
    if (kind === "hello") {
      freshConnection(signal.peer); // they (re)joined: offer to their new page
      return;
    }
    if (kind === "bye") {
      if (signal.peer !== call.remotePeer) return;
      freshConnection(null);
      setState("waiting", other + " left the call. Waiting for them to come back…");
      return;
    }
    if (kind === "offer" && signal.peer !== call.remotePeer) {
      freshConnection(signal.peer); // a page we have not talked to yet: start afresh for it
    } else if (signal.peer !== call.remotePeer) {
      return; // meant for a connection we have since replaced
    }
    var pc = call.pc, negotiation = pc.negotiation;
    if (kind === "candidate") {
      try {
        await pc.addIceCandidate(signal.payload);
      } catch (e) {
        if (!negotiation.ignoreOffer) console.warn("call: a candidate failed", e);
      }
      return;
    }
    var description = signal.payload;
    var readyForOffer = !negotiation.makingOffer && (pc.signalingState === "stable" || negotiation.answerPending);
    var collision = description.type === "offer" && !readyForOffer;
    negotiation.ignoreOffer = !call.polite && collision;
    if (negotiation.ignoreOffer) return; // the impolite side keeps its own offer
    negotiation.answerPending = description.type === "answer";
    await pc.setRemoteDescription(description); // the polite side rolls its own offer back
    negotiation.answerPending = false;
    if (description.type === "offer") {
      await pc.setLocalDescription();
      send("answer", pc.localDescription.toJSON()); // the candidates that follow need not wait for it
    }
  }

  // --- joining and leaving --------------------------------------------------------------------

  var starting = false;
  async function start() {
    if (starting || joined) return;
    starting = true;
    try {
      await join();
    } finally {
      starting = false;
    }
  }

  async function join() {
    setState("starting");
    note("");
    var response;
    try {
      response = await fetch(root.dataset.configUrl, { credentials: "same-origin" });
    } catch (e) {
      setState("closed", "The call could not start: the connection to the server failed. Continue in the chat, or reload the page.");
      return;
    }
    if (!response.ok) { setState("closed", await readError(response)); return; }
    config = await response.json();
    cursor = config.after;
    call.polite = config.polite;
    setState("media");
    call.peer = newPeerId();
    joined = true;
    // Say hello while the camera opens: the other side's offer is handled once it is ready.
    var media = openMedia().then(function (stream) {
      call.local = stream;
      showSelf();
      freshConnection(null);
      if (call.state === "media") setState("waiting");
      findCameras();
    });
    handling = media;
    call.helloAt = Date.now(); // bench/call.py: signalling time from here
    send("hello");
    await media;
    fetchSignals();
    schedulePoll();
  }

  function hangUp(sayBye) {
    if (joined && sayBye) send("bye");
    joined = false;
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    if (call.pc) call.pc.close();
    call.pc = null;
    call.remotePeer = null;
    if (call.local) call.local.getTracks().forEach(function (t) { t.stop(); });
    call.local = null;
    remoteVideo.srcObject = null;
    selfVideo.srcObject = null;
    selfVideo.hidden = true;
  }

  // A reload or a closed tab: tell the other side at once (a beacon survives the page).
  window.addEventListener("pagehide", function () {
    if (!joined || !call.peer) return;
    var form = signalForm("bye", null, call.peer);
    form.append("csrfmiddlewaretoken", csrfToken());
    navigator.sendBeacon(signalsUrl, form);
    joined = false;
  });

  // Back from the browser's page cache: the old connection is gone, join afresh.
  window.addEventListener("pageshow", function (e) {
    if (e.persisted && call.peer) { hangUp(false); start(); }
  });

  body.addEventListener("call-signal", fetchSignals);
  body.addEventListener("live-state", function () { fetchSignals(); schedulePoll(); });
  body.addEventListener("session-changed", function () {
    if (call.state === "closed" && !joined) start(); // e.g. a mechanic accepted: the call opens
    else fetchSignals(); // answers 409 once the session is over
  });

  // --- controls -------------------------------------------------------------------------------

  function toggle(button, kind, onLabel, offLabel) {
    var track = localTrack(kind);
    if (!track) return;
    track.enabled = !track.enabled;
    button.textContent = track.enabled ? onLabel : offLabel;
    button.setAttribute("aria-pressed", String(!track.enabled));
  }

  byId("call-mute").addEventListener("click", function () { toggle(this, "audio", "Mute", "Unmute"); });
  byId("call-camera").addEventListener("click", function () { toggle(this, "video", "Camera off", "Camera on"); });
  byId("call-leave").addEventListener("click", function () { hangUp(true); setState("left"); });
  byId("call-rejoin").addEventListener("click", function () {
    if (joined) hangUp(true); // after "failed": start over with a fresh page id
    start();
  });

  var cameras = [];
  async function findCameras() {
    try {
      var devices = await navigator.mediaDevices.enumerateDevices();
      cameras = devices.filter(function (d) { return d.kind === "videoinput"; });
    } catch (e) {
      cameras = [];
    }
    byId("call-switch").hidden = cameras.length < 2 || !localTrack("video");
  }

  byId("call-switch").addEventListener("click", async function () {
    var current = localTrack("video");
    if (!current || cameras.length < 2) return;
    var settings = current.getSettings();
    var index = cameras.findIndex(function (d) { return d.deviceId === settings.deviceId; });
    var next = cameras[(index + 1) % cameras.length];
    var wasEnabled = current.enabled;
    current.stop(); // phones cannot open the front and back camera at once
    var got = await tryMedia({ video: next.deviceId ? { deviceId: { exact: next.deviceId } }
      : { facingMode: settings.facingMode === "environment" ? "user" : "environment" } });
    if (!got.stream) { AD.toast && AD.toast("Could not switch the camera.", "error"); return; }
    var track = got.stream.getVideoTracks()[0];
    track.enabled = wasEnabled;
    call.local.removeTrack(current);
    call.local.addTrack(track);
    var sender = call.pc && call.pc.getSenders().filter(function (s) { return s.track === current || (s.track && s.track.kind === "video"); })[0];
    if (sender) await sender.replaceTrack(track);
    showSelf();
  });

  var stage = byId("call-stage");
  var fullscreenButton = byId("call-fullscreen");
  fullscreenButton.hidden = !stage.requestFullscreen;
  fullscreenButton.addEventListener("click", function () {
    if (document.fullscreenElement) document.exitFullscreen();
    else stage.requestFullscreen().catch(function () { /* refused: stay inline */ });
  });
  document.addEventListener("fullscreenchange", function () {
    fullscreenButton.textContent = document.fullscreenElement ? "Exit full screen" : "Full screen";
  });

  // The mechanic's snapshot: a still of the customer's video, saved to the session's attachments.
  var snapshotButton = byId("call-snapshot");
  if (snapshotButton && root.dataset.attachmentUrl) {
    snapshotButton.addEventListener("click", function () {
      if (!remoteVideo.videoWidth) return;
      var canvas = document.createElement("canvas");
      canvas.width = remoteVideo.videoWidth;
      canvas.height = remoteVideo.videoHeight;
      canvas.getContext("2d").drawImage(remoteVideo, 0, 0, canvas.width, canvas.height);
      snapshotButton.disabled = true;
      canvas.toBlob(async function (blob) {
        var form = new FormData();
        form.append("file", blob, "snapshot-" + new Date().toISOString().replace(/[:.]/g, "-") + ".jpg");
        form.append("source", "snapshot");
        try {
          var response = await fetch(root.dataset.attachmentUrl, {
            method: "POST", body: form, credentials: "same-origin",
            headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
          });
          if (response.ok) {
            AD.toast && AD.toast("Snapshot saved to the session's photos.", "success");
            if (window.htmx) htmx.trigger(body, "chat-refresh");
          } else {
            AD.toast && AD.toast(await readError(response), "error");
          }
        } catch (e) {
          AD.toast && AD.toast("The snapshot could not be saved: the connection failed.", "error");
        } finally {
          snapshotButton.disabled = call.state !== "connected";
        }
      }, "image/jpeg", 0.9);
    });
  }

  start();
})();
