// The report's only script, inlined into the page. It filters (by status and name) and
// sorts the table, its state mirrored in the URL hash (#status=failed,errored&q=foo&sort=-duration,
// `-` for descending, so a link or a test can open it so), switches the
// diff view, and records when it finished (data-rendered-ms) for the load benchmark.
// It loads nothing and never writes test data into the page as HTML.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#tests tbody tr"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("details.test"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.status-filter"));
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var sorted = "";

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var status = params.get("status");
    var wanted = status === null ? null : status.split(",");
    boxes.forEach(function (b) { b.checked = wanted === null || wanted.indexOf(b.value) >= 0; });
    search.value = params.get("q") || "";
    var sort = params.get("sort");
    if (sort) {
      var th = document.querySelector('#tests th[data-sort="' + sort.replace(/^-/, "").replace(/[^a-z]/g, "") + '"]');
      if (th) sortBy(th, sort.charAt(0) === "-" ? -1 : 1);
    }
  }

  function writeHash() {
    var on = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    var params = new URLSearchParams();
    if (on.length !== boxes.length) params.set("status", on.join(","));
    if (search.value) params.set("q", search.value);
    if (sorted) params.set("sort", sorted);
    var hash = params.toString();
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
  }

  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var q = search.value.toLowerCase();
    var visible = 0;
    function mark(el) {
      var show = on[el.dataset.status] && el.dataset.name.toLowerCase().indexOf(q) >= 0;
      el.hidden = !show;
      el.dataset.visible = show ? "1" : "0";
      return show;
    }
    rows.forEach(function (r) { if (mark(r)) visible++; });
    sections.forEach(mark);
    shown.textContent = visible + " of " + rows.length + " shown";
    document.body.dataset.shown = String(visible);
  }

  function sortBy(th, dir) {
    var key = th.dataset.sort, num = th.dataset.type === "num";
    dir = dir || (th.getAttribute("aria-sort") === "ascending" ? -1 : 1);
    sorted = (dir === 1 ? "" : "-") + key;
    document.querySelectorAll("#tests th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var body = document.querySelector("#tests tbody");
    rows.slice().sort(function (a, b) {
      var x = a.dataset[key], y = b.dataset[key];
      var c = num ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return dir * (c || a.dataset.name.localeCompare(b.dataset.name));
    }).forEach(function (r) { body.appendChild(r); });
  }

  boxes.forEach(function (b) { b.addEventListener("change", function () { apply(); writeHash(); }); });
  search.addEventListener("input", function () { apply(); writeHash(); });
  window.addEventListener("hashchange", function () { readHash(); apply(); });
  document.querySelectorAll("#tests th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () { sortBy(th); writeHash(); });
  });
  document.querySelectorAll("#tests a.go").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      var d = document.getElementById(a.dataset.target);
      if (d) { d.open = true; d.scrollIntoView(); }
    });
  });
  document.querySelectorAll("input[name=view]").forEach(function (r) {
    r.addEventListener("change", function () { document.body.className = "view-" + r.value; });
  });
  document.body.className = "view-split";
  readHash();
  apply();
  document.body.dataset.renderedMs = performance.now().toFixed(1);
})();
