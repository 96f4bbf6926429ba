// Amparo push service worker: shows alarms and alerts; opens the link on tap. No third parties.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: "Amparo" }; }
  const options = { body: data.body || "", data: { url: data.url || "/" }, tag: data.alert || data.alarm || "amparo", renotify: true };
  event.waitUntil(self.registration.showNotification(data.title || "Amparo", options));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/";
  if (url.startsWith(self.location.origin) || url.startsWith("/")) {
    event.waitUntil(self.clients.openWindow(url));
  }
});
