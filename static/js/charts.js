// Charts people can read (issue 13): the SVG comes from the server (pygal); this adds values on
// hover and on keyboard focus. One tab stop per chart; the arrow keys move between bars
// (left/right: dates, up/down: series, Home/End: first/last); Escape hides the value. The same numbers are in the
// table under each chart.
(function () {
  "use strict";

  function text(node, selector) {
    var found = node.querySelector(selector);
    return found ? found.textContent : "";
  }

  function setUp(figure) {
    var svg = figure.querySelector("svg");
    if (!svg || svg.dataset.ready) return;
    svg.dataset.ready = "1";
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", figure.dataset.title + " (use the arrow keys to read each value)");
    var legend = Array.prototype.map.call(svg.querySelectorAll(".legends .legend text"), function (t) {
      return t.textContent;
    });
    var grid = [];
    svg.querySelectorAll(".plot:not(.overlay):not(.text-overlay):not(.tooltip-overlay) .series").forEach(function (series, s) {
      var row = [];
      series.querySelectorAll(".bar, .dot").forEach(function (item) {
        var label = text(item, "desc.label") || text(item, "desc.x_label");
        var value = text(item, "desc.value");
        item.setAttribute("tabindex", "-1");
        item.setAttribute("role", "img");
        item.setAttribute("aria-label", (legend[s] || "") + ", " + label + ": " + value);
        item.dataset.tip = (legend[s] ? legend[s] + " · " : "") + label + ": " + value;
        row.push(item);
      });
      grid.push(row);
    });
    var first = grid.length && grid[0][0];
    if (!first) return;
    first.setAttribute("tabindex", "0");

    var tip = document.createElement("div");
    tip.className = "chart-tip";
    tip.setAttribute("role", "status");
    tip.hidden = true;
    figure.querySelector(".chart").appendChild(tip);

    function show(item) {
      var chart = figure.querySelector(".chart");
      var box = item.getBoundingClientRect();
      var home = chart.getBoundingClientRect();
      tip.textContent = item.dataset.tip;
      tip.hidden = false;
      var left = box.left - home.left + chart.scrollLeft + box.width / 2 - tip.offsetWidth / 2;
      left = Math.max(chart.scrollLeft, Math.min(left, chart.scrollLeft + home.width - tip.offsetWidth));
      tip.style.left = left + "px";
      tip.style.top = Math.max(0, box.top - home.top - tip.offsetHeight - 6) + "px";
    }
    function hide() { tip.hidden = true; }

    grid.forEach(function (row, s) {
      row.forEach(function (item, i) {
        item.addEventListener("mouseenter", function () { show(item); });
        item.addEventListener("mouseleave", hide);
        item.addEventListener("focus", function () { show(item); });
        item.addEventListener("blur", hide);
        item.addEventListener("keydown", function (event) {
          var moves = { ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0] };
          if (event.key === "Escape") { hide(); return; }
          var move = moves[event.key];
          if (event.key === "Home") move = [0, -i];
          if (event.key === "End") move = [0, row.length - 1 - i];
          if (!move) return;
          var ns = Math.max(0, Math.min(grid.length - 1, s + move[0]));
          var ni = Math.max(0, Math.min(grid[ns].length - 1, i + move[1]));
          var next = grid[ns][ni];
          if (!next || next === item) return;
          event.preventDefault();
          item.setAttribute("tabindex", "-1");
          next.setAttribute("tabindex", "0");
          next.focus();
        });
      });
    });
  }

  function setUpAll() {
    document.querySelectorAll("figure.chart-figure").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
