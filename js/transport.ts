/**
 * The transport bar: one per view of a Player. It draws the controls and sends
 * the user's actions to the model's animator; it never writes marks itself.
 *
 * Stable hooks for end-to-end tests: every control has a class and a
 * data-testid (jgw-transport, jgw-reset, jgw-step-back, jgw-play, jgw-step,
 * jgw-scrubber, jgw-frame-readout, jgw-speed); the root carries data-playing,
 * data-frame, data-n-frames and data-frames-drawn (frames drawn since playback
 * last started), data-member (the family member drawn, -1 for the run) and
 * data-family-size (0 without a usable family); the play button's aria-pressed
 * is "true" while playing.
 */

import type { Animator } from "./animator";
import type { Listener, ModelLike } from "./types";

/** The speeds (frames per second) the speed control offers. */
export const SPEEDS: readonly number[] = [5, 15, 30, 60, 120, 240, 600];

const PLAY_TEXT = "\u25B6 Play";
const PAUSE_TEXT = "\u275A\u275A Pause";

export interface TransportElements {
  root: HTMLDivElement;
  reset: HTMLButtonElement;
  stepBack: HTMLButtonElement;
  play: HTMLButtonElement;
  step: HTMLButtonElement;
  scrubber: HTMLInputElement;
  readout: HTMLSpanElement;
  speed: HTMLSelectElement;
}

function formatSpeed(fps: number): string {
  return `${Number.isInteger(fps) ? fps : fps.toFixed(1)}/s`;
}

function button(doc: Document, name: string, text: string, label: string, title: string): HTMLButtonElement {
  const b = doc.createElement("button");
  b.type = "button";
  b.className = `jgw-btn jgw-${name}`;
  b.dataset.testid = `jgw-${name}`;
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.title = title;
  return b;
}

function build(doc: Document): TransportElements {
  const root = doc.createElement("div");
  root.className = "jgw-transport";
  root.tabIndex = 0;
  root.setAttribute("role", "toolbar");
  root.setAttribute("aria-label", "Playback");
  root.dataset.testid = "jgw-transport";

  const reset = button(doc, "reset", "\u21E4", "Reset", "Back to the first frame (Home)");
  const stepBack = button(doc, "step-back", "\u25C2", "Step back", "One frame back (\u2190)");
  const play = button(doc, "play", PLAY_TEXT, "Play", "Play / pause (Space)");
  play.setAttribute("aria-pressed", "false");
  const step = button(doc, "step", "\u25B8", "Step", "One frame on (\u2192)");

  const scrubber = doc.createElement("input");
  scrubber.type = "range";
  scrubber.className = "jgw-scrubber";
  scrubber.dataset.testid = "jgw-scrubber";
  scrubber.min = "0";
  scrubber.max = "0";
  scrubber.step = "1";
  scrubber.value = "0";
  scrubber.setAttribute("aria-label", "Frame");

  const readout = doc.createElement("span");
  readout.className = "jgw-readout";
  readout.dataset.testid = "jgw-frame-readout";

  const speedLabel = doc.createElement("label");
  speedLabel.className = "jgw-speed-label";
  speedLabel.append("speed");
  const speed = doc.createElement("select");
  speed.className = "jgw-speed";
  speed.dataset.testid = "jgw-speed";
  speed.title = "Frames per second";
  for (const fps of SPEEDS) {
    const option = doc.createElement("option");
    option.value = String(fps);
    option.textContent = formatSpeed(fps);
    speed.append(option);
  }
  speedLabel.append(speed);

  root.append(reset, stepBack, play, step, scrubber, readout, speedLabel);
  return { root, reset, stepBack, play, step, scrubber, readout, speed };
}

/**
 * Draw a transport bar for `animator` into `el`. Returns the cleanup that
 * removes the bar and every listener it added.
 */
