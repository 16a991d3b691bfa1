// Screens an uploaded list a chunk per request until it is done, showing progress; then shows the results.
// Without this script the "Continue screening" button does the same one chunk per press.
(function () {
  "use strict";
  const form = document.getElementById("screen-next");
  if (!form) return;
  const bar = document.getElementById("list-progress");
  const text = document.getElementById("list-progress-text");
  const failed = document.getElementById("list-progress-failed");
  const token = form.querySelector("input[name=csrf_token]").value;

  async function step() {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "Accept": "application/json", "X-CSRF-Token": token },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  async function run() {
    try {
      for (;;) {
        const progress = await step();
        bar.max = progress.total_rows;
        bar.value = progress.done_rows;
        text.textContent = progress.text;
        if (progress.state !== "screening") {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      failed.hidden = false;
    }
  }

  run();
})();
