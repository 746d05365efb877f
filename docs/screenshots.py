"""Take the README's pictures: each example notebook in Voilà, in headless Chromium.

Run: ``.venv/bin/python docs/screenshots.py``. Writes docs/*.png (one per widget shown
in the README); each picture is of the real widget, after it finished rendering.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.pages import open_voila  # noqa: E402
from tests.e2e.servers import isolated_jupyter_env, start_voila  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

#: (notebook, which widget on the page (CSS selector, index), picture name)
SHOTS = [
    ("dashboard.ipynb", ".jgw-grad-descent", 0, "dashboard.png"),
    ("derivatives.ipynb", ".jgw-derivative", 1, "derivatives.png"),
    ("derivatives.ipynb", ".jgw-grad-descent", 0, "descent_1d.png"),
    ("one_axis_robot.ipynb", ".jgw-grad-descent", 0, "robot.png"),
    ("one_axis_robot.ipynb", ".jgw-grad-descent", 1, "surface.png"),
    ("mle_gaussian.ipynb", ".jgw-grad-descent", 0, "mle.png"),
    ("mle_gaussian.ipynb", ".jgw-grad-descent", 1, "minibatch.png"),
    ("your_own_function.ipynb", ".jgw-formula-box", 0, "formula.png"),
    ("linear_regression.ipynb", ".jgw-grad-descent", 0, "regression.png"),
    ("goldfield.ipynb", ".jgw-grad-descent", 1, "families.png"),
    ("goldfield.ipynb", ".jgw-race", 0, "race.png"),
    ("curvature.ipynb", ".jgw-grad-descent", 2, "newton.png"),
]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="jgw-shots-"))
    env = isolated_jupyter_env(work / "home")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for notebook in sorted({shot[0] for shot in SHOTS}):
            server = start_voila(REPO / "examples" / notebook, work / "logs", env)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                open_voila(page, server.url)
                page.wait_for_timeout(2500)  # let the Player and WebGL draw
                for _, selector, index, name in (s for s in SHOTS if s[0] == notebook):
                    widget = page.locator(selector).nth(index)
                    widget.scroll_into_view_if_needed()
                    page.wait_for_timeout(500)
                    widget.screenshot(path=str(DOCS / name))
                    print(f"wrote docs/{name}")
                page.close()
            finally:
                server.stop()
        browser.close()


if __name__ == "__main__":
    main()
