// Sign-up: tell the server the browser's time zone (an IANA name such as "Asia/Tokyo"), so the
// new account shows local times from the first page. The server keeps UTC for anything it does
// not know; without JavaScript the field stays empty and the account starts on UTC.
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  document.querySelectorAll("input[data-detect-time-zone]").forEach(function (input) {
    if (!input.value) input.value = zone;
  });
})();
