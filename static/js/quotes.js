/* The repair quote form: "Add a line" clones the empty row (without JavaScript the button posts
   and the page comes back with one more row); "Remove" dims a row, which the totals then leave
   out. The totals themselves are computed by the server (htmx, #quote-preview). */
(function () {
  "use strict";
  var form = document.getElementById("quote-form");
  if (!form) return;
  var rows = document.getElementById("quote-rows");
  var template = document.getElementById("quote-row-template");
  var total = form.querySelector("input[name$='-TOTAL_FORMS']");
  var max = form.querySelector("input[name$='-MAX_NUM_FORMS']");
  var addButton = form.querySelector("[data-add-line]");

  function count() { return parseInt(total.value, 10) || 0; }
  function limit() { return max ? parseInt(max.value, 10) || 1000 : 1000; }
  function refreshAdd() { addButton.disabled = count() >= limit(); }

  addButton.addEventListener("click", function (e) {
    e.preventDefault();
    if (count() >= limit()) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(count()));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(count() + 1);
    refreshAdd();
    var added = rows.lastElementChild;
    var first = added && added.querySelector("input[type=text], input:not([type=hidden]):not([type=checkbox])");
    if (first) first.focus();
    document.body.dispatchEvent(new CustomEvent("lines-changed"));
  });

  form.addEventListener("change", function (e) {
    var box = e.target;
    if (!(box instanceof HTMLInputElement) || !/-DELETE$/.test(box.name)) return;
    var row = box.closest("[data-row]");
    if (row) row.classList.toggle("is-removed", box.checked);
  });
  refreshAdd();
})();
