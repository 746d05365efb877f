"""Fixtures for real-browser end-to-end tests (Chromium + Playwright + Jupyter servers).

Every test in this directory is marked ``browser`` automatically; run only these
with ``pytest -m browser`` or skip them with ``-m "not browser"``.

Fixtures (scope)
----------------
``artifacts_dir`` (session)      ``<repo>/test-artifacts`` (override: $JAXGRAD_E2E_ARTIFACTS);
                                 server logs go to ``logs/``, PNGs to ``screenshots/``.
``jupyter_env`` (session)        environment for servers: venv first on PATH, temporary
                                 JUPYTER_CONFIG/DATA/RUNTIME_DIR and IPYTHONDIR.
``notebook_dir`` (session)       temporary directory served by ``jupyter_server``.
``make_notebook`` (function)     ``make_notebook(name, cells) -> Path`` in ``notebook_dir``.
``example_notebooks`` (session)  ``{stem: path}`` of ``examples/*.ipynb`` copied into
                                 ``notebook_dir`` with their outputs cleared.
``jupyter_server`` (session)     ``ServerProcess`` running ``jupyter lab`` on ``notebook_dir``;
                                 ``.url`` ends with ``/``. For ``open_lab_notebook``.
``notebook7_server`` (session)   ``ServerProcess`` running ``jupyter notebook`` (Notebook 7) on
                                 ``notebook_dir``. For ``open_notebook7``. (The lab server also
                                 answers ``notebooks/X.ipynb``, but Notebook 7 pages then log
                                 upstream errors once Lab has opened a notebook there.)
``voila_server`` (function)      factory ``voila_server(notebook_path, *extra_args)`` ->
                                 ``ServerProcess`` of standalone Voilà, notebook at ``.url``;
                                 stopped after the test.
``module_voila_server`` (module) the same factory, servers stopped after the module.
``browser`` (session)            Playwright Chromium (Debian's /usr/bin/chromium, headless).
``page`` (function)              new context + page, 1400x1000, default timeout 30 s, with
                                 ``page.console_errors``, ``page.console_messages`` and
                                 ``page.kernel_sockets`` (for ``count_kernel_frames``).
                                 On failure saves ``screenshots/<test>-failed.png`` and the
                                 console log.
``screenshot`` (function)        ``screenshot(page, suffix=None, full_page=False) -> Path``,
                                 saves ``screenshots/<test name>[-suffix].png``.

Also: after every test that used ``jupyter_server`` or ``notebook7_server`` their kernels
are shut down (opt out: ``@pytest.mark.keep_kernels``).

Helpers to import: ``from .pages import ...`` (opening/running notebooks, Voilà, kernel
frame counting, console-error assertions) and ``from .notebooks import write_notebook``.
See README.md in this directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .notebooks import REPO_ROOT, clear_outputs, copy_examples, write_notebook
from .pages import (
    attach_console_capture,
    attach_kernel_socket_monitor,
    safe_filename,
    save_screenshot,
)
from .servers import (
    ServerProcess,
    isolated_jupyter_env,
    start_jupyter_lab,
    start_notebook7,
    start_voila,
)

HERE = Path(__file__).resolve().parent

CHROMIUM = os.environ.get("JAXGRAD_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
DEFAULT_TIMEOUT_MS = 30_000


# ---------------------------------------------------------------------------- hooks


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "keep_kernels: do not shut the Jupyter servers' kernels down after this test",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Keep each phase's report on the item so fixtures can tell whether the test failed.
    report = yield
    setattr(item, f"_e2e_report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"_e2e_report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


# ---------------------------------------------------------------------------- dirs, env


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("JAXGRAD_E2E_ARTIFACTS", REPO_ROOT / "test-artifacts"))
    (path / "logs").mkdir(parents=True, exist_ok=True)
    (path / "screenshots").mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def jupyter_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return isolated_jupyter_env(tmp_path_factory.mktemp("jupyter-home"))


@pytest.fixture(scope="session")
def notebook_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notebooks")


@pytest.fixture
def make_notebook(notebook_dir: Path) -> Callable[..., Path]:
    """``make_notebook("name", ["code", ...], markdown=()) -> path`` inside ``notebook_dir``."""

    def make(name: str, cells: list[str], **kwargs) -> Path:
        return write_notebook(notebook_dir, name, cells, **kwargs)

    return make


@pytest.fixture(scope="session")
def example_notebooks(notebook_dir: Path) -> dict[str, Path]:
    return {p.stem: clear_outputs(p) for p in copy_examples(notebook_dir)}


# ---------------------------------------------------------------------------- servers


@pytest.fixture(scope="session")
def jupyter_server(
    notebook_dir: Path, jupyter_env: dict[str, str], artifacts_dir: Path
) -> Iterator[ServerProcess]:
    server = start_jupyter_lab(notebook_dir, artifacts_dir / "logs", jupyter_env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def notebook7_server(
    notebook_dir: Path, jupyter_env: dict[str, str], artifacts_dir: Path
) -> Iterator[ServerProcess]:
    server = start_notebook7(notebook_dir, artifacts_dir / "logs", jupyter_env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _shutdown_kernels_after_test(request: pytest.FixtureRequest):
    """After each test that used a Jupyter server, shut its kernels down.

    Autouse, so it is set up first and torn down last: after ``page`` closed the
    browser context, so no front end sees its kernel die. Opt out with
    ``@pytest.mark.keep_kernels``.
    """
    if request.node.get_closest_marker("keep_kernels"):
        yield
        return
    servers = [
        request.getfixturevalue(name)
        for name in ("jupyter_server", "notebook7_server")
        if name in request.fixturenames
    ]
    yield
    for server in servers:
        server.shutdown_kernels()


def _voila_factory(jupyter_env: dict[str, str], artifacts_dir: Path):
    started: list[ServerProcess] = []

    def start(notebook_path: Path | str, *extra_args: str) -> ServerProcess:
        server = start_voila(Path(notebook_path), artifacts_dir / "logs", jupyter_env,
                             extra_args=list(extra_args))  # fmt: skip
        started.append(server)
        return server

    return start, started


@pytest.fixture
def voila_server(jupyter_env, artifacts_dir) -> Iterator[Callable[..., ServerProcess]]:
    """Factory: ``voila_server(path, *extra_voila_args)``; Voilà serves the notebook at ``.url``."""
    start, started = _voila_factory(jupyter_env, artifacts_dir)
    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def module_voila_server(jupyter_env, artifacts_dir) -> Iterator[Callable[..., ServerProcess]]:
    """Like ``voila_server`` but the servers live until the end of the module."""
    start, started = _voila_factory(jupyter_env, artifacts_dir)
    yield start
    for server in started:
        server.stop()


# ---------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install Debian's chromium (make chromium) or "
            "point JAXGRAD_E2E_CHROMIUM at a Chromium binary."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest, artifacts_dir: Path):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    attach_console_capture(page)
    attach_kernel_socket_monitor(page)
    try:
        yield page
    finally:
        if _failed(request):
            name = safe_filename(request.node.name)
            try:
                shot = save_screenshot(page, artifacts_dir / "screenshots", f"{name}-failed",
                                       full_page=True)  # fmt: skip
                print(f"screenshot of the failure: {shot}")
            except Exception as exc:  # the page may have crashed
                print(f"no failure screenshot: {exc}")
            log = artifacts_dir / "logs" / f"{name}-console.txt"
            log.write_text("\n".join(str(m) for m in page.console_messages) + "\n\nERRORS:\n"
                           + "\n".join(str(e) for e in page.console_errors))  # fmt: skip
            print(f"browser console log: {log}")
        context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, artifacts_dir: Path):
    """``screenshot(page, suffix=None, full_page=False)`` -> ``screenshots/<test>[-suffix].png``."""

    def take(page, suffix: str | None = None, *, full_page: bool = False) -> Path:
        name = request.node.name + (f"-{suffix}" if suffix else "")
        return save_screenshot(page, artifacts_dir / "screenshots", name, full_page=full_page)

    return take


# ---------------------------------------------------------------------------- sanity


@pytest.fixture(scope="session")
def venv_python() -> Path:
    """The interpreter the servers and kernels must use (the one running pytest)."""
    return Path(sys.executable)
