"""Gradient-descent trajectories: one compiled call for every start.

``trajectories`` runs ``jit(vmap(loop))`` over ``k`` starts and ``n`` steps and records,
at every step, the parameters, the loss and the gradient. Hyperparameters, the
tolerance, the step count and the axis lock are traced values, so moving a slider
never recompiles; the record buffers and the number of starts are bucketed to
powers of two, so changing the steps or adding a start rarely does.

Divergence does not raise: the first step whose loss or parameters are not finite is
reported, and every finite step before it is kept.

``Descent.family`` runs the same descent at many values of one hyperparameter (every
position of a slider) in one compiled call; see :mod:`.family`.

Example:
    >>> from jaxgrad_widgets.engine import Objective, trajectories
    >>> obj = Objective(lambda x: 3 * x**2 + 4 * x - 3)
    >>> run = trajectories(obj, "sgd", starts=[[3.0]], steps=200, hyper={"learning_rate": 0.01})
    >>> run.params.shape, round(float(run.params[0, -1, 0]), 3)
    ((1, 201, 1), -0.667)
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .errors import DescentConfigError
from .minibatch import Minibatch, check_minibatch, minibatch_sampler
from .objective import Objective
from .optimizers import OptimizerSpec, resolve_optimizer

if TYPE_CHECKING:
    from .family import Family

#: Default tolerance on the gradient norm that counts as converged.
DEFAULT_TOLERANCE = 1e-4

#: The last steps a run's summary looks at to tell oscillating from still moving.
OSCILLATION_TAIL = 50

#: In finals-only mode, divergence and convergence are checked every this many steps
#: and at the last one, which keeps many-start runs at the speed of a plain loop
#: (checking every step costs several times the step). Path mode checks every step.
FINALS_CHECK_EVERY = 32


@dataclass(frozen=True)
class Limits:
    """Upper bounds on one computation, so no input can ask for unbounded work.

    Example:
        >>> Limits().max_steps
        100000
    """

    max_steps: int = 100_000
    max_starts: int = 4096
    #: starts x (steps + 1) recorded points in path mode (memory: 5 floats each).
    max_points: int = 20_000_000
    #: starts in finals-only mode (a 512 x 512 grid).
    max_final_starts: int = 262_144
    #: values of one hyperparameter in a family run (see Descent.family).
    max_members: int = 1024


DEFAULT_LIMITS = Limits()


def check_steps(steps: Any, limits: Limits = DEFAULT_LIMITS) -> int:
    """``steps`` as an int in [1, limits.max_steps], or a DescentConfigError saying why not.

    Example:
        >>> check_steps(300), check_steps(2.0)
        (300, 2)
    """
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        if isinstance(steps, float) and steps.is_integer():
            steps = int(steps)
        else:
            raise DescentConfigError(f"steps must be a whole number, not {steps!r}")
    if steps < 1:
        raise DescentConfigError(f"steps={steps}: take at least 1 step")
    if steps > limits.max_steps:
        raise DescentConfigError(f"steps={steps} is more than the maximum of {limits.max_steps}")
    return int(steps)


def _bucket(n: int, minimum: int) -> int:
    """The smallest power of two >= n (and >= minimum)."""
    return max(minimum, 1 << max(int(n) - 1, 0).bit_length())


@dataclass(frozen=True)
class Trajectories:
    """Every recorded step of a descent from ``k`` starts.

    Attributes:
        params: ``(k, steps + 1, d)`` parameters before each step (index 0 is the start).
        loss: ``(k, steps + 1)`` the objective at those parameters.
        grad: ``(k, steps + 1, d)`` its gradient there.
        diverged_at: ``(k,)`` first step whose loss or parameters are not finite, or -1.
        converged_at: ``(k,)`` first step whose gradient norm (of the parameters that move,
            when a mask locks some) is below the tolerance, or -1.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, trajectories
        >>> square = Objective(lambda x: x**2)
        >>> run = trajectories(square, "sgd", [[1.0]], 50, {"learning_rate": 0.1})
        >>> run.summary(0)
        'converged at step 45'
    """

    params: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    diverged_at: np.ndarray
    converged_at: np.ndarray
    tolerance: float

    @property
    def steps(self) -> int:
        return self.params.shape[1] - 1

    @property
    def n_starts(self) -> int:
        return self.params.shape[0]

    def valid_length(self, start: int) -> int:
        """How many leading records of ``start`` are finite (all of them unless diverged)."""
        diverged = int(self.diverged_at[start])
        return self.steps + 1 if diverged < 0 else diverged

    def final_index(self, start: int) -> int:
        """Index of the last finite record of ``start`` (the start itself at worst: 0)."""
        return max(self.valid_length(start) - 1, 0)

    def gradient_norm(self, mask: Sequence[float] | None = None) -> np.ndarray:
        """``(k, steps + 1)`` Euclidean norm of the gradient at each record.

        With ``mask`` (1 for parameters that move, 0 for locked ones), only the free
        parameters' components count, as for convergence.
        """
        grad = self.grad.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):  # infinite gradients are expected
            if mask is not None:
                grad = grad * np.asarray(mask, np.float64)
            return np.linalg.norm(grad, axis=-1)

    def summary(self, start: int) -> str:
        """One phrase: how the run of ``start`` ended.

        'converged at step k'; 'diverged at step k'; 'not finite at the start' (the
        function or its gradient is NaN or infinite where the run begins: no learning
        rate helps); 'oscillating after n steps' (still moving, to and fro: most of its
        last steps reverse the one before); else 'still moving after n steps'.

        Example:
            >>> from jaxgrad_widgets.engine import Objective, trajectories
            >>> bowl = Objective(lambda x: x**2)
            >>> trajectories(bowl, "sgd", [[1.0]], 20, {"learning_rate": 0.999}).summary(0)
            'oscillating after 20 steps'
        """
        diverged = int(self.diverged_at[start])
        if diverged == 0:
            return "not finite at the start"
        if diverged > 0:
            return f"diverged at step {diverged}"
        if self.converged_at[start] >= 0:
            return f"converged at step {int(self.converged_at[start])}"
        if self.oscillating(start):
            return f"oscillating after {self.steps} steps"
        return f"still moving after {self.steps} steps"

    def oscillating(self, start: int, tail: int = OSCILLATION_TAIL) -> bool:
        """Whether most of the last ``tail`` steps of ``start`` reverse the step before."""
        params = self.params[start, -(tail + 1) :].astype(np.float64)
        moves = np.diff(params, axis=0)
        if len(moves) < 3:
            return False
        turns = np.einsum("ij,ij->i", moves[1:], moves[:-1])
        return bool(np.mean(turns < 0) > 0.5)


@dataclass(frozen=True)
class Finals:
    """Only the last point of each start (finals-only mode, for many starts).

    ``diverged_at`` and ``converged_at`` are the first *checked* step where that holds:
    steps are checked every ``FINALS_CHECK_EVERY`` and at the last one, so they can lie
    up to ``FINALS_CHECK_EVERY - 1`` steps after the exact step :class:`Trajectories`
    reports; ``params`` of a diverged start is its last finite checked point.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, final_points
        >>> out = final_points(Objective(lambda x: x**2), "sgd", [[1.0], [-2.0]], 100,
        ...                    {"learning_rate": 0.1})
        >>> out.params.shape, bool(abs(out.params).max() < 1e-3)
        ((2, 1), True)
    """

    params: np.ndarray
    loss: np.ndarray
    diverged_at: np.ndarray
    converged_at: np.ndarray
    steps: int


class Descent:
    """Compiled descent of one objective with one optimizer.

    Use :func:`trajectories` and :func:`final_points`, which keep one ``Descent``
    per (objective, optimizer) alive while the objective is.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> d = Descent(Objective(lambda x, y: x**2 + y**2), "adam")
        >>> d.run([[1.0, 1.0]], 10, {"learning_rate": 0.1}).params.shape
        (1, 11, 2)
    """

    def __init__(
        self,
        objective: Objective,
        optimizer: str | optax.GradientTransformation | OptimizerSpec,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.objective = objective
        self.spec = resolve_optimizer(optimizer)
        self.limits = limits
        #: How many times a kernel was traced (each trace is one compilation).
        self.trace_count = 0
        #: Seconds per recorded step, by padded number of starts, measured by
        #: :class:`ChunkedRun`; it sizes the next run's first chunk.
        self.record_seconds: dict[int, float] = {}
        self._all_free = np.ones(objective.dim, np.float32)
        self._optimizer_step: Any = None  # the compiled optimizer of the un-jitted path
        if objective.jittable:
            # Static: the record buffer's length and the minibatch size (shapes).
            self._paths = jax.jit(self._paths_kernel, static_argnums=(2, 3))
            self._begin = jax.jit(self._begin_kernel, static_argnums=(2,))
            self._advance = jax.jit(self._advance_kernel, static_argnums=(4,))
            self._finals = jax.jit(self._finals_kernel)
            self._family_paths = jax.jit(self._family_paths_kernel, static_argnums=(3, 4))
            self._family_finals = jax.jit(self._family_finals_kernel)
        else:
            self._paths = self._paths_eager
            self._begin = self._begin_eager
            self._advance = self._advance_eager
            self._finals = None
            self._family_paths = self._family_finals = None

    # ------------------------------------------------------------------ kernels
    # Every traced input travels in one float32 "controls" vector, so a call costs one
    # transfer besides the starts: [steps, tol, seed, mask (d values), hyperparameters...].
    def _controls(
        self, steps: int, tol: float, seed: int, mask: np.ndarray, hyper: Mapping[str, float]
    ) -> np.ndarray:
        dim = self.objective.dim
        controls = np.empty(3 + dim + len(self.spec.hyperparameters), np.float32)
        controls[0], controls[1], controls[2] = steps, tol, seed
        controls[3 : 3 + dim] = mask
        for i, h in enumerate(self.spec.hyperparameters):
            controls[3 + dim + i] = hyper[h.name]
        return controls

    def _hyper_column(self, name: str) -> int:
        """Where hyperparameter ``name`` sits in the controls vector."""
        names = [h.name for h in self.spec.hyperparameters]
        return 3 + self.objective.dim + names.index(name)

    def _unpack_controls(self, controls):
        dim = self.objective.dim
        names = [h.name for h in self.spec.hyperparameters]
        hyper = {name: controls[3 + dim + i] for i, name in enumerate(names)}
        n_steps = controls[0].astype(jnp.int32)
        return n_steps, controls[1], controls[2], controls[3 : 3 + dim], hyper

    def _transformation(self, hyper: Mapping[str, jax.Array]) -> optax.GradientTransformation:
        if not self.spec.injectable:
            return self.spec.transformation
        return optax.inject_hyperparams(self.spec.factory)(**hyper)

    def _stepper(self, controls, batched: bool, batch_size: int = 0, data=None):
        """(init, step) where step(params, state, i) -> (loss, grad, new params, new state).

        Batched, the loop runs outside and the step is vmapped over starts: records
        are then written as one contiguous (starts, 2d + 1) slab per step, which is
        several times faster on CPU than a vmap around the whole loop. With a
        minibatch size, step ``i`` sees the rows of the data drawn for step ``i``.
        """
        _, _, seed, mask, hyper = self._unpack_controls(controls)
        tx = self._transformation(hyper)
        value_and_grad = jax.value_and_grad(self.objective.value_with)
        init, update = tx.init, tx.update
        curvature = self.spec.curvature
        hessian = jax.hessian(self.objective.value_with)
        direction = functools.partial(newton_direction, kind=curvature)
        if batched:
            value_and_grad = _over_starts(value_and_grad)
            init, update = jax.vmap(init), jax.vmap(update)
            hessian = jax.vmap(hessian, in_axes=(0, None))
            direction = jax.vmap(direction, in_axes=(0, 0, None))
        sample = minibatch_sampler(data, batch_size, seed) if batch_size else None

        def step(params, state, i):
            batch = sample(i) if sample is not None else None
            loss, grad = value_and_grad(params, batch)
            # Newton's methods step along H^-1 g (or |H|^-1 g); the record keeps g.
            along = direction(hessian(params, batch), grad, mask) if curvature else grad
            updates, state = update(along, state, params)
            return loss, grad, params + updates * mask, state

        return init, step

    @staticmethod
    def _watch(i, params, loss, grad, tol, diverged, converged, xp=jnp):
        """Update the first-divergence and first-convergence step of each start.

        ``xp`` is jnp inside the kernels and numpy on the un-jitted path, where a jnp
        call per step would cost a dispatch each.
        """
        finite = xp.isfinite(loss) & xp.isfinite(params).all(axis=-1)
        diverged = xp.where((diverged < 0) & ~finite, i, diverged)
        small = (xp.linalg.norm(grad, axis=-1) < tol) & (diverged < 0)
        converged = xp.where((converged < 0) & small, i, converged)
        return finite, diverged, converged

    def _recorder(self, controls, batch_size, data):
        """(initial carry of starts, loop body writing record i) for the path kernels."""
        _, tol, _, mask, _ = self._unpack_controls(controls)
        init, step = self._stepper(controls, batched=True, batch_size=batch_size, data=data)

        def begin(starts, buffer_len):
            k, dim = starts.shape
            never = jnp.full((k,), -1, jnp.int32)
            record = jnp.zeros((buffer_len, k, 2 * dim + 1), jnp.float32)
            return starts, init(starts), record, never, never

        def body(i, carry):
            params, state, record, diverged, converged = carry
            loss, grad, new_params, state = step(params, state, i)
            _, diverged, converged = self._watch(
                i, params, loss, grad * mask, tol, diverged, converged
            )
            row = jnp.concatenate([params, loss[:, None], grad], axis=1)
            return new_params, state, record.at[i].set(row), diverged, converged

        return begin, body

    def _paths_kernel(self, starts, controls, buffer_len, batch_size, data):
        self.trace_count += 1
        return self._paths_traced(starts, controls, buffer_len, batch_size, data)

    def _paths_traced(self, starts, controls, buffer_len, batch_size, data):
        begin, body = self._recorder(controls, batch_size, data)
        n_steps = self._unpack_controls(controls)[0]
        # A traced trip count: the loop runs exactly steps + 1 times whatever the buffer.
        carry = jax.lax.fori_loop(0, n_steps + 1, body, begin(starts, buffer_len))
        return carry[2], jnp.stack(carry[3:])

    def _begin_kernel(self, starts, controls, buffer_len):
        self.trace_count += 1
        begin, _ = self._recorder(controls, 0, None)
        return begin(starts, buffer_len)

    def _advance_kernel(self, carry, controls, first, last, batch_size, data):
        """Records ``first`` to ``last - 1`` of a run begun by ``_begin_kernel``."""
        self.trace_count += 1
        _, body = self._recorder(controls, batch_size, data)
        return jax.lax.fori_loop(first, last, body, carry)

    def _finals_kernel(self, starts, controls):
        self.trace_count += 1
        return self._finals_traced(starts, controls)

    def _finals_traced(self, starts, controls):
        n_steps, tol, _, mask, _ = self._unpack_controls(controls)
        init, step = self._stepper(controls, batched=True)
        k = starts.shape[0]

        def check(i, params, loss, grad, carry):
            last_params, last_loss, diverged, converged = carry
            finite, diverged, converged = self._watch(
                i, params, loss, grad * mask, tol, diverged, converged
            )
            # Keep the last finite point checked, not the overflowed one.
            keep = finite & (diverged < 0)
            last_params = jnp.where(keep[:, None], params, last_params)
            last_loss = jnp.where(keep, loss, last_loss)
            return last_params, last_loss, diverged, converged

        def plain(i, carry):
            params, state = carry
            return step(params, state, i)[2:]

        def chunk(c, carry):
            # Up to FINALS_CHECK_EVERY plain steps, the last of them checked: per-step
            # checks over many starts cost several times the step itself. The last
            # chunk is cut short so the final record is always checked.
            params, state, watched = carry
            last = jnp.minimum((c + 1) * FINALS_CHECK_EVERY, n_steps + 1) - 1
            params, state = jax.lax.fori_loop(c * FINALS_CHECK_EVERY, last, plain, (params, state))
            loss, grad, new_params, state = step(params, state, last)
            return new_params, state, check(last, params, loss, grad, watched)

        never = jnp.full((k,), -1, jnp.int32)
        watched = (starts, jnp.full((k,), jnp.nan), never, never)
        chunks = (n_steps + FINALS_CHECK_EVERY) // FINALS_CHECK_EVERY
        _, _, watched = jax.lax.fori_loop(0, chunks, chunk, (starts, init(starts), watched))
        return watched

    # Family mode (Descent.family): one member after another in a fori_loop whose body is
    # the single-run kernel above, on that member's row of stacked controls; ``count``
    # members are computed, rows past it (bucket padding) are never run. Measured with
    # jax 0.10.2 on CPU against single runs of goldfield and of a Gaussian likelihood
    # over 1000 points, with sgd, momentum and adam, 1 to 16 starts, full gradients and
    # minibatches, diverging rates included: every member bit-identical, at the speed of
    # the single runs or faster (12 rates x 16 starts x 1000 steps: 5.9 ms against 6.3 ms
    # for 12 runs; 601 rates x 16 starts x 1000 steps, finals: 13 ms against 40 ms).
    # lax.map over the members, and lax.map with a lax.cond skipping the padding, were
    # as exact and within 15% of this either way. Not exact:
    # - jax.vmap over the members (1-ulp differences within 300 steps in most cases), and
    #   in path mode 13x slower (12 x 16 x 1000: 73 ms; each record write a scatter);
    # - in finals mode, vmap, and folding the members into the start axis with
    #   per-start hyperparameters: faster (601 x 16 x 1000 sgd: 4 ms folded) but not
    #   exact (a 1-start goldfield family, 1- and 2-start likelihood families, and 359
    #   of 601 adam members differed). So both modes loop over the members.
    def _family_paths_kernel(self, starts, stacked, count, buffer_len, batch_size, data):
        self.trace_count += 1
        k, dim = starts.shape

        def member(m, out):
            record, events = self._paths_traced(starts, stacked[m], buffer_len, batch_size, data)
            return out[0].at[m].set(record), out[1].at[m].set(events)

        size = stacked.shape[0]
        out = (
            jnp.zeros((size, buffer_len, k, 2 * dim + 1), jnp.float32),
            jnp.zeros((size, 2, k), jnp.int32),
        )
        return jax.lax.fori_loop(0, count, member, out)

    def _family_finals_kernel(self, starts, stacked, count):
        self.trace_count += 1
        k, dim = starts.shape

        def member(m, out):
            finals = self._finals_traced(starts, stacked[m])
            return tuple(o.at[m].set(f) for o, f in zip(out, finals, strict=True))

        size = stacked.shape[0]
        never = jnp.zeros((size, k), jnp.int32)
        out = (jnp.zeros((size, k, dim), jnp.float32), jnp.zeros((size, k)), never, never)
        return jax.lax.fori_loop(0, count, member, out)

    # The same records step by step in Python, for functions jit cannot trace. Steps
    # go round the starts (not start after start) so a chunk advances every path. Only
    # the objective runs un-jitted: the optimizer's init and update are compiled.
    def _eager_optimizer(self, params, state, grad, controls):
        _, _, _, mask, hyper = self._unpack_controls(controls)
        tx = self._transformation(hyper)
        if state is None:
            return tx.init(params)
        updates, state = tx.update(grad, state, params)
        return params + updates * mask, state

    def _begin_eager(self, starts, controls, buffer_len):
        if self._optimizer_step is None:
            self._optimizer_step = jax.jit(self._eager_optimizer)
        k, dim = starts.shape
        params = [jnp.asarray(s) for s in starts]
        states = [self._optimizer_step(p, None, None, controls) for p in params]
        record = np.zeros((buffer_len, k, 2 * dim + 1), np.float32)
        never = np.full(k, -1, np.int32)
        return params, states, record, never, never.copy()

    def _advance_eager(self, carry, controls, first, last, batch_size, data):
        _, tol, seed, mask, _ = self._unpack_controls(np.asarray(controls))
        value_and_grad = jax.value_and_grad(self.objective.value_with)
        sample = minibatch_sampler(data, batch_size, int(seed)) if batch_size else None
        params, states, record, diverged, converged = carry
        dim = self.objective.dim
        for i in range(int(first), int(last)):
            batch = sample(i) if sample is not None else None
            for j, p in enumerate(params):
                loss, grad = value_and_grad(p, batch)
                record[i, j] = np.concatenate([np.asarray(p), [float(loss)], np.asarray(grad)])
                along = grad
                if self.spec.curvature:
                    matrix = jax.jacfwd(jax.jacfwd(self.objective.value_with))(p, batch)
                    along = newton_direction(matrix, grad, mask, self.spec.curvature)
                params[j], states[j] = self._optimizer_step(p, states[j], along, controls)
            rows = record[i]
            with np.errstate(over="ignore", invalid="ignore"):  # diverging rows overflow
                _, diverged, converged = self._watch(
                    i, rows[:, :dim], rows[:, dim], rows[:, dim + 1 :] * mask, tol,
                    diverged, converged, xp=np,
                )  # fmt: skip
        return params, states, record, diverged, converged

    def _paths_eager(self, starts, controls, buffer_len, batch_size, data):
        carry = self._begin_eager(starts, controls, buffer_len)
        n_steps = int(controls[0])
        _, _, record, diverged, converged = self._advance_eager(
            carry, controls, 0, n_steps + 1, batch_size, data
        )
        return record, np.stack([diverged, converged])

    # ------------------------------------------------------------------ checks
    def _check_steps(self, steps: Any) -> int:
        return check_steps(steps, self.limits)

    def _check_starts(self, starts: Any, max_starts: int) -> np.ndarray:
        try:
            array = np.asarray(starts, dtype=np.float32)
        except (TypeError, ValueError):
            raise DescentConfigError(f"starts must be numbers, not {starts!r}") from None
        dim = self.objective.dim
        if array.ndim == 1 and dim == 1:
            array = array[:, None]
        if array.ndim == 1 and array.shape[0] == dim:
            array = array[None, :]
        if array.ndim != 2 or array.shape[1] != dim:
            raise DescentConfigError(
                f"starts must have shape (number of starts, {dim}) for "
                f"{self.objective.name} ({', '.join(self.objective.names)}), got {array.shape}"
            )
        if array.shape[0] < 1:
            raise DescentConfigError("give at least one start")
        if array.shape[0] > max_starts:
            raise DescentConfigError(
                f"{array.shape[0]} starts is more than the maximum of {max_starts}"
            )
        if not np.isfinite(array).all():
            raise DescentConfigError("every start must be a finite number (no NaN or infinity)")
        return array

    def _check_mask(self, mask: Any) -> np.ndarray:
        if mask is None:
            return self._all_free
        array = np.asarray(mask, dtype=np.float32).reshape(-1)
        if array.shape != (self.objective.dim,):
            raise DescentConfigError(
                f"mask must have one entry per parameter ({self.objective.dim}), got {array.shape}"
            )
        return array

    def _check_tolerance(self, tol: Any) -> float:
        tol = float(tol)
        if not np.isfinite(tol) or tol < 0:
            raise DescentConfigError(f"tol must be a finite number >= 0, not {tol!r}")
        return tol

    def _prepare(self, starts, steps, hyper, mask, tol, max_starts, minibatch=None) -> Prepared:
        starts = self._check_starts(starts, max_starts)
        steps = self._check_steps(steps)
        values = self.spec.check_hyperparameters(hyper)
        sampling = check_minibatch(self.objective, minibatch)
        k = starts.shape[0]
        # Pad the starts to a power of two (repeating the first) so adding one rarely recompiles.
        missing = _bucket(k, 1) - k
        padded = (
            np.concatenate([starts, np.repeat(starts[:1], missing, axis=0)]) if missing else starts
        )
        tol = self._check_tolerance(tol)
        seed = sampling.seed if sampling is not None else 0
        controls = self._controls(steps, tol, seed, self._check_mask(mask), values)
        return Prepared(
            n_starts=k,
            steps=steps,
            padded=padded,
            controls=controls,
            tolerance=tol,
            buffer_len=_bucket(steps + 1, 64),
            batch_size=sampling.size if sampling is not None else 0,
            data=sampling.data if sampling is not None else {},
            dim=self.objective.dim,
        )

    def prepare_paths(
        self,
        starts: Any,
        steps: int,
        hyper: Mapping[str, float] | None = None,
        *,
        tol: float = DEFAULT_TOLERANCE,
        mask: Sequence[float] | None = None,
        minibatch: Minibatch | None = None,
    ) -> Prepared:
        """Check a path-mode request and pack it for the kernels (see :meth:`run`).

        Example:
            >>> from jaxgrad_widgets.engine import Objective
            >>> job = Descent(Objective(lambda x: x**2), "sgd").prepare_paths([[1.0]], 10)
            >>> job.n_starts, job.steps, job.buffer_len
            (1, 10, 64)
        """
        job = self._prepare(starts, steps, hyper, mask, tol, self.limits.max_starts, minibatch)
        if job.n_starts * (job.steps + 1) > self.limits.max_points:
            raise DescentConfigError(
                f"{job.n_starts} starts x {job.steps} steps records "
                f"{job.n_starts * (job.steps + 1):,} points, more than the maximum of "
                f"{self.limits.max_points:,}; use fewer starts or steps, or final_points() "
                "for many starts"
            )
        return job

    # ------------------------------------------------------------------ public
    def run(
        self,
        starts: Any,
        steps: int,
        hyper: Mapping[str, float] | None = None,
        *,
        tol: float = DEFAULT_TOLERANCE,
        mask: Sequence[float] | None = None,
        minibatch: Minibatch | None = None,
    ) -> Trajectories:
        """Every step from every start; see :func:`trajectories`."""
        job = self.prepare_paths(starts, steps, hyper, tol=tol, mask=mask, minibatch=minibatch)
        record, events = self._paths(
            job.padded, job.controls, job.buffer_len, job.batch_size, job.data
        )
        return job.trajectories(record, events, job.steps + 1)

    def finals(
        self,
        starts: Any,
        steps: int,
        hyper: Mapping[str, float] | None = None,
        *,
        tol: float = DEFAULT_TOLERANCE,
        mask: Sequence[float] | None = None,
    ) -> Finals:
        """Only the final point of every start (full gradients); see :func:`final_points`."""
        job = self._prepare(starts, steps, hyper, mask, tol, self.limits.max_final_starts)
        k = job.n_starts
        if self._finals is None:
            run = self.run(job.padded[:k], job.steps, hyper, tol=tol, mask=mask)
            last = [run.final_index(j) for j in range(k)]
            rows = np.arange(k)
            return Finals(
                run.params[rows, last],
                run.loss[rows, last],
                run.diverged_at,
                run.converged_at,
                job.steps,
            )
        outputs = self._finals(job.padded, job.controls)
        params, loss, diverged, converged = (np.asarray(a) for a in outputs)
        return Finals(params[:k], loss[:k], diverged[:k], converged[:k], job.steps)

    def family(
        self,
        starts: Any,
        steps: int,
        hyper: Mapping[str, float] | None = None,
        *,
        values: Sequence[float],
        vary: str = "learning_rate",
        tol: float = DEFAULT_TOLERANCE,
        mask: Sequence[float] | None = None,
        minibatch: Minibatch | None = None,
        finals: bool = False,
    ) -> Family:
        """The same descent at every value of one hyperparameter, in one compiled call.

        Member ``m`` equals :meth:`run` (or, with ``finals=True``, :meth:`finals`) at
        ``{**hyper, vary: values[m]}`` bit for bit; see :func:`family_trajectories`.

        Example:
            >>> from jaxgrad_widgets.engine import Objective
            >>> d = Descent(Objective(lambda x: x**2), "sgd")
            >>> fam = d.family([[1.0]], 200, values=[0.1, 0.5, 1.5])
            >>> fam.params.shape, fam.converged_at[:, 0].tolist(), fam.diverged_at[:, 0].tolist()
            ((3, 1, 201, 1), [45, 1, -1], [-1, -1, 64])
        """
        from .family import run_family  # family.py builds on this module

        return run_family(
            self, starts, steps, hyper, vary=vary, values=values, tol=tol, mask=mask,
            minibatch=minibatch, finals=finals,
        )  # fmt: skip


@dataclass(frozen=True)
class Prepared:
    """A checked path-mode request, packed for the kernels (see Descent.prepare_paths).

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> job = Descent(Objective(lambda x: x**2), "sgd").prepare_paths([[1.0], [2.0]], 5)
        >>> job.padded.shape, job.batch_size
        ((2, 1), 0)
    """

    n_starts: int
    steps: int
    #: the starts, padded to a power of two by repeating the first
    padded: np.ndarray
    controls: np.ndarray
    tolerance: float
    buffer_len: int
    #: rows per minibatch, 0 for the full gradient
    batch_size: int
    data: dict[str, Any]
    dim: int

    def trajectories(self, record: Any, events: Any, done: int) -> Trajectories:
        """The first ``done`` records of the real starts, as :class:`Trajectories`."""
        k, dim = self.n_starts, self.dim
        # (buffer, starts, 2d + 1) -> views (starts, done, ...) without copying.
        view = np.asarray(record)[:done, :k].transpose(1, 0, 2)
        events = np.asarray(events)[:, :k]
        return Trajectories(
            params=view[..., :dim],
            loss=view[..., dim],
            grad=view[..., dim + 1 :],
            diverged_at=events[0],
            converged_at=events[1],
            tolerance=self.tolerance,
        )


#: Saddle-free Newton divides by |lambda|, floored at this fraction of the largest
#: |lambda| (and at least this much): a flat direction gets a long step, not infinity.
SADDLE_FREE_FLOOR = 1e-3


def newton_direction(hessian, grad, mask, kind: str = "newton"):
    """The direction Newton's methods step along, over the parameters ``mask`` frees.

    ``kind`` 'newton': ``H^-1 g``, which points to where the local quadratic model is
    flat (non-finite where H is singular); 'saddle_free': ``|H|^-1 g``, eigenvalues
    replaced by their absolute values, floored (``SADDLE_FREE_FLOOR``), so the step
    always goes downhill.

    Example:
        >>> import jax.numpy as jnp
        >>> h, g, free = jnp.diag(jnp.array([2.0, -4.0])), jnp.array([2.0, 4.0]), jnp.ones(2)
        >>> newton_direction(h, g, free).tolist()
        [1.0, -1.0]
        >>> newton_direction(h, g, free, "saddle_free").tolist()
        [1.0, 1.0]
    """
    free = mask[:, None] * mask[None, :]
    # A locked parameter's row and column are the identity's: it has no step.
    matrix = hessian * free + jnp.diag(1.0 - mask)
    g = grad * mask
    if matrix.shape[-1] == 2:
        # Two parameters (every map): closed forms, several times faster per step on CPU
        # than LAPACK's solve and eigh, whose calls cost more than the 2 x 2 arithmetic.
        return _newton_direction_2d(matrix, g, kind)
    if kind == "newton":
        return jnp.linalg.solve(matrix, g)
    values, vectors = jnp.linalg.eigh((matrix + matrix.T) / 2)
    size = jnp.abs(values)
    floor = SADDLE_FREE_FLOOR * jnp.maximum(jnp.max(size), 1.0)
    return vectors @ ((vectors.T @ g) / jnp.maximum(size, floor))


def plane_eigen(a, b, c):
    """The eigen-decomposition of the symmetric 2 x 2 matrix ``[[a, b], [b, c]]`` in
    closed form: the angle of the first eigenvector (radians; the second is at 90
    degrees to it), and the eigenvalues along them, the larger first.

    Example:
        >>> [round(float(v), 4) for v in plane_eigen(4.0, -4.0, 0.0)]
        [-0.5536, 6.4721, -2.4721]
    """
    mean, radius = (a + c) / 2, jnp.hypot((a - c) / 2, b)
    return 0.5 * jnp.arctan2(2 * b, a - c), mean + radius, mean - radius


def _newton_direction_2d(matrix, g, kind: str):
    """:func:`newton_direction` of a 2 x 2 Hessian, in closed form."""
    a, b = matrix[0, 0], (matrix[0, 1] + matrix[1, 0]) / 2
    c = matrix[1, 1]
    if kind == "newton":
        det = a * c - b * b  # 0 for a singular Hessian: a non-finite step, as solve's
        return jnp.stack([c * g[0] - b * g[1], a * g[1] - b * g[0]]) / det
    theta, larger, smaller = plane_eigen(a, b, c)
    cos, sin = jnp.cos(theta), jnp.sin(theta)
    sizes = jnp.abs(jnp.stack([larger, smaller]))
    sizes = jnp.maximum(sizes, SADDLE_FREE_FLOOR * jnp.maximum(jnp.max(sizes), 1.0))
    along = (cos * g[0] + sin * g[1]) / sizes[0]
    across = (-sin * g[0] + cos * g[1]) / sizes[1]
    return jnp.stack([cos * along - sin * across, sin * along + cos * across])


def _over_starts(value_and_grad):
    """``value_and_grad`` for a batch of starts (the bound data shared by all of them)."""
    batched = jax.vmap(value_and_grad, in_axes=(0, None))

    def over_starts(params, fixed):
        if params.shape[0] == 1:
            # One start needs no vmap; over many data points the vmapped gradient runs
            # several times slower on CPU (measured: 131 ms against 30 ms for 200 steps
            # over 100,000 points).
            loss, grad = value_and_grad(params[0], fixed)
            return loss[None], grad[None]
        return batched(params, fixed)

    return over_starts


class _DescentCache:
    """One Descent per (objective, optimizer), stored on the objective itself.

    A Descent references its objective, so a cache keyed on objectives from outside
    would keep every objective alive; kept on the objective, it goes with it. Bounded:
    at most ``per_objective`` optimizers per objective (least recently used dropped).
    """

    def __init__(self, per_objective: int = 16) -> None:
        self._per_objective = per_objective
        self._lock = threading.Lock()

    def get(self, objective: Objective, optimizer: Any, limits: Limits) -> Descent:
        spec = resolve_optimizer(optimizer)
        key = (spec.name, id(spec.transformation), limits)
        with self._lock:
            entries = objective.__dict__.setdefault("_descents", OrderedDict())
            descent = entries.get(key)
            if descent is None or descent.spec.transformation is not spec.transformation:
                descent = Descent(objective, spec, limits)
                entries[key] = descent
            entries.move_to_end(key)
            while len(entries) > self._per_objective:
                entries.popitem(last=False)
            return descent


_CACHE = _DescentCache()


def descent_for(
    objective: Objective,
    optimizer: str | optax.GradientTransformation,
    limits: Limits = DEFAULT_LIMITS,
) -> Descent:
    """The cached compiled :class:`Descent` for an objective and optimizer.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> obj = Objective(lambda x: x**2)
        >>> descent_for(obj, "sgd") is descent_for(obj, "sgd")
        True
    """
    return _CACHE.get(objective, optimizer, limits)


def trajectories(
    objective: Objective,
    optimizer: str | optax.GradientTransformation,
    starts: Any,
    steps: int,
    hyper: Mapping[str, float] | None = None,
    *,
    tol: float = DEFAULT_TOLERANCE,
    mask: Sequence[float] | None = None,
    minibatch: Minibatch | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Trajectories:
    """Descend from every start at once and record every step.

    Args:
        objective: the function, as an :class:`Objective`.
        optimizer: a registry name ('sgd', 'momentum', 'nesterov', 'adagrad',
            'rmsprop', 'adam') or any ``optax.GradientTransformation``.
        starts: ``(k, d)`` start points (a single ``(d,)`` point is one start).
        steps: number of optimizer steps; the result has ``steps + 1`` records.
        hyper: hyperparameters by name (see the registry); missing ones take defaults.
        tol: gradient norm below which a start counts as converged.
        mask: ``(d,)`` 1 for parameters that move, 0 for locked ones.
        minibatch: ``Minibatch(size, seed)`` for stochastic gradients over the bound
            data; the recorded loss and gradient are then the minibatch's.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import goldfield
        >>> run = trajectories(Objective(goldfield), "sgd", [[0.1, 0.1], [-0.1, -0.1]], 300,
        ...                    {"learning_rate": 0.05})
        >>> run.params[:, -1].round(2).tolist()
        [[1.0, 1.0], [-1.0, -1.0]]
    """
    return descent_for(objective, optimizer, limits).run(
        starts, steps, hyper, tol=tol, mask=mask, minibatch=minibatch
    )


def final_points(
    objective: Objective,
    optimizer: str | optax.GradientTransformation,
    starts: Any,
    steps: int,
    hyper: Mapping[str, float] | None = None,
    *,
    tol: float = DEFAULT_TOLERANCE,
    mask: Sequence[float] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Finals:
    """Descend from many starts and keep only where each one ends (no paths in memory).

    Example:
        >>> import numpy as np
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import goldfield
        >>> grid = np.stack(np.meshgrid(np.linspace(-2, 2, 64), np.linspace(-2, 2, 64)), -1)
        >>> out = final_points(Objective(goldfield), "sgd", grid.reshape(-1, 2), 500,
        ...                    {"learning_rate": 0.02})
        >>> out.params.shape
        (4096, 2)
    """
    return descent_for(objective, optimizer, limits).finals(
        starts, steps, hyper, tol=tol, mask=mask
    )
