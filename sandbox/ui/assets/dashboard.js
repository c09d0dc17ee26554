// tokenim sandbox dashboard: the only script. It keeps the sandbox time in
// the bar ticking while the clock runs; everything else is plain HTML forms.
(function () {
  var el = document.getElementById("clock");
  var out = document.getElementById("clock-now");
  if (!el || !out || el.dataset.frozen === "true") return;
  var start = Date.parse(el.dataset.now), loaded = Date.now();
  if (isNaN(start)) return;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  setInterval(function () {
    var t = new Date(start + (Date.now() - loaded));
    out.textContent = t.getUTCFullYear() + "-" + pad(t.getUTCMonth() + 1) + "-" + pad(t.getUTCDate()) + " " +
      pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes()) + ":" + pad(t.getUTCSeconds()) + "Z";
  }, 1000);
})();
