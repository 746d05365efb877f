/**
 * The per-model animator of the Player: one per widget model (made in anywidget's
 * `initialize`), however many views show the widget, so only one loop writes the
 * marks.
 *
 * During playback it writes each mark's x and y (one `set` per mark per frame), or
 * the `frame` of a target driven by a `frame` track, and sends nothing to the
 * kernel; the model's `frame` stays the last committed frame. A mark is written
 * only when its tracks' keys say its drawing changed, and not when it still holds
 * equal data; a draw that runs past the frame budget leaves the remaining marks
 * to the next animation frame.
 * When playback stops (end reached, pause, a step, a scrub released) it commits:
 * sets `frame` and `playing` and calls `save_changes` once.
 *
 * With a family (see "Families" in player.py) it listens to the family control's
 * `change:value` itself and, in a microtask after the control moved, redraws
 * every mark at the current frame with the member at the control's value (or
 * the run), sending nothing to the kernel: that is what makes a learning-rate
 * key press redraw the paths without a round trip.
 *
 * Views talk to it through `play`, `pause`, `seek`, `step`, `reset`, `setSpeed`,
 * and follow it with `subscribe`; Python talks to it through the model's traits.
 */

import {
  advance,
  clampFrame,
  composeMark,
  decodeBuffers,
  decodePacked,
  drawingPoints,
  frameValue,
  isLines,
  memberBuffers,
  resolveTracks,
  sameKey,
  trackKey,
  type BufferMap,
  type Drawing,
  type TrackKey,
} from "./tracks";
import type { ControlLike, Listener, MarkModelLike, ModelLike, TrackSpec } from "./types";

/** Turns a target's model id (without "IPY_MODEL_") into its mark model. */
export type Resolver = (id: string) => Promise<unknown> | unknown;

/** requestAnimationFrame and cancelAnimationFrame, injectable for tests. */
export interface Scheduler {
  request(callback: (time: number) => void): number;
  cancel(handle: number): void;
}

export interface AnimatorOptions {
  resolve?: Resolver;
  scheduler?: Scheduler;
  /** The longest wall-clock step one animation frame may advance by (a hidden tab). */
  maxTickMs?: number;
  /**
   * How long one draw may write marks before it leaves the rest to the next
   * animation frame, so that what is written (the first figure's marks) is shown
   * at once. Default: FRAME_BUDGET_MS with the browser's scheduler, none with an
   * injected one.
   */
  frameBudgetMs?: number;
  /**
   * The same for the draw that shows another family member (a learning-rate key
   * press): only the first figure's marks are written in that task, the rest next
   * frame, so the paths change on the very next frame. Default: SWITCH_BUDGET_MS
   * with the browser's scheduler, none with an injected one.
   */
  switchBudgetMs?: number;
  /** The clock the budget is measured with (milliseconds). */
  clock?: () => number;
}

export type AnimatorListener = (animator: Animator) => void;

const REF_PREFIX = "IPY_MODEL_";

/**
 * A new run rewrites every mark, and bqplot takes a few tenths of a millisecond
 * per mark (16 paths and 16 loss curves: about 15 ms). The paths come first in
 * the targets; past this budget the rest wait for the next frame, so the paths
 * are drawn one frame sooner and the loss curves one frame later.
 */
export const FRAME_BUDGET_MS = 8;

/**
 * The budget of a draw that switches to a family member: the map's paths are
 * written at once (the key press's visible answer), the loss curves a frame later.
 * 16 loss curves of 1001 steps take about 3 ms to simplify and hand to bqplot,
 * which would otherwise hold the paths' frame back.
 */
export const SWITCH_BUDGET_MS = 1;

/** One entry of the profiling log (see `debugLog`). */
export interface DebugEntry {
  /** performance.now() when the event began. */
  t: number;
  /**
   * "message": a kernel update arrived; "draw": one frame drawn; "mark": one mark
   * written; "member": a draw that switched between the run and a family member.
   */
  event: "message" | "draw" | "mark" | "member";
  ms?: number;
  frame?: number;
  target?: number;
  /** mark: the points written, over all its lines. */
  points?: number;
  /** member: the member now shown (-1: the run). */
  member?: number;
}

const DEBUG_LIMIT = 20000;

