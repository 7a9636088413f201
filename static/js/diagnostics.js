/* The intake's VIN: as the customer types a full VIN, ask the decoder (GET /api/vin/decode) and
   say what it tells; fill in make and year when they are still empty (the customer can change
   them). Without JavaScript the form does the same on submit (customers.forms.IntakeForm). */
(function () {
  "use strict";
  var facts = document.getElementById("vin-facts");
  var vin = document.getElementById("id_vin");
  if (!facts || !vin) return;
  var make = document.getElementById("id_vehicle_make");
  var year = document.getElementById("id_vehicle_year");
  var asked = "";

  function say(text, warn) {
    facts.textContent = text;
    facts.classList.toggle("vin-warn", !!warn);
  }

  function decode() {
    var value = vin.value.replace(/[\s-]/g, "").toUpperCase();
    if (value.length !== 17) {
      asked = "";
      say("");
      return;
    }
    if (value === asked) return;
    asked = value;
    fetch(facts.dataset.decodeUrl + "?vin=" + encodeURIComponent(value), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d || value !== asked) return;
        if (!d.valid) { say(d.error, true); return; }
        var parts = [d.manufacturer || "Manufacturer not in the VIN table", d.country, d.model_year]
          .filter(function (p) { return p; });
        say("This VIN says: " + parts.join(", ") + ". " +
            (d.check_digit_ok ? "Check digit OK." : "The check digit does not match: please double-check it."),
            !d.check_digit_ok);
        if (make && !make.value && d.manufacturer) make.value = d.manufacturer;
        if (year && !year.value && d.model_year) year.value = d.model_year;
      })
      .catch(function () { /* the form checks it again on submit */ });
  }

  vin.addEventListener("input", decode);
  vin.addEventListener("change", decode);
  decode();
})();
