"""Which XLA compilations a piece of code causes (JAX's monitoring events).

A view that must open or answer without compiling (a drag, a dashboard made from a
plan, a grid of another size) is checked with :func:`compiled_during`.
"""

from collections.abc import Callable

import jax.monitoring


def compiled_during(action: Callable[[], object]) -> list[str]:
    """The names of the XLA compilations ``action()`` caused, in order."""
    names: list[str] = []

    def listen(name: str, seconds: float, **_: object) -> None:
        if "backend_compile" in name:
            names.append(name)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        action()
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    return names
