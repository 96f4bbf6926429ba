// Public: when "notifications in this browser" is chosen, subscribe before submitting the form.
(function () {
  function keyBytes(b64) {
    const pad = "=".repeat((4 - (b64.length % 4)) % 4);
    const raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("subscribe-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      const channel = form.querySelector("input[name=channel]:checked");
      const hidden = form.querySelector("input[name=push_subscription]");
      if (!channel || channel.value !== "webpush" || hidden.value) return;
      event.preventDefault();
      try {
        const reg = await navigator.serviceWorker.register(form.dataset.worker, { scope: "/alertas/" });
        const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(form.dataset.key) });
        hidden.value = JSON.stringify(sub.toJSON());
        form.submit();
      } catch (e) {
        document.getElementById("push-status").textContent = "✖";
      }
    });
  });
})();
