// Service worker: shows each push message as a notification and opens its page on a click.
self.addEventListener("push", function (event) {
  var message = event.data ? event.data.json() : null;
  if (!message) {
    return;
  }
  event.waitUntil(self.registration.showNotification(message.title, { body: message.body, data: { url: message.url }, lang: "ru" }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = event.notification.data && event.notification.data.url;
  if (url && new URL(url).origin === self.location.origin) {
    event.waitUntil(self.clients.openWindow(url));
  }
});
