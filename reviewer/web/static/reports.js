// The report form: say at once that the report is being made (a small one downloads without leaving the page).
(function () {
  "use strict";
  var form = document.querySelector("form.report-form");
  var making = document.getElementById("report-making");
  if (!form || !making) { return; }
  form.addEventListener("submit", function () {
    making.hidden = false;
    form.setAttribute("aria-busy", "true");
    window.setTimeout(function () {  // the download has come (or the page moved on): ready for another
      form.removeAttribute("aria-busy");
      making.hidden = true;
    }, 15000);
  });
})();

// The report progress page: poll the job's status and show it; reload once the job has finished.
// (A static file: the Content-Security-Policy forbids inline script. Without JS the page refreshes itself.)
(function () {
  "use strict";
  var box = document.getElementById("report-job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("report-progress");
  var stage = document.getElementById("report-stage");

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (job) {
        if (job.state === "done" || job.state === "failed" || job.state === "expired") {
          window.location.reload();
          return;
        }
        if (bar) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
        if (stage) { stage.textContent = job.stage + " (" + job.percent + "%)"; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
