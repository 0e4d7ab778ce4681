// Live updates for signed-in pages: keeps the unread count in the header current and, on a
// report card, shows the new status and a notice when the report changes. Without this script (or
// without EventSource) the pages show the same data on the next load.
(function () {
  "use strict";
  if (!window.EventSource) {
    return;
  }
  var badge = document.getElementById("unread-badge");
  var notice = document.getElementById("live-notice");
  var status = document.getElementById("report-status");

  var url = "/live";
  if (status && status.dataset.number) {
    url += "?report=" + encodeURIComponent(status.dataset.number) + "&version=" + encodeURIComponent(status.dataset.version) + "&messages=" + encodeURIComponent(status.dataset.messages || "0");
  }
  var source = new EventSource(url);

  source.addEventListener("unread", function (event) {
    var data = JSON.parse(event.data);
    if (!badge) {
      return;
    }
    badge.textContent = String(data.count);
    badge.setAttribute("aria-label", data.label);
    badge.hidden = data.count === 0;
  });

  // Shows a notice with a link that reloads the card.
  function announce(message) {
    if (notice) {
      notice.textContent = "";
      var text = document.createElement("span");
      text.textContent = message + " ";
      var reload = document.createElement("a");
      reload.href = window.location.pathname;
      reload.textContent = notice.dataset.reload || "";
      notice.appendChild(text);
      notice.appendChild(reload);
    }
  }

  source.addEventListener("report", function (event) {
    var data = JSON.parse(event.data);
    if (status) {
      status.textContent = data.status_name;
      status.className = "status status-" + data.status;
      status.dataset.version = String(data.version);
    }
    announce(data.message);
  });

  // A new message in the report's dialogue.
  source.addEventListener("message", function (event) {
    announce(JSON.parse(event.data).message);
  });
})();
