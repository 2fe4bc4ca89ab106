// Flash-sale countdowns (issue 7). The server renders each countdown with the moment it counts to and the server's
// own time (data-target, data-now: milliseconds since the epoch); this module works out how far the phone's clock
// is from the server's and ticks every second, so a phone with a wrong clock still shows the right countdown.
// Every htmx refresh of a session brings a fresh server time. When a countdown reaches zero it tells the page
// (a "flash-due" event on <body>), and the session block asks the server for its state at once: the server, not
// this script, decides that the sale has started and enables the buy button.

const timers = new Map(); // element -> {target, offset, fired}

function pad(n) {
  return String(n).padStart(2, "0");
}

function format(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  return `${pad(h)}:${pad(m)}:${pad(total % 60)}`;
}

function adopt(root) {
  const scope = root instanceof Element || root instanceof Document ? root : document;
  const found = scope.matches?.("[data-countdown]") ? [scope] : [];
  for (const el of [...found, ...scope.querySelectorAll("[data-countdown]")]) {
    if (timers.has(el)) continue;
    const target = Number(el.dataset.target);
    const serverNow = Number(el.dataset.now);
    if (!Number.isFinite(target) || !Number.isFinite(serverNow)) continue;
    timers.set(el, { target, offset: serverNow - Date.now(), fired: false });
  }
  tick();
}

function tick() {
  for (const [el, t] of timers) {
    if (!el.isConnected) {
      timers.delete(el);
      continue;
    }
    const left = t.target - (Date.now() + t.offset);
    const text = format(left);
    if (el.textContent !== text) el.textContent = text;
    if (left <= 0 && !t.fired) {
      t.fired = true;
      // a little after zero, so the server's clock has surely passed it too
      setTimeout(() => document.body.dispatchEvent(new CustomEvent("flash-due", { bubbles: true })), 300);
    }
  }
}

adopt(document);
setInterval(tick, 1000);
document.addEventListener("htmx:load", (event) => adopt(event.target));
