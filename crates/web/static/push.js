// Subscribes this browser to Web Push from the notification settings: registers the service
// worker, requests permission, and sends the subscription to the server with the form token.
(function () {
  "use strict";
  var section = document.getElementById("push-settings");
  if (!section) {
    return;
  }
  var status = section.querySelector("[data-push-status]");
  var enable = section.querySelector("[data-push-enable]");
  var disable = section.querySelector("[data-push-disable]");
  var token = section.getAttribute("data-csrf");

  function say(name) {
    status.textContent = section.getAttribute("data-text-" + name);
  }

  function keyBytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) {
      bytes[i] = text.charCodeAt(i);
    }
    return bytes;
  }

  function post(url, body) {
    body.csrf_token = token;
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (problem) { throw new Error(problem.error.message); });
        }
      });
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    say("unsupported");
    return;
  }
  enable.hidden = false;
  disable.hidden = false;

  enable.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        say("denied");
        return;
      }
      return navigator.serviceWorker.register("/sw.js")
        .then(function (registration) {
          return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(section.getAttribute("data-key")) });
        })
        .then(function (subscription) { return post("/push/subscriptions", subscription.toJSON()); })
        .then(function () { say("enabled"); });
    }).catch(function (error) {
      status.textContent = error && error.message ? error.message : section.getAttribute("data-text-failed");
    });
  });

  disable.addEventListener("click", function () {
    navigator.serviceWorker.getRegistration("/sw.js")
      .then(function (registration) { return registration && registration.pushManager.getSubscription(); })
      .then(function (subscription) {
        if (!subscription) {
          return;
        }
        return post("/push/subscriptions/delete", { endpoint: subscription.endpoint }).then(function () { return subscription.unsubscribe(); });
      })
      .then(function () { say("disabled"); })
      .catch(function () { say("failed"); });
  });
})();
