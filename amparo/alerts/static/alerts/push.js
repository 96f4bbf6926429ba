// Staff: subscribe this browser to alarm notifications (Web Push, VAPID).
(function () {
  function keyBytes(b64) {
    const pad = "=".repeat((4 - (b64.length % 4)) % 4);
    const raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }
  const button = document.getElementById("push-enable");
  const status = document.getElementById("push-status");
  if (!button) return;
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) { button.disabled = true; return; }
  button.addEventListener("click", async () => {
    try {
      const reg = await navigator.serviceWorker.register(button.dataset.worker, { scope: "/" });
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(button.dataset.key) });
      const csrf = document.body.getAttribute("hx-headers");
      const token = csrf ? JSON.parse(csrf)["X-CSRFToken"] : "";
      const res = await fetch(button.dataset.register, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": token }, body: JSON.stringify(sub.toJSON()), credentials: "same-origin" });
      status.textContent = res.ok ? "✔" : "✖";
    } catch (e) { status.textContent = "✖"; }
  });
})();