/**
 * The profiling log, or null (the default): a page sets `globalThis.__jgwDebug = true`
 * and reads `globalThis.__jgwMarks` (benchmarks/latency.py does). Off, it costs one
 * property read per frame.
 */
function debugLog(): DebugEntry[] | null {
  const g = globalThis as { __jgwDebug?: unknown; __jgwMarks?: DebugEntry[] };
  if (g.__jgwDebug !== true) return null;
  if (!Array.isArray(g.__jgwMarks)) g.__jgwMarks = [];
  return g.__jgwMarks.length < DEBUG_LIMIT ? g.__jgwMarks : null;
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

const DEFAULT_SPEED = 60;

function browserScheduler(): Scheduler {
  return {
    request: (callback) => globalThis.requestAnimationFrame(callback),
    cancel: (handle) => globalThis.cancelAnimationFrame(handle),
  };
}

function isMark(value: unknown): value is MarkModelLike {
  return value != null && typeof (value as MarkModelLike).set === "function";
}

function isControl(value: unknown): value is ControlLike {
  const c = value as ControlLike | null;
  return c != null && typeof c.get === "function" && typeof c.on === "function" && typeof c.off === "function";
}

/** A reference "IPY_MODEL_<id>" (or a bare id) as the id the resolver takes. */
function modelId(ref: string): string {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

/** Within a relative 1e-9: a slider's value against the values Python computed at. */
export function sameControlValue(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** The resolver anywidget's model offers: its widget manager's `get_model`. */
export function widgetManagerResolver(model: ModelLike): Resolver | undefined {
  const manager = model.widget_manager;
  if (!manager || typeof manager.get_model !== "function") return undefined;
  return (id) => manager.get_model(id);
}

function groupTracks(value: unknown): Map<number, TrackSpec[]> {
  const groups = new Map<number, TrackSpec[]>();
  if (!Array.isArray(value)) return groups;
  for (const track of value as TrackSpec[]) {
    if (track == null || typeof track !== "object") continue;
    const target = track.target;
    if (typeof target !== "number" || !Number.isInteger(target) || target < 0) continue;
    const list = groups.get(target);
    if (list) list.push(track);
    else groups.set(target, [track]);
  }
  return groups;
}

function sameKeys(a: readonly TrackKey[] | undefined, b: readonly TrackKey[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameKey(a[i], b[i])) return false;
  return true;
}

/** Equal values, NaN equal to NaN (a separator). */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const u = a[i];
    const v = b[i];
    if (u !== v && !(u !== u && v !== v)) return false;
  }
  return true;
}

/** Equal drawings: one line against one line, or the same lines row by row. */
function sameDrawing(a: Drawing, b: Drawing): boolean {
  if (!isLines(a) || !isLines(b)) return !isLines(a) && !isLines(b) && sameValues(a.x, b.x) && sameValues(a.y, b.y);
  if (a.x.length !== b.x.length || a.y.length !== b.y.length) return false;
  for (let i = 0; i < a.x.length; i++) if (!sameValues(a.x[i], b.x[i]) || !sameValues(a.y[i], b.y[i])) return false;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value != null && typeof value === "object" && !Array.isArray(value);
}

/** The buffers a model holds: the packed traits when present, else `buffers`. */
function readBuffers(model: ModelLike): BufferMap {
  const layout = model.get("buffer_layout");
  if (Array.isArray(layout)) return decodePacked(layout, model.get("buffer_data"));
  return decodeBuffers(model.get("buffers"));
}

/**
 * The tracks a model holds: `track_layout` resolved when present, else `tracks`.
 * With `overrides` (a family member's values) those win over the run's values.
 */
function readTracks(model: ModelLike, overrides?: Record<string, unknown>): unknown {
  const layout = model.get("track_layout");
  if (!Array.isArray(layout)) return model.get("tracks");
  const values = model.get("track_values");
  if (overrides === undefined) return resolveTracks(layout, values);
  return resolveTracks(layout, { ...(isRecord(values) ? values : {}), ...overrides });
}

type Groups = Map<number, TrackSpec[]>;

export class Animator {
  readonly model: ModelLike;

  private readonly resolver: Resolver | undefined;
  private readonly scheduler: Scheduler;
  private readonly maxTickMs: number;
  private readonly budgetMs: number;
  private readonly switchBudgetMs: number;
  private readonly clock: () => number;
  private restHandle: number | null = null;
  private readonly listeners: [string, Listener][] = [];
  private readonly subscribers = new Set<AnimatorListener>();

  /** What is drawn: the run's buffers and tracks, or a family member's. */
  private buffers: BufferMap = new Map();
  private groups: Groups = new Map();
  private runBuffers: BufferMap = new Map();
  private runGroups: Groups = new Map();
  private marks: (MarkModelLike | null)[] = [];
  private readonly markCache = new Map<string, MarkModelLike>();
  private readonly lastKeys = new Map<number, TrackKey[]>();
  /** What each mark was last given, to skip writing equal data again. */
  private readonly written = new Map<number, Drawing>();
  private buffersStale = true;
  private tracksStale = true;
  private resolveGeneration = 0;
  private targetsReady: Promise<void> = Promise.resolve();

  // The family (see "Families" in player.py).
  private familyBuffers: BufferMap = new Map();
  /** Per member, kept while the family lasts: tracks.ts caches by buffer identity. */
  private readonly memberMaps = new Map<number, BufferMap>();
  private readonly memberGroups = new Map<number, Groups>();
  private familyStale = true;
  private memberValuesStale = true;
  private selectionStale = true;
  /** The member drawn, -1 for the run. */
  private shown = -1;
  private control: ControlLike | null = null;
  private controlRef: unknown = undefined;
  private controlGeneration = 0;
  private controlReady: Promise<void> = Promise.resolve();
  private readonly onControlValue = (): void => {
    this.selectionStale = true;
    this.queueRender();
  };

  private position = 0;
  private current = 0;
  private running = false;
  private handle: number | null = null;
  private lastTime: number | null = null;
  private drawn = 0;
  private selfSetting = false;
  private renderQueued = false;
  private disposed = false;
  private warnedNoResolver = false;

  constructor(model: ModelLike, options: AnimatorOptions = {}) {
    this.model = model;
    this.resolver = options.resolve ?? widgetManagerResolver(model);
    this.scheduler = options.scheduler ?? browserScheduler();
    this.maxTickMs = options.maxTickMs ?? 250;
    this.budgetMs = options.frameBudgetMs ?? (options.scheduler ? Infinity : FRAME_BUDGET_MS);
    this.switchBudgetMs = options.switchBudgetMs ?? (options.scheduler ? Infinity : SWITCH_BUDGET_MS);
    this.clock = options.clock ?? now;

    this.position = this.current = clampFrame(Number(model.get("frame")), this.nFrames);

    this.listen("change:frame", () => this.onFrame());
    this.listen("change:playing", () => this.onPlaying());
    // One kernel message changes several of these: decode once, when drawing.
    const buffersChanged = (): void => {
      if (!this.buffersStale) debugLog()?.push({ t: now(), event: "message" });
      this.buffersStale = true;
      this.invalidate();
    };
    const tracksChanged = (): void => {
      this.tracksStale = true;
      this.invalidate();
    };
    for (const name of ["buffers", "buffer_layout", "buffer_data"]) this.listen(`change:${name}`, buffersChanged);
    for (const name of ["tracks", "track_layout", "track_values"]) this.listen(`change:${name}`, tracksChanged);
    // The family only redraws what it changes (see decodeStale): a new family
    // arrives with every run, mostly while the run is shown.
    const familyChanged = (): void => {
      this.familyStale = true;
      this.onControlValue();
    };
    const memberValuesChanged = (): void => {
      this.memberValuesStale = true;
      this.onControlValue();
    };
    for (const name of ["family_layout", "family_data"]) this.listen(`change:${name}`, familyChanged);
    this.listen("change:family_track_values", memberValuesChanged);
    for (const name of ["family_values", "family_key", "run_key", "run_value"]) {
      this.listen(`change:${name}`, this.onControlValue);
    }
    this.listen("change:family_control", () => this.resolveControl());
    this.listen("change:revision", () => this.invalidate());
    this.listen("change:n_frames", () => this.onFrameCount());
    this.listen("change:targets", () => this.resolveTargets());
    this.listen("destroy", () => this.dispose());
    registerAnimator(this);

    this.resolveTargets();
    this.resolveControl();
    this.draw(this.current, true);
    if (model.get("playing") === true) this.start();
  }

  // -- state views read -------------------------------------------------------

  /** The frame on screen (an integer in [0, nFrames - 1]). */
  get frame(): number {
    return this.current;
  }

  get playing(): boolean {
    return this.running;
  }

  /** Frames drawn since the current (or last) playback started. */
  get framesDrawn(): number {
    return this.drawn;
  }

  get nFrames(): number {
    const n = Number(this.model.get("n_frames"));
    return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The family member drawn (an index into `family_values`), -1 for the run. */
  get member(): number {
    return this.shown;
  }

  /** The number of members when the run has a family (its key matches), else 0. */
  get familySize(): number {
    const values = this.model.get("family_values");
    return this.familyUsable() && Array.isArray(values) ? values.length : 0;
  }

  /** Settles when the current `targets` and family control have been looked up (for tests). */
  get ready(): Promise<void> {
    return Promise.all([this.targetsReady, this.controlReady]).then(() => undefined);
  }

  /** Call `listener` after every drawn frame and every play/stop; returns an unsubscribe. */
  subscribe(listener: AnimatorListener): () => void {
    this.subscribers.add(listener);
    return () => {
      this.subscribers.delete(listener);
    };
  }

  // -- actions (views) --------------------------------------------------------

  /** Start playback (from frame 0 when on the last frame); tells the kernel once. */
  play(): void {
    if (this.running || this.disposed) return;
    this.start();
    this.setModel({ frame: this.current, playing: true });
    this.model.save_changes();
  }

  /** Stop playback where it is and commit the frame. */
  pause(): void {
    if (this.running) this.stop(true);
    else if (this.model.get("playing") === true) this.commit();
  }

  toggle(): void {
    if (this.running) this.pause();
    else this.play();
  }

  /**
   * Show `frame` now. With `commit` (a click, a released scrubber) the frame goes
   * to the kernel and playback stops; without it (a scrubber being dragged) the
   * marks follow and nothing is sent.
   */
  seek(frame: number, commit = true): void {
    if (this.disposed) return;
    if (this.running) this.stop(false);
    const f = clampFrame(frame, this.nFrames);
    this.position = f;
    this.draw(f, false);
    this.notify();
    if (commit) this.commit();
  }

  step(delta: number): void {
    this.seek(this.current + delta, true);
  }

  reset(): void {
    this.seek(0, true);
  }

  /** Change the speed (frames per second); playback keeps its place. */
  setSpeed(fps: number): void {
    if (!Number.isFinite(fps) || fps <= 0 || this.disposed) return;
    this.model.set("speed", fps);
    this.model.save_changes();
  }

  /** Stop everything and remove every listener; safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.running = false;
    this.cancelFrame();
    if (this.restHandle !== null) {
      this.scheduler.cancel(this.restHandle);
      this.restHandle = null;
    }
    for (const [name, callback] of this.listeners) this.model.off(name, callback);
    this.listeners.length = 0;
    this.control?.off("change:value", this.onControlValue);
    this.control = null;
    this.subscribers.clear();
    unregisterAnimator(this);
  }

  // -- model events -----------------------------------------------------------

  private listen(name: string, callback: Listener): void {
    this.model.on(name, callback);
    this.listeners.push([name, callback]);
  }

  private setModel(values: Record<string, unknown>): void {
    this.selfSetting = true;
    try {
      this.model.set(values);
    } finally {
      this.selfSetting = false;
    }
  }

  private onFrame(): void {
    if (this.selfSetting) return;
    const f = clampFrame(Number(this.model.get("frame")), this.nFrames);
    this.position = f;
    this.current = f;
    this.queueRender();
  }

  private onPlaying(): void {
    if (this.selfSetting) return;
    const playing = this.model.get("playing") === true;
    if (playing && !this.running) this.start();
    else if (!playing && this.running) this.stop(true);
  }

  private onFrameCount(): void {
    const f = clampFrame(this.current, this.nFrames);
    if (this.position > this.nFrames - 1) this.position = f;
    this.current = f;
    this.invalidate();
  }

  private invalidate(): void {
    this.lastKeys.clear();
    this.queueRender();
  }

  /** Several traits change in one kernel message: draw once, after all of them. */
  private queueRender(): void {
    if (this.renderQueued || this.disposed) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      if (this.disposed) return;
      this.draw(this.current, false);
      this.notify();
    });
  }

  private resolveTargets(): void {
    const generation = ++this.resolveGeneration;
    const refs = this.model.get("targets");
    const list: unknown[] = Array.isArray(refs) ? refs : [];
    this.marks = list.map(() => null);
    this.lastKeys.clear();
    this.written.clear();
    const pending: Promise<void>[] = [];
    list.forEach((ref, index) => {
      if (isMark(ref)) {
        this.marks[index] = ref;
        return;
      }
      if (typeof ref !== "string") return;
      const id = modelId(ref);
      const cached = this.markCache.get(id);
      if (cached) {
        this.marks[index] = cached;
        return;
      }
      if (!this.resolver) {
        if (!this.warnedNoResolver) {
          console.warn("[jaxgrad_widgets] Player: no widget manager to look up its target marks");
          this.warnedNoResolver = true;
        }
        return;
      }
      const resolver = this.resolver;
      pending.push(
        Promise.resolve()
          .then(() => resolver(id))
          .then(
            (mark) => {
              if (generation !== this.resolveGeneration || this.disposed) return;
              if (!isMark(mark)) {
                console.warn(`[jaxgrad_widgets] Player: target ${id} is not a mark model`);
                return;
              }
              this.markCache.set(id, mark);
              this.marks[index] = mark;
              this.lastKeys.delete(index);
              this.queueRender();
            },
            (error: unknown) => {
              console.warn(`[jaxgrad_widgets] Player: cannot find target ${id}`, error);
            },
          ),
      );
    });
    this.targetsReady = Promise.all(pending).then(() => undefined);
    this.queueRender();
  }

  /**
   * Listen to the family control's `change:value`: one listener, moved when
   * `family_control` names another widget, removed on dispose.
   */
  private resolveControl(): void {
    const ref = this.model.get("family_control") ?? null;
    if (ref === this.controlRef) return;
    this.controlRef = ref;
    const generation = ++this.controlGeneration;
    this.attachControl(null);
    this.controlReady = Promise.resolve();
    if (ref === null) return;
    if (isControl(ref)) {
      this.attachControl(ref);
      return;
    }
    if (typeof ref !== "string") return;
    if (!this.resolver) {
      console.warn("[jaxgrad_widgets] Player: no widget manager to look up its family control");
      return;
    }
    const resolver = this.resolver;
    const id = modelId(ref);
    this.controlReady = Promise.resolve()
      .then(() => resolver(id))
      .then(
        (control) => {
          if (generation !== this.controlGeneration || this.disposed) return;
          if (!isControl(control)) {
            console.warn(`[jaxgrad_widgets] Player: family control ${id} is not a widget model`);
            return;
          }
          this.attachControl(control);
        },
        (error: unknown) => {
          console.warn(`[jaxgrad_widgets] Player: cannot find family control ${id}`, error);
        },
      );
  }

  private attachControl(control: ControlLike | null): void {
    if (this.control === control) return;
    this.control?.off("change:value", this.onControlValue);
    this.control = control;
    control?.on("change:value", this.onControlValue);
    this.onControlValue();
  }

  // -- the family ---------------------------------------------------------------

  private familyUsable(): boolean {
    const values = this.model.get("family_values");
    const key = this.model.get("family_key");
    return Array.isArray(values) && values.length > 0 && typeof key === "number" && key === this.model.get("run_key");
  }

  /**
   * What to draw: the run when the control is at `run_value`, else the member
   * computed at the control's value, else the run (the kernel's answer is on
   * its way).
   */
  private select(): number {
    if (!this.familyUsable() || this.control === null) return -1;
    const v = this.control.get("value");
    if (typeof v !== "number" || !Number.isFinite(v)) return -1;
    const runValue = this.model.get("run_value");
    if (typeof runValue === "number" && sameControlValue(v, runValue)) return -1;
    const values = this.model.get("family_values") as unknown[];
    let best = -1;
    for (let m = 0; m < values.length; m++) {
      const value = values[m];
      if (typeof value !== "number" || !sameControlValue(v, value)) continue;
      if (best < 0 || Math.abs(value - v) < Math.abs((values[best] as number) - v)) best = m;
    }
    return best;
  }

  private memberBufferMap(m: number): BufferMap {
    let map = this.memberMaps.get(m);
    if (!map) {
      map = memberBuffers(this.runBuffers, this.familyBuffers, m);
      this.memberMaps.set(m, map);
    }
    return map;
  }

  private memberTrackGroups(m: number): Groups {
    let groups = this.memberGroups.get(m);
    if (!groups) {
      const all = this.model.get("family_track_values");
      const values = Array.isArray(all) && isRecord(all[m]) ? all[m] : undefined;
      groups = values === undefined ? this.runGroups : groupTracks(readTracks(this.model, values));
      this.memberGroups.set(m, groups);
    }
    return groups;
  }

  // -- playback ---------------------------------------------------------------

  private start(): void {
    if (this.running || this.disposed) return;
    const last = this.nFrames - 1;
    if (last > 0 && this.current >= last && this.model.get("loop") !== true) {
      this.position = 0;
    }
    this.running = true;
    this.lastTime = null;
    this.drawn = 0;
    this.draw(Math.floor(this.position), false);
    this.drawn = 1;
    this.handle = this.scheduler.request((t) => this.tick(t));
    this.notify();
  }

  /** Stop the loop; with `commit`, tell the kernel the frame and `playing=false`. */
  private stop(commit: boolean): void {
    this.running = false;
    this.cancelFrame();
    this.lastTime = null;
    if (commit) this.commit();
    this.notify();
  }

  private commit(): void {
    const f = this.current;
    if (this.model.get("frame") === f && this.model.get("playing") === false) return;
    this.setModel({ frame: f, playing: false });
    this.model.save_changes();
  }

  private cancelFrame(): void {
    if (this.handle !== null) {
      this.scheduler.cancel(this.handle);
      this.handle = null;
    }
  }

  private tick(time: number): void {
    this.handle = null;
    if (!this.running || this.disposed) return;
    const elapsed = this.lastTime === null ? 0 : Math.min(Math.max(time - this.lastTime, 0), this.maxTickMs);
    this.lastTime = time;
    const speed = Number(this.model.get("speed"));
    const next = advance(
      this.position,
      elapsed,
      Number.isFinite(speed) && speed > 0 ? speed : DEFAULT_SPEED,
      this.nFrames,
      this.model.get("loop") === true,
    );
    this.position = next.position;
    const f = clampFrame(next.position, this.nFrames);
    if (f !== this.current) {
      this.draw(f, false);
      this.drawn++;
      if (!next.ended) this.notify();
    }
    if (next.ended) this.stop(true);
    else this.handle = this.scheduler.request((t) => this.tick(t));
  }

  /**
   * Decode what changed and choose what to draw (the run or a member). Returns
   * true when that choice changed: every mark is then drawn again.
   */
  private decodeStale(): boolean {
    let runChanged = false;
    let familyChanged = false;
    if (this.buffersStale) {
      this.buffersStale = false;
      this.runBuffers = readBuffers(this.model);
      this.memberMaps.clear();
      runChanged = true;
    }
    if (this.tracksStale) {
      this.tracksStale = false;
      this.runGroups = groupTracks(readTracks(this.model));
      this.memberGroups.clear();
      runChanged = true;
    }
    if (this.familyStale) {
      this.familyStale = false;
      this.familyBuffers = decodePacked(this.model.get("family_layout"), this.model.get("family_data"));
      this.memberMaps.clear();
      familyChanged = true;
    }
    if (this.memberValuesStale) {
      this.memberValuesStale = false;
      this.memberGroups.clear();
      familyChanged = true;
    }
    let next = this.shown;
    if (this.selectionStale || runChanged || familyChanged) {
      this.selectionStale = false;
      next = this.select();
    }
    const switched = next !== this.shown;
    if (switched || runChanged || (familyChanged && next !== -1)) {
      this.shown = next;
      this.buffers = next === -1 ? this.runBuffers : this.memberBufferMap(next);
      this.groups = next === -1 ? this.runGroups : this.memberTrackGroups(next);
      this.lastKeys.clear();
    }
    return switched;
  }

  /**
   * Write every mark whose tracks changed at frame `f` (all of them with `force`).
   * Past the frame budget the remaining marks keep their old keys, so the next
   * draw (the next playback frame, or one scheduled here) writes them.
   */
  private draw(f: number, force: boolean): void {
    this.current = f;
    const switched = this.decodeStale();
    const log = debugLog();
    const began = log ? now() : 0;
    const budget = switched ? Math.min(this.switchBudgetMs, this.budgetMs) : this.budgetMs;
    const deadline = force ? Infinity : this.clock() + budget;
    let deferred = false;
    for (const [target, tracks] of this.groups) {
      const mark = this.marks[target];
      if (!mark) continue;
      const keys = tracks.map((track) => trackKey(track, f, this.buffers));
      if (!force && sameKeys(this.lastKeys.get(target), keys)) continue;
      if (this.clock() > deadline) {
        deferred = true;
        break;
      }
      this.lastKeys.set(target, keys);
      // A `frame` track writes the target's own frame (a view that draws frames
      // itself, like the 3-D surface); the other kinds write x and y.
      const frameTrack = tracks.find((track) => track.kind === "frame");
      const xyTracks = frameTrack ? tracks.filter((track) => track.kind !== "frame") : tracks;
      try {
        if (frameTrack) {
          const value = frameValue(frameTrack, f);
          if (value !== null) mark.set({ frame: value });
        }
        if (xyTracks.length === 0) continue;
        const t = log ? now() : 0;
        const drawing = composeMark(xyTracks, f, this.buffers);
        if (drawing === null || this.unchanged(target, mark, drawing)) continue;
        // Fresh arrays (a fresh outer Array for several lines): bqplot sees a new value.
        mark.set(drawing);
        this.written.set(target, drawing);
        if (log) log.push({ t, event: "mark", ms: now() - t, frame: f, target, points: drawingPoints(drawing) });
      } catch (error) {
        console.error("[jaxgrad_widgets] Player: writing a mark failed", error);
      }
    }
    if (log) log.push({ t: began, event: "draw", ms: now() - began, frame: f });
    if (log && switched) log.push({ t: began, event: "member", ms: now() - began, member: this.shown });
    if (deferred && !this.running) this.drawRestNextFrame();
    if (switched) this.notify();
  }

  private drawRestNextFrame(): void {
    if (this.restHandle !== null || this.disposed) return;
    this.restHandle = this.scheduler.request(() => {
      this.restHandle = null;
      if (!this.disposed && !this.running) this.draw(this.current, false);
    });
  }

  /**
   * True when the mark still holds what the Player last wrote and that equals
   * `drawing` (row by row for several lines): e.g. the other paths when one
   * start was dragged. bqplot would redraw an equal path all the same.
   */
  private unchanged(target: number, mark: MarkModelLike, drawing: Drawing): boolean {
    const last = this.written.get(target);
    if (last === undefined || typeof mark.get !== "function") return false;
    if (mark.get("x") !== last.x || mark.get("y") !== last.y) return false;
    return sameDrawing(last, drawing);
  }

  private notify(): void {
    for (const listener of this.subscribers) {
      try {
        listener(this);
      } catch (error) {
        console.error("[jaxgrad_widgets] Player: a view failed to update", error);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// One animator per model, found again by the views.
//
// anywidget hands `initialize` and each `render` a different proxy of the same
// model, so a proxy cannot be a key. Two proxies of one model return the very
// same attribute objects (the `buffers` dict, the `tracks` list, the `layout`
// model), while two models never share them: that identifies the model.

const LIVE = new Set<Animator>();
const IDENTITY_ATTRIBUTES = ["buffers", "tracks", "buffer_layout", "track_layout", "track_values", "targets", "layout"];

function sameModel(a: ModelLike, b: ModelLike): boolean {
  if (a === b) return true;
  let objects = 0;
  for (const name of IDENTITY_ATTRIBUTES) {
    const value = a.get(name);
    if (value !== b.get(name)) return false;
    if (value !== null && typeof value === "object") objects++;
  }
  return objects > 0;
}

export function registerAnimator(animator: Animator): void {
  LIVE.add(animator);
}

export function unregisterAnimator(animator: Animator): void {
  LIVE.delete(animator);
}

/** The live animator of the widget `model` is a proxy of, if there is one. */
export function findAnimator(model: ModelLike): Animator | undefined {
  // The newest wins: after a hot reload the old one lives until its cleanup runs.
  let found: Animator | undefined;
  for (const animator of LIVE) if (animator.model === model) found = animator;
  if (found) return found;
  for (const animator of LIVE) if (sameModel(animator.model, model)) found = animator;
  return found;
}
