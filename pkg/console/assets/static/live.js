// drydock console: follows operations live. The pages are whole without
// this script; with it, a page reloads when what it shows changes:
// - an operation's page, once that operation changes, so its status,
//   bytes and log stay current;
// - the overview, on any operation's change (a job starting, a running
//   one's progress), at most once a second, and at once when one ends.
(function () {
  "use strict";
  if (!window.EventSource) {
    return;
  }
  var overview = document.querySelector("[data-live-overview]");
  var el = document.querySelector("[data-operation][data-status]");
  var follow; // the running operations whose end the page waits for
  if (overview) {
    follow = (overview.getAttribute("data-running") || "").split(" ").filter(Boolean);
  } else if (el && el.getAttribute("data-status") === "running") {
    follow = [el.getAttribute("data-operation")];
  } else {
    return;
  }
  var events = new EventSource("/api/v1/events");
  var timer = null;
  function reload(delay) {
    // Coalesce a burst of progress into one reload a second; an end
    // cuts a wait short.
    if (timer !== null) {
      if (delay > 0) {
        return;
      }
      clearTimeout(timer);
    }
    timer = setTimeout(function () { events.close(); location.reload(); }, delay);
  }
  events.addEventListener("operation", function (e) {
    var op = JSON.parse(e.data);
    var followed = follow.indexOf(op.id) >= 0;
    if (!overview && !followed) {
      return;
    }
    reload(followed && op.status !== "running" ? 0 : 1000);
  });
  // A change between the page's rendering and the stream's start would
  // be missed: once the stream runs, ask once how the operations stand.
  events.addEventListener("open", function () {
    follow.forEach(function (id) {
      fetch("/api/v1/operations/" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (op) { if (op && op.status !== "running") { reload(0); } })
        .catch(function () {});
    });
  }, { once: true });
})();
