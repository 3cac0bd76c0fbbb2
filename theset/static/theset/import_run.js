// An active import run's admin page (templates/admin/imports/importrun/change_form.html),
// loaded after django-eventstream's reconnecting-eventsource.js; its settings come in the
// #import-run-live JSON block.
// Follows the run on the artist's progress stream, from the event after the last one
// this page shows; reloads the page when the run's status changes (queued → running:
// its start time; running ⇄ waiting; the end) and once identity has named the artist,
// so the fields below never contradict the panel. A waiting run's stream stays open
// until it resumes.
(function () {
  const config = JSON.parse(document.getElementById("import-run-live").textContent);
  const panel = document.getElementById("import-run-progress");
  const field = (name) => panel.querySelector(`[data-field="${name}"]`);
  // django-eventstream's client: reconnects with the last event id it saw.
  const stream = new ReconnectingEventSource(config.stream_url);
  const reload = () => { stream.close(); window.location.reload(); };
  stream.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.run_id !== config.run_id) { reload(); return; }  // a newer run: ours is over
    if (event.status !== config.status) { reload(); return; }
    if (config.reload_when_named && event.stage !== "queued" && event.stage !== "identity") { reload(); return; }
    // The fill's width follows aria-valuenow (theset/progress.css).
    field("bar").setAttribute("aria-valuenow", event.overall_percent);
    field("percent").textContent = event.overall_percent;
    field("stage").textContent = config.stage_labels[event.stage] || event.stage;
    field("status").textContent = config.status_labels[event.status] || event.status;
    field("status").className = `badge ${event.status}`;
    // Waiting is neither failed nor done: a neutral bar, and the stream stays open.
    field("bar").className = `bar ${event.status}`;
    field("message").textContent = event.message;
    const note = document.getElementById("import-run-waiting");
    if (note) { note.hidden = event.status !== "waiting"; }
    const phase = document.querySelector(`#import-run-phases tr[data-phase="${event.stage}"] [data-field="phase-percent"]`);
    if (phase) { phase.textContent = event.percent; }
  });
  stream.addEventListener("end", reload);
  // Cancelling: the news of the failure must not reload this page over the answer.
  const cancel = document.getElementById("cancel-run");
  if (cancel) { cancel.addEventListener("submit", () => stream.close()); }
})();
