"""The pure-JAX engine: objectives, optimizers, trajectories and landscapes.

Nothing here imports widget code, so the engine can be scripted, tested and
benchmarked on its own.

Example:
    >>> from jaxgrad_widgets.engine import Objective, trajectories
    >>> from jaxgrad_widgets.functions import goldfield
    >>> run = trajectories(Objective(goldfield), "sgd", [[0.1, 0.1]], 300, {"learning_rate": 0.05})
    >>> run.summary(0)
    'converged at step 98'
"""

from .advice import stable_learning_rate
from .basins import Basins, BasinsJob, basins_of_attraction
from .chunked import ChunkedRun
from .derivatives import (
    check_order,
    critical_points_1d,
    derivatives_on,
    nth_derivative,
    stationary_kind,
)
from .descent import (
    DEFAULT_LIMITS,
    DEFAULT_TOLERANCE,
    FINALS_CHECK_EVERY,
    Descent,
    Finals,
    Limits,
    Trajectories,
    check_steps,
    descent_for,
    final_points,
    trajectories,
)
from .errors import DescentConfigError, JaxGradError, ObjectiveError, OptimizerError
from .family import Family, family_trajectories
from .landscape import (
    CriticalPoint,
    Grid,
    check_bounds,
    classify_point,
    contour_paths,
    curve_values,
    default_bounds,
    default_levels,
    find_minima,
    grid_values,
    suggest_bounds,
)
from .minibatch import MAX_SEED, Minibatch, data_arguments
from .objective import NotJittableWarning, Objective
from .optimizers import OPTIMIZERS, Hyperparameter, OptimizerSpec, resolve_optimizer
from .race import Race, race
from .sweep import Sweep, SweepJob, learning_rate_sweep

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TOLERANCE",
    "FINALS_CHECK_EVERY",
    "MAX_SEED",
    "OPTIMIZERS",
    "Basins",
    "BasinsJob",
    "ChunkedRun",
    "CriticalPoint",
    "Descent",
    "DescentConfigError",
    "Family",
    "Finals",
    "Grid",
    "Hyperparameter",
    "JaxGradError",
    "Limits",
    "Minibatch",
    "NotJittableWarning",
    "Objective",
    "ObjectiveError",
    "OptimizerError",
    "OptimizerSpec",
    "Race",
    "Sweep",
    "SweepJob",
    "Trajectories",
    "basins_of_attraction",
    "check_bounds",
    "check_order",
    "check_steps",
    "classify_point",
    "contour_paths",
    "critical_points_1d",
    "curve_values",
    "data_arguments",
    "default_bounds",
    "default_levels",
    "derivatives_on",
    "descent_for",
    "family_trajectories",
    "final_points",
    "find_minima",
    "grid_values",
    "learning_rate_sweep",
    "nth_derivative",
    "race",
    "resolve_optimizer",
    "stable_learning_rate",
    "stationary_kind",
    "suggest_bounds",
    "trajectories",
]
