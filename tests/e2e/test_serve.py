"""A notebook served as `make workshop` serves it: preheated kernels that share JAX's
compilation cache, every dashboard of the page there, a console free of Voilà's
module-federation error, and a dead kernel noticed and said."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .pages import assert_no_console_errors, open_voila
from .servers import start_served
from .test_dashboard import ROOT, path_d, set_learning_rate, wait_for_dashboard, wait_path_change
from .test_dead_kernel import KERNEL_GONE

LESSON_CELLS = [
    """\
from jaxgrad_widgets import DerivativeWidget, GradDescentWidget
from jaxgrad_widgets.functions import goldfield, polynomial
GradDescentWidget(goldfield, learning_rate=0.05)""",
    "GradDescentWidget(goldfield, starts=[(0.5, -1.0), (-1.5, 1.2)], optimizer='adam')",
    "DerivativeWidget(polynomial, order=2)",
]


@pytest.fixture
def served(jupyter_env, artifacts_dir, make_notebook, tmp_path):
    cache = tmp_path / "jax-cache"
    server = start_served(make_notebook("lesson", LESSON_CELLS), artifacts_dir / "logs",
                          jupyter_env, students=2, cache_dir=cache)  # fmt: skip
    yield server, cache
    server.stop()


def _pool_filled(server, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while "Kernel pool of lesson.ipynb is filled with 2 kernel(s)" not in server.log_tail(400):
        assert time.monotonic() < deadline, server.log_tail()
        time.sleep(0.5)


def test_a_served_lesson_arrives_whole_and_says_when_its_kernel_dies(page, served, screenshot):
    server, cache = served
    _pool_filled(server)
    open_voila(page, server.url)
    wait_for_dashboard(page)
    expect(page.locator(".jgw-root")).to_have_count(3)
    # The preheated kernels compiled into the shared cache.
    assert any(cache.iterdir())
    # Voilà no longer tries to load Notebook 7's extension (a module-federation error).
    logged = "\n".join(e.haystack for e in getattr(page, "console_errors", []))
    assert "lab-extension" not in logged and "RUNTIME-012" not in logged
    before = path_d(page, 0)
    set_learning_rate(page, "0.02")
    wait_path_change(page, 0, before)
    screenshot(page)
    # The server checks its kernels every second: a killed one is said within moments.
    assert server.kill_kernels() >= 1
    expect(page.locator(f"{ROOT} [data-testid='jgw-lost']").first).to_be_visible(timeout=10_000)
    assert_no_console_errors(page, allow=KERNEL_GONE)
