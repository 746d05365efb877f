"""Run widget code the way a Jupyter kernel runs it: inside an event loop.

The widgets chunk slow descents and plan work ahead only where a kernel's event loop
turns (``lifecycle.kernel_loop``). :func:`in_kernel_loop` runs a coroutine function in
a loop of its own thread that the widget modules take for the kernel's.
"""

import asyncio
import threading
from unittest import mock

from jaxgrad_widgets.widgets import formula_box, grad_descent, scheduler


def _this_threads_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def in_kernel_loop(scenario):
    """Run the coroutine function ``scenario`` the way a kernel runs widget code: in an
    event loop, which the widget takes for the kernel's. In a thread of its own, as the
    test process may hold another library's loop (Playwright's, from the browser tests)."""
    failures = []

    def run():
        try:
            asyncio.run(scenario())
        except BaseException as err:  # re-raised in the test's thread
            failures.append(err)

    with (
        mock.patch.object(scheduler, "kernel_loop", _this_threads_loop),
        mock.patch.object(grad_descent, "kernel_loop", _this_threads_loop),
        mock.patch.object(formula_box, "kernel_loop", _this_threads_loop),
    ):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    if failures:
        raise failures[0]
