"""Open a Snakemake report in headless Chromium and show each figure as a reader's click would.

The report is a single-page app: a result is shown by ``app.setView`` with its embedded data URI,
which is what the figure's button does. A script appended to a copy of the report shows every PNG
of category ``Figures`` in turn, waits for the displayed ``<img>`` to decode, and writes its natural
size (0 x 0 when it does not display) into ``<pre id="figure-check">``, read from the rendered DOM.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

BROWSERS = ("chromium-headless-shell", "chromium", "chrome-headless-shell", "google-chrome")

PROBE = """
<script>
window.addEventListener("load", async () => {
  const shown = {};
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let i = 0; i < 200 && typeof app === "undefined"; i++) await pause(50);  // React's first render
  for (const paths of Object.values(categories["Figures"] || {})) {
    for (const path of paths.filter((p) => results[p].mime_type === "image/png")) {
      app.setView({content: "img", contentPath: results[path].data_uri, resultPath: path});
      let img = null;
      for (let i = 0; i < 100 && !(img && img.complete); i++) {
        await pause(50);
        img = [...document.querySelectorAll("img")].find((x) => x.src === results[path].data_uri);
      }
      shown[path] = img ? [img.naturalWidth, img.naturalHeight] : [0, 0];
    }
  }
  const out = document.createElement("pre");
  out.id = "figure-check";
  out.textContent = JSON.stringify(shown);
  document.body.appendChild(out);
});
</script>
"""


def browser() -> str | None:
    """The first headless Chromium on PATH, or None."""
    return next(filter(None, map(shutil.which, BROWSERS)), None)


def displayed_figures(report: Path, workdir: Path, timeout: float = 120) -> dict[str, list[int]]:
    """Natural width and height of every figure PNG as the report displays it."""
    probe = workdir / "report_probe.html"
    head, _, tail = report.read_text().rpartition("</body>")
    probe.write_text(head + PROBE + "</body>" + tail)
    command = [
        browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=60000",
        "--dump-dom",
        probe.as_uri(),
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=timeout).stdout
    start = dom.index('<pre id="figure-check">') + len('<pre id="figure-check">')
    return json.loads(dom[start : dom.index("</pre>", start)])