export function renderTransport(
  model: ModelLike,
  el: HTMLElement,
  animator: Animator,
): { elements: TransportElements; cleanup: () => void } {
  const doc = el.ownerDocument;
  const ui = build(doc);
  const { root, reset, stepBack, play, step, scrubber, readout, speed } = ui;

  // Only write the DOM when a value changes: this runs on every drawn frame.
  const shown = { frame: -1, n: -1, label: "", playing: null as boolean | null, drawn: -1, member: NaN, family: NaN };

  const update = (): void => {
    const n = animator.nFrames;
    const frame = animator.frame;
    const playing = animator.playing;
    const drawn = animator.framesDrawn;
    const member = animator.member;
    const family = animator.familySize;
    const labelValue = model.get("frame_label");
    const label = typeof labelValue === "string" ? labelValue : "step";
    if (n !== shown.n) {
      scrubber.max = String(n - 1);
      scrubber.disabled = n <= 1;
      root.dataset.nFrames = String(n);
    }
    if (frame !== shown.frame || n !== shown.n) {
      scrubber.value = String(frame);
      root.dataset.frame = String(frame);
    }
    if (frame !== shown.frame || n !== shown.n || label !== shown.label) {
      readout.textContent = `${label} ${frame} / ${n - 1}`;
    }
    if (playing !== shown.playing) {
      play.textContent = playing ? PAUSE_TEXT : PLAY_TEXT;
      play.setAttribute("aria-pressed", String(playing));
      play.setAttribute("aria-label", playing ? "Pause" : "Play");
      play.dataset.state = playing ? "playing" : "paused";
      root.dataset.playing = String(playing);
      root.classList.toggle("jgw-is-playing", playing);
    }
    if (drawn !== shown.drawn) root.dataset.framesDrawn = String(drawn);
    if (member !== shown.member) root.dataset.member = String(member);
    if (family !== shown.family) root.dataset.familySize = String(family);
    shown.frame = frame;
    shown.n = n;
    shown.label = label;
    shown.playing = playing;
    shown.drawn = drawn;
    shown.member = member;
    shown.family = family;
  };

  const syncSpeed = (): void => {
    const value = Number(model.get("speed"));
    for (const option of Array.from(speed.options)) {
      if (option.dataset.custom === "true" && Number(option.value) !== value) option.remove();
    }
    if (!Number.isFinite(value) || value <= 0) return;
    const key = String(value);
    if (!Array.from(speed.options).some((o) => o.value === key)) {
      const option = doc.createElement("option");
      option.value = key;
      option.textContent = formatSpeed(value);
      option.dataset.custom = "true";
      const after = Array.from(speed.options).find((o) => Number(o.value) > value);
      speed.insertBefore(option, after ?? null);
    }
    speed.value = key;
  };

  // -- user actions -----------------------------------------------------------

  const domListeners: [EventTarget, string, EventListener][] = [];
  const on = (target: EventTarget, type: string, handler: EventListener): void => {
    target.addEventListener(type, handler);
    domListeners.push([target, type, handler]);
  };

  on(reset, "click", () => animator.reset());
  on(stepBack, "click", () => animator.step(-1));
  on(step, "click", () => animator.step(1));
  on(play, "click", () => animator.toggle());
  // While dragging: marks follow, nothing goes to the kernel; on release: commit.
  on(scrubber, "input", () => animator.seek(Number(scrubber.value), false));
  on(scrubber, "change", () => animator.seek(Number(scrubber.value), true));
  on(speed, "change", () => animator.setSpeed(Number(speed.value)));

  on(root, "keydown", (event: Event) => {
    const e = event as KeyboardEvent;
    const target = e.target as Element | null;
    const inSelect = target?.tagName === "SELECT";
    const inScrubber = target === scrubber;
    const key = e.key;
    if (key === " " || key === "Spacebar" || e.code === "Space") {
      e.stopPropagation();
      if (inSelect) return;
      e.preventDefault();
      if (!e.repeat) animator.toggle();
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      e.stopPropagation();
      // The scrubber and the speed list move themselves on arrows.
      if (inSelect || inScrubber) return;
      e.preventDefault();
      animator.step(key === "ArrowLeft" ? -1 : 1);
    } else if (key === "Home" || key === "End") {
      e.stopPropagation();
      if (inSelect || inScrubber) return;
      e.preventDefault();
      if (key === "Home") animator.reset();
      else animator.seek(animator.nFrames - 1, true);
    } else if (key === "ArrowUp" || key === "ArrowDown") {
      // Keep JupyterLab's command mode from moving between cells.
      e.stopPropagation();
    }
  });

  // -- following the animator and the model -------------------------------------

  const unsubscribe = animator.subscribe(update);
  const modelListeners: [string, Listener][] = [
    ["change:frame_label", update],
    ["change:n_frames", update],
    ["change:speed", syncSpeed],
  ];
  for (const [name, callback] of modelListeners) model.on(name, callback);

  update();
  syncSpeed();
  el.appendChild(root);

  const cleanup = (): void => {
    unsubscribe();
    for (const [name, callback] of modelListeners) model.off(name, callback);
    modelListeners.length = 0;
    for (const [target, type, handler] of domListeners) target.removeEventListener(type, handler);
    domListeners.length = 0;
    root.remove();
  };
  return { elements: ui, cleanup };
}
