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
  events.addEventListener("operation", function (e) {
    var op = JSON.parse(e.data);
    if (op.id !== id || pending) {
      return;
    }
    // Coalesce a burst of progress into one reload a second.
    pending = true;
    setTimeout(function () { events.close(); location.reload(); }, op.status === "running" ? 1000 : 0);
  });
})();
