// Chat threads: keep the newest message in view when the page opens and when the poller or a send appends.
const log = document.getElementById("chat-log");

function toBottom() {
  const last = log && log.querySelector(".chat-msg:last-of-type");
  if (last) last.scrollIntoView({ block: "end" });
}

if (log) {
  toBottom();
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.target && event.target.id === "chat-poll") return; // the old poller, replaced
    if (log.contains(event.target) || event.target === log) toBottom();
  });
}
