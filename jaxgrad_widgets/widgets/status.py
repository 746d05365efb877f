"""Per-start status rows and the status line, as data and as HTML.

Example:
    >>> from jaxgrad_widgets.widgets.status import StartStatus, status_table_html
    >>> row = StartStatus(0, "#d62728", (1.0, 1.0), 1.0, 0.0, "converged at step 98", "ok")
    >>> "converged at step 98" in status_table_html([row], ("x", "y"))
    True
"""

from __future__ import annotations

import dataclasses
import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import traitlets

from ..engine.curvature import EndOfRun
from ..engine.errors import JaxGradError
from .palette import ERROR_COLOR, SUCCESS_COLOR, start_color

log = logging.getLogger("jaxgrad_widgets")


@dataclass(frozen=True)
class StartStatus:
    """Where one start ended and how: 'ok' (converged to a minimum), 'stopped' (at a
    saddle or a maximum), 'moving' or 'diverged'; for a converged start, the kind of
    point it stopped at, and at a minimum the condition number there with the linear
    rate theory predicts and the one the run showed.

    Example:
        >>> StartStatus(1, "#fff", (0.5,), 2.0, 0.1, "still moving after 10 steps", "moving").state
        'moving'
    """

    index: int
    color: str
    final_point: tuple[float, ...]
    final_loss: float
    gradient_norm: float
    summary: str
    state: str
    hint: str = ""
    end_kind: str | None = None
    condition_number: float | None = None
    predicted_rate: float | None = None
    measured_rate: float | None = None

    def shown(self, point: tuple[float, ...]) -> StartStatus:
        """The same row with its final point as displayed (e.g. sigma for log_sigma)."""
        return dataclasses.replace(self, final_point=point)

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``w.status``."""
        return {
            "start": self.index,
            "final_point": self.final_point,
            "loss": self.final_loss,
            "gradient_norm": self.gradient_norm,
            "summary": self.summary,
            "state": self.state,
            "hint": self.hint,
            "end_kind": self.end_kind,
            "condition_number": self.condition_number,
            "predicted_rate": self.predicted_rate,
            "measured_rate": self.measured_rate,
        }


def start_rows(
    run: Any,
    *,
    losses: Sequence[float],
    mask: Sequence[float] | None = None,
    hint: str = "",
    lock: tuple[str, Sequence[str]] | None = None,
    noisy: bool = False,
    ends: Sequence[EndOfRun | None] | None = None,
) -> list[StartStatus]:
    """One row per start of an engine run (``Trajectories``): where and how it ended.

    ``losses`` are the final losses to show (the whole data's, under minibatches);
    ``hint`` ends the summary of a diverged start (and is kept in ``hint``); ``lock`` is
    (locked parameter, the parameters that move), to say why a locked run may stop at
    once; ``noisy`` when each step saw another minibatch (its path wanders by design);
    ``ends`` each converged start's :class:`~jaxgrad_widgets.engine.curvature.EndOfRun`
    (a run that stopped at a saddle says so: it did not find a minimum).

    Example:
        >>> from jaxgrad_widgets.engine import Objective, trajectories
        >>> run = trajectories(Objective(lambda x: x**2), "sgd", [[1.0]], 50,
        ...                    {"learning_rate": 3.0})
        >>> row, = start_rows(run, losses=[float(run.loss[0, -1])], hint="try 0.5 or less")
        >>> row.summary, row.state
        ('diverged at step 28 — try 0.5 or less', 'diverged')
    """
    norms = run.gradient_norm(mask)  # with an axis locked, only the free ones count
    rows = []
    for j in range(run.n_starts):
        last = run.final_index(j)
        diverged = run.diverged_at[j] >= 0
        state = "diverged" if diverged else ("ok" if run.converged_at[j] >= 0 else "moving")
        summary = run.summary(j)
        if diverged and hint:
            summary = f"{summary} — {hint}"
        if run.converged_at[j] == 0:
            summary += ": " + _flat_start(lock)
        if noisy and state == "moving":
            # Minibatch gradients jitter: that is noise, not a rate too large.
            summary = f"still moving after {run.steps} steps (each step sees another minibatch)"
        end = ends[j] if ends is not None and state == "ok" else None
        if end is not None and end.kind in ("saddle", "maximum"):
            point = "a saddle point" if end.kind == "saddle" else "a maximum"
            summary = f"stopped at {point} at step {int(run.converged_at[j])}"
            state = "stopped"
        rows.append(
            StartStatus(
                index=j,
                color=start_color(j),
                final_point=tuple(float(v) for v in run.params[j, last]),
                final_loss=float(losses[j]),
                gradient_norm=float(norms[j, last]),
                summary=summary,
                state=state,
                hint=hint if diverged else "",
                end_kind=None if end is None else end.kind,
                condition_number=None if end is None else end.condition_number,
                predicted_rate=None if end is None else end.predicted_rate,
                measured_rate=None if end is None else end.measured_rate,
            )
        )
    return rows


def _flat_start(lock: tuple[str, Sequence[str]] | None) -> str:
    """Why a run stops before its first step: its start is flat where it may move."""
    if lock is None:
        return "the gradient is already 0 at the start"
    locked, moving = lock
    slope = f"∂f/∂{moving[0]}" if len(moving) == 1 else "the gradient of the others"
    return f"with {locked} locked, {slope} is already 0 at the start"


def _number(value: float) -> str:
    return f"{value:.4g}"


def status_table_html(rows: Sequence[StartStatus], names: Sequence[str]) -> str:
    """One table row per start: colour swatch, final point, loss, |grad| and the outcome.

    Example:
        >>> row = StartStatus(0, "#d62728", (-0.6667,), 0.5, 1e-5, "converged at step 98", "ok")
        >>> "<td>-0.6667</td>" in status_table_html([row], ("x",))
        True
    """
    # At a minimum: how round the valley is and how fast the run closed in, predicted by
    # theory and measured on its path (a column only when some start has them).
    speeds = any(row.condition_number is not None for row in rows)
    headings = ["", "start", "final " + ", ".join(names), "loss", "|grad|", "outcome"]
    if speeds:
        headings.append("at the minimum: κ, rate predicted / measured")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headings)
    body = []
    for row in rows:
        color = {"ok": SUCCESS_COLOR, "diverged": ERROR_COLOR}.get(row.state, "inherit")
        outcome = html.escape(row.summary)
        point = ", ".join(_number(v) for v in row.final_point)
        if len(row.final_point) > 1:
            point = f"({point})"  # a point of several parameters; one is a number
        body.append(
            f'<tr data-start="{row.index}" data-state="{row.state}">'
            f'<td><span class="jgw-swatch" style="background:{row.color}"></span></td>'
            f"<td>{row.index + 1}</td><td>{point}</td>"
            f"<td>{_number(row.final_loss)}</td><td>{_number(row.gradient_norm)}</td>"
            f'<td class="jgw-outcome" style="color:{color}">{outcome}</td>'
            + (f'<td class="jgw-speed">{html.escape(_speed(row))}</td>' if speeds else "")
            + "</tr>"
        )
    return (
        f'<table class="jgw-status-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _speed(row: StartStatus) -> str:
    """'κ 10, 0.818 / 0.818 per step' for a start that converged to a minimum.

    Example:
        >>> _speed(StartStatus(0, "#fff", (0.0,), 0.0, 0.0, "", "ok", condition_number=10.0,
        ...                    predicted_rate=0.8182, measured_rate=0.8179))
        'κ 10, 0.818 / 0.818 per step'
    """
    if row.condition_number is None:
        return ""
    predicted = "—" if row.predicted_rate is None else f"{row.predicted_rate:.3g}"
    measured = "—" if row.measured_rate is None else f"{row.measured_rate:.3g}"
    return f"κ {row.condition_number:.3g}, {predicted} / {measured} per step"


def status_line_html(message: str, is_error: bool, state: str = "") -> str:
    """The one-line message under the dashboard (errors in red).

    ``state`` names a state worth noticing (``"jgw-building"``): the line takes it as a
    class and is bold.

    Example:
        >>> status_line_html("steps must be at least 1", True).count("jgw-error")
        1
        >>> status_line_html("building ...", False, state="jgw-building")[:56]
        '<div class="jgw-status-line jgw-building" role="status" '
    """
    if is_error:
        css, style = "jgw-status-line jgw-error", f' style="color:{ERROR_COLOR}"'
    elif state:
        css, style = f"jgw-status-line {state}", ' style="font-weight:600"'
    else:
        css, style = "jgw-status-line", ""
    return f'<div class="{css}" role="status"{style}>{html.escape(message)}</div>'


def progress_html(fraction: float) -> str:
    """The bar a slow run shows above the message: an HTML ``<progress>`` (0 to 1).

    Example:
        >>> progress_html(0.25)
        '<progress class="jgw-progress" value="0.25" max="1" aria-label="computing">25%</progress>'
    """
    fraction = min(max(float(fraction), 0.0), 1.0)
    return (f'<progress class="jgw-progress" value="{fraction:.4g}" max="1" '
            f'aria-label="computing">{fraction:.0%}</progress>')  # fmt: skip


def shown_errors(show: Callable[[str, bool], None], action: Callable[..., Any], *args: Any) -> Any:
    """Run ``action`` for the browser; a refused input or a bug goes to ``show``, not away.

    A refused input (a JaxGradError or a TraitError) is shown as its message; anything
    else is a bug, shown as "internal error: ..." and written to the log with its
    traceback. Returns the action's result, or None when it failed.

    Example:
        >>> def refuse():
        ...     raise JaxGradError("steps must be at least 1")
        >>> shown_errors(lambda message, is_error: print(message, is_error), refuse)
        steps must be at least 1 True
    """
    try:
        return action(*args)
    except (JaxGradError, traitlets.TraitError) as err:
        show(str(err), True)
    except Exception as err:  # a bug must not go silent: status line + log
        log.exception("jaxgrad_widgets callback failed")
        show(f"internal error: {type(err).__name__}: {err}", True)
    return None
