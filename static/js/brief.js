/* Brief pages: live job progress, pick toggles without a reload, copying a share link.
 * Everything here is an enhancement: with scripts off, every form posts and the page reloads.
 * Texts come from data attributes the server rendered in the user's language. */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var UNFINISHED = ["queued", "running"];

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function elapsedText(seconds) {
    // The same words as page_selectors.elapsed_text on the server.
    if (seconds < 60) return seconds + " s";
    var rest = seconds % 60;
    return Math.floor(seconds / 60) + " min " + (rest < 10 ? "0" : "") + rest + " s";
  }

  /* --- progress ---------------------------------------------------------------------- */

  var page = document.querySelector("[data-progress-url]");
  var timer = null;
  var failures = 0;

  function announce(text) {
    var region = page && page.querySelector("[data-announce]");
    if (region && text) region.textContent = text;
  }

  function hasUnfinished() {
    var lines = page.querySelectorAll("[data-testid=job-status]");
    for (var i = 0; i < lines.length; i += 1) {
      if (UNFINISHED.indexOf(lines[i].getAttribute("data-status")) !== -1) return true;
    }
    return false;
  }

  function updateLine(line, job) {
    var wasUnfinished = UNFINISHED.indexOf(line.getAttribute("data-status")) !== -1;
    line.setAttribute("data-status", job.status);
    var label = line.querySelector(".job-label");
    var elapsed = line.querySelector(".job-elapsed");
    if (label) label.textContent = job.label;
    if (elapsed && UNFINISHED.indexOf(job.status) !== -1) {
      elapsed.textContent = "· " + elapsedText(job.elapsed_seconds);
    }
    return wasUnfinished && UNFINISHED.indexOf(job.status) === -1;
  }

  function insertBatch(job) {
    var holder = document.createElement("div");
    holder.innerHTML = job.html.trim();
    var fresh = holder.firstElementChild;
    if (!fresh) return;
    var current = page.querySelector("[data-batch-id='" + job.batch_id + "']");
    if (current) {
      current.replaceWith(fresh);
      return;
    }
    var list = page.querySelector("[data-batch-list]");
    if (!list) return;
    var empty = list.querySelector("[data-batch-empty]");
    if (empty) empty.remove();
    list.insertBefore(fresh, list.firstChild);
  }

  function applyJob(job) {
    var lines = page.querySelectorAll("[data-testid=job-status][data-job-id='" + job.id + "']");
    if (!lines.length && job.html) {
      // A batch queued elsewhere (another tab) that this page never showed.
      insertBatch(job);
      return;
    }
    var justFinished = false;
    for (var i = 0; i < lines.length; i += 1) {
      justFinished = updateLine(lines[i], job) || justFinished;
    }
    if (!justFinished) return;
    if (job.html) insertBatch(job);
    if (job.kind === "write") {
      var ready = page.querySelector("[data-prompt-ready]");
      if (ready && job.status === "succeeded") ready.hidden = false;
    }
    if (job.status === "succeeded" && job.kind === "generate") {
      announce(page.getAttribute("data-text-ready"));
    } else if (job.status === "failed" || job.status === "unavailable") {
      announce(page.getAttribute("data-text-failed"));
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, POLL_MS);
  }

  function poll() {
    if (document.hidden) {
      // No work for a tab nobody looks at; resumes on visibilitychange.
      return;
    }
    fetch(page.getAttribute("data-progress-url"), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        data.jobs.forEach(applyJob);
        if (data.pending || hasUnfinished()) schedule();
      })
      .catch(function () {
        failures += 1;
        if (failures < 5) {
          schedule();
        } else {
          announce(page.getAttribute("data-text-lost"));
        }
      });
  }

  if (page && (page.getAttribute("data-pending") === "true" || hasUnfinished())) {
    schedule();
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && hasUnfinished()) schedule();
    });
  }

  /* --- pick toggles ------------------------------------------------------------------ */

  function showPicked(form, picked) {
    var item = form.closest("[data-testid=generated-image]");
    var button = form.querySelector("[data-testid=pick]");
    var value = form.querySelector("input[name=picked]");
    if (item) {
      item.setAttribute("data-picked", picked ? "true" : "false");
      item.classList.toggle("is-picked", picked);
    }
    if (button) {
      button.setAttribute("aria-pressed", picked ? "true" : "false");
      button.textContent = button.getAttribute(picked ? "data-label-picked" : "data-label-pick");
    }
    if (value) value.value = picked ? "false" : "true";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-pick-form]") : null;
    if (!form || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("[data-testid=pick]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        showPicked(form, data.picked);
        if (button) button.disabled = false;
      })
      .catch(function () {
        // Let the server answer the plain way (it shows the error or the new state).
        form.submit();
      });
  });

  /* --- copy the new share link ------------------------------------------------------- */

  var copyButtons = document.querySelectorAll("[data-copy-target]");
  Array.prototype.forEach.call(copyButtons, function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var message = button.closest(".share-new");
    message = message ? message.querySelector(".copy-message") : null;
    if (!input) return;
    button.hidden = false; // without scripts the button could do nothing, so it starts hidden
    function say(text) {
      if (message) message.textContent = text;
    }
    function fallback() {
      input.focus();
      input.select();
      say(button.getAttribute("data-copy-fallback"));
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () {
          say(button.getAttribute("data-copied"));
        }, fallback);
      } else {
        fallback();
      }
    });
    input.addEventListener("focus", function () {
      input.select();
    });
  });
})();
