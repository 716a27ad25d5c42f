// drydock console: follows a running operation on its page. The page is
// whole without this script; with it, the page reloads once the
// operation it shows changes, so its status, bytes and log stay current.
(function () {
  "use strict";
  var el = document.querySelector("[data-operation][data-status]");
  if (!el || el.getAttribute("data-status") !== "running" || !window.EventSource) {
    return;
  }
  var id = el.getAttribute("data-operation");
  var events = new EventSource("/api/v1/events");
  var pending = false;
  function reload(delay) {
    if (pending) {
      return;
    }
    // Coalesce a burst of progress into one reload a second.
    pending = true;
    setTimeout(function () { events.close(); location.reload(); }, delay);
  }
  events.addEventListener("operation", function (e) {
    var op = JSON.parse(e.data);
    if (op.id === id) {
      reload(op.status === "running" ? 1000 : 0);
    }
  });
  // A change between the page's rendering and the stream's start would
  // be missed: once the stream runs, ask once how the operation stands.
  events.addEventListener("open", function () {
    fetch("/api/v1/operations/" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (op) { if (op && op.status !== "running") { reload(0); } })
      .catch(function () {});
  }, { once: true });
})();
