// The artist page (templates/artists/artist_page.html), loaded after django-eventstream's
// reconnecting-eventsource.js. The page's data comes in data- attributes and the
// #import-stage-labels JSON block, never in this file.
// Live import progress: the SSE stream feeds the bar; when the run ends the page's
// content is fetched again and swapped in. Upstream text only ever goes in textContent.
(() => {
  "use strict";

  function showInitialWhenImageFails(root) {
    for (const img of root.querySelectorAll(".portrait img")) {
      const drop = () => img.remove();
      if (img.complete && img.naturalWidth === 0) drop();
      else img.addEventListener("error", drop, { once: true });
    }
  }

  async function refresh() {
    try {
      const response = await fetch(window.location.href, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("artist");
      if (!fresh) throw new Error("no artist content in the page");
      document.getElementById("artist").replaceWith(document.adoptNode(fresh));
      document.title = page.title;
      // The first import gives the artist its name slug: show the address it redirected to.
      if (response.redirected) window.history.replaceState(null, "", response.url);
      start();
    } catch (error) {
      window.location.reload();
    }
  }

  function watch(section) {
    const labels = JSON.parse(document.getElementById("import-stage-labels").textContent);
    const bar = section.querySelector("[role=progressbar]");
    const field = (name) => section.querySelector(`[data-field=${name}]`);
    const url = new URL(section.dataset.streamUrl, window.location.href);
    if (section.dataset.lastEventId !== "0") {
      url.searchParams.set("lastEventId", section.dataset.lastEventId);
    }
    const named = document.getElementById("artist").dataset.named === "true";
    let runId = null;
    let percent = Number(bar.getAttribute("aria-valuenow"));

    const draw = (value, stage, message, status = null) => {
      percent = value;
      if (status !== null) {
        // Waiting (an upstream's quota resets later) is a pause: drawn neutral, the
        // stream stays open, and the next event of the resumed run carries on.
        const waiting = status === "waiting";
        section.dataset.status = status;
        section.classList.toggle("waiting", waiting);
        field("state").textContent = waiting ? "Waiting" : "Importing";
      }
      // The fill's width follows aria-valuenow (theset/progress.css).
      bar.setAttribute("aria-valuenow", String(value));
      field("percent").textContent = String(value);
      if (stage !== null) field("stage").textContent = labels[stage] || stage;
      if (message !== null) field("message").textContent = message;
    };

    // django-eventstream's client: it reconnects by itself, from the last event it saw,
    // until `end` closes it.
    const stream = new ReconnectingEventSource(url);
    stream.addEventListener("message", (event) => {
      const progress = JSON.parse(event.data);
      // Percent only grows within a run; a new run starts again from its own.
      const value = progress.run_id === runId
        ? Math.max(percent, progress.overall_percent)
        : progress.overall_percent;
      runId = progress.run_id;
      draw(value, progress.stage, progress.message, progress.status);
      if (!named && progress.stage === "identity" && progress.percent === 100) {
        // Identity named the artist: draw the name now, then follow on from there.
        stream.close();
        refresh();
      }
    });
    stream.addEventListener("end", (event) => {
      stream.close();
      const { status } = JSON.parse(event.data);
      // Only a finished run ends the stream: succeeded, or failed (a cancelled wait too).
      if (status === "succeeded") draw(100, "done", "Import finished: loading shows and songs…");
      refresh();
    });
  }

  function autosubmit(root) {
    // Filters apply as soon as one is chosen (the Filter button does it without JS).
    for (const form of root.querySelectorAll("form[data-autosubmit]")) {
      for (const select of form.querySelectorAll("select")) {
        select.addEventListener("change", () => form.requestSubmit());
      }
    }
  }

  function start() {
    const root = document.getElementById("artist");
    autosubmit(root);
    showInitialWhenImageFails(root);
    const section = root.querySelector("#import-progress");
    if (section) watch(section);
  }

  start();
})();
