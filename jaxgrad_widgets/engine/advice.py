"""Advice for a descent that went wrong: a learning rate that would not diverge.

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.engine.advice import stable_learning_rate
    >>> from jaxgrad_widgets.functions import goldfield
    >>> stable_learning_rate(Objective(goldfield), "sgd", [[0.1, 0.1]], 100, {"learning_rate": 1.0})
    0.125
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import optax

from .descent import descent_for

#: An un-jittable objective's descent runs step by step in Python, 5 to 15 ms a step:
#: twelve full-length tries could take a minute. Its tries are judged on their first
#: UNJITTABLE_TRY_STEPS steps (a rate too large shows within a few), and stop once
#: UNJITTABLE_STEP_BUDGET steps have been spent over every try and start.
UNJITTABLE_TRY_STEPS = 40
UNJITTABLE_STEP_BUDGET = 240


def stable_learning_rate(
    objective: Any,
    optimizer: str | optax.GradientTransformation,
    starts: Any,
    steps: int,
    hyper: Mapping[str, float],
    *,
    mask: Sequence[float] | None = None,
    tries: int = 12,
) -> float | None:
    """The largest of lr/2, lr/4, ... with which every start settles, or None.

    Settles: no start diverges, and none ends higher than it began (a run can grow
    without overflowing within the steps taken; that is not a rate to suggest).

    Reuses the compiled descent (the learning rate is a traced value), so each try
    costs one call, not a compilation. None when the optimizer has no learning rate
    to tune or no try within ``tries`` halvings helps; at once when f or its gradient
    is not finite at a start (no rate can help there). An un-jittable objective's
    tries are shorter and fewer (``UNJITTABLE_TRY_STEPS``, ``UNJITTABLE_STEP_BUDGET``).

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> stable_learning_rate(Objective(lambda x: x**2), "sgd", [[1.0]], 50,
        ...                      {"learning_rate": 5.0})
        0.625
    """
    descent = descent_for(objective, optimizer)
    names = {h.name for h in descent.spec.hyperparameters}
    if "learning_rate" not in names:
        return None
    low = descent.spec.hyperparameter("learning_rate").low
    values = dict(hyper)
    rate = float(values.get("learning_rate", descent.spec.defaults()["learning_rate"]))
    if not objective.jittable:
        steps = min(int(steps), UNJITTABLE_TRY_STEPS)
    cost = int(steps) * max(1, np.size(starts) // max(objective.dim, 1))  # steps per try
    spent = 0
    for _ in range(tries):
        rate /= 2
        if rate < low:
            return None
        if not objective.jittable and spent + cost > UNJITTABLE_STEP_BUDGET:
            return None
        values["learning_rate"] = rate
        run = descent.run(starts, steps, values, mask=mask)
        spent += cost
        first = np.concatenate([run.loss[:, :1], run.grad[:, 0]], axis=1)
        if not np.isfinite(first).all():
            return None  # the same at every rate: the start itself is a pole
        if (run.diverged_at < 0).all() and (run.loss[:, -1] <= run.loss[:, 0]).all():
            return rate
    return None
