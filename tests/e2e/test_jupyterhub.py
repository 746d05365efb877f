"""JupyterHub for a class, smoke-tested: three students log in to one hub (the
repository's deploy/jupyterhub_config.py, in its open testing set-up: any name, one
machine account), each gets a server of their own showing the lesson's dashboard in
Voilà, drawn and playing; one student's dead kernel is said on that student's page only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Page

from .conftest import DEFAULT_TIMEOUT_MS, REPO_ROOT, VIEWPORT
from .notebooks import write_notebook
from .pages import assert_no_console_errors, attach_console_capture
from .servers import free_port, start_process
from .test_dead_kernel import KERNEL_GONE

HUB_CONFIG = REPO_ROOT / "deploy" / "jupyterhub_config.py"
PROXY = REPO_ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
STUDENTS = ("ada", "blaise", "carl")
LESSON = [
    """\
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
GradDescentWidget(goldfield, learning_rate=0.05)""",
]
PLAYING = """(bar) => bar.getAttribute('data-playing') === 'true'"""
#: The hub's spawn page follows the spawn's progress in a stream that the browser cuts
#: when the page moves on to the student's server.
PROGRESS_CUT = r"ERR_ABORTED[\s\S]*/hub/api/users/[^/]+/server/progress"


@pytest.fixture(scope="module")
def hub(jupyter_env, artifacts_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("hub")
    lesson = write_notebook(work / "lessons", "lesson", LESSON)
    port = free_port()
    env = dict(jupyter_env, JGW_LESSON=str(lesson), JGW_HUB_IP="127.0.0.1",
               JGW_HUB_PORT=str(port), JGW_HUB_DIR=str(work), JGW_HUB_TESTING="1",
               JGW_PROXY=str(PROXY), JGW_CACHE_DIR=str(work / "jax-cache"))  # fmt: skip
    hub_command = Path(sys.executable).with_name("jupyterhub")
    server = start_process("jupyterhub", [str(hub_command), "-f", str(HUB_CONFIG)], port=port,
                           env=env, log_path=artifacts_dir / "logs" / f"jupyterhub-{port}.log",
                           cwd=work)  # fmt: skip
    server.wait_until_ready("hub/login", timeout=120)
    yield server
    server.stop()


def _log_in(page: Page, hub, name: str) -> None:
    page.goto(hub.url + "hub/login")
    page.locator("#username_input").fill(name)
    page.locator("#password_input").fill("any")
    page.locator("#login_submit").click()


def _kill_kernel_of(hub, name: str) -> int:
    """SIGKILL the kernels of ``name``'s single-user server (and no one else's)."""
    killed = 0
    for proc in psutil.Process(hub.proc.pid).children(recursive=True):
        try:
            if "ipykernel_launcher" in " ".join(proc.cmdline()) and (
                proc.environ().get("JUPYTERHUB_USER") == name
            ):
                proc.kill()
                killed += 1
        except psutil.Error:
            pass
    return killed


def test_three_students_each_get_their_own_dashboard(hub, browser, screenshot):
    pages = {}
    for name in STUDENTS:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        page = context.new_page()
        attach_console_capture(page)
        _log_in(page, hub, name)
        pages[name] = page
    for name, page in pages.items():
        # Spawned, then sent to the lesson in Voilà on the student's own server.
        page.wait_for_url(f"**/user/{name}/voila/render/lesson.ipynb", timeout=180_000)
        page.locator(".jgw-grad-descent .jgw-map path.line").first.wait_for(
            state="attached", timeout=180_000)  # fmt: skip
        bar = page.locator("[data-testid='jgw-transport']").first
        bar.locator("[data-testid='jgw-play']").click()
        page.wait_for_function(PLAYING, arg=bar.element_handle())
    screenshot(pages["ada"], "ada")
    # One student's kernel dies: that student's page says so, nobody else's.
    assert _kill_kernel_of(hub, "blaise") >= 1
    pages["blaise"].locator("[data-testid='jgw-lost']").first.wait_for(state="visible",
                                                                        timeout=15_000)  # fmt: skip
    pages["ada"].wait_for_timeout(3000)
    for name in ("ada", "carl"):
        assert pages[name].locator("[data-testid='jgw-lost']").count() == 0, name
        assert_no_console_errors(pages[name], allow=[PROGRESS_CUT])
    assert_no_console_errors(pages["blaise"], allow=[*KERNEL_GONE, PROGRESS_CUT])
    for page in pages.values():
        page.context.close()
