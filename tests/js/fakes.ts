/**
 * Test doubles: a widget model with Backbone-like events and ipywidgets-like
 * "what would be sent" bookkeeping, bqplot mark models that record every `set`,
 * and a hand-driven animation-frame scheduler.
 */

import { Animator, type AnimatorOptions, type DebugEntry, type Scheduler } from "../../js/animator";
import type { Listener, ModelLike, TrackSpec } from "../../js/types";

export interface LogEntry {
  type: "set" | "save" | "kernel";
  values: Record<string, unknown>;
}

export class FakeModel implements ModelLike {
  attrs: Record<string, unknown>;
  log: LogEntry[] = [];
  /** Each save_changes call: the attributes it would send (changed locally since the last save). */
  sent: Record<string, unknown>[] = [];
  private pending: Record<string, unknown> = {};
  private handlers: { name: string; callback: Listener }[] = [];
  widget_manager?: { get_model(id: string): Promise<unknown> };

  constructor(attrs: Record<string, unknown> = {}) {
    this.attrs = {
      targets: [],
      buffers: {},
      tracks: [],
      n_frames: 1,
      frame: 0,
      playing: false,
      speed: 60,
      loop: false,
      revision: 0,
      frame_label: "step",
      ...attrs,
    };
  }

  get(name: string): unknown {
    return this.attrs[name];
  }

  set(name: string | Record<string, unknown>, value?: unknown): void {
    const values = typeof name === "string" ? { [name]: value } : name;
    this.log.push({ type: "set", values });
    this.apply(values, true);
  }

  /** What a message from the kernel does: set attributes without queueing them for sending. */
  fromKernel(values: Record<string, unknown>): void {
    this.log.push({ type: "kernel", values });
    this.apply(values, false);
  }

  private apply(values: Record<string, unknown>, local: boolean): void {
    const changed: string[] = [];
    for (const [key, v] of Object.entries(values)) {
      if (this.attrs[key] !== v) {
        this.attrs[key] = v;
        changed.push(key);
      }
      if (local && changed.includes(key)) this.pending[key] = v;
    }
    for (const key of changed) this.trigger(`change:${key}`);
    if (changed.length > 0) this.trigger("change");
  }

  trigger(name: string): void {
    for (const { name: n, callback } of this.handlers.slice()) if (n === name) callback(this);
  }

  on(name: string, callback: Listener): void {
    this.handlers.push({ name, callback });
  }

  off(name?: string | null, callback?: Listener | null): void {
    this.handlers = this.handlers.filter(
      (h) => !((name == null || h.name === name) && (callback == null || h.callback === callback)),
    );
  }

  save_changes(): void {
    this.log.push({ type: "save", values: { ...this.pending } });
    this.sent.push({ ...this.pending });
    this.pending = {};
  }

  get lastSent(): Record<string, unknown> | undefined {
    return this.sent[this.sent.length - 1];
  }

  get saves(): number {
    return this.sent.length;
  }

  listenerCount(name?: string): number {
    return this.handlers.filter((h) => name === undefined || h.name === name).length;
  }
}

/**
 * A second anywidget-style proxy of the same model: its own object and its own
 * listener bookkeeping, the same attribute values.
 */
export function proxyOf(model: FakeModel): ModelLike & { listenerCount(): number } {
  const mine: { name: string; callback: Listener }[] = [];
  return {
    get: (name) => model.get(name),
    set: (name, value) => model.set(name, value),
    save_changes: () => model.save_changes(),
    on(name, callback) {
      mine.push({ name, callback });
      model.on(name, callback);
    },
    off(name, callback) {
      for (const h of mine.slice()) {
        if ((name == null || h.name === name) && (callback == null || h.callback === callback)) {
          model.off(h.name, h.callback);
          mine.splice(mine.indexOf(h), 1);
        }
      }
    },
    listenerCount: () => mine.length,
    widget_manager: model.widget_manager,
  };
}

export interface MarkCall {
  keys: string[];
  /** One line's x and y (empty when several lines were written). */
  x: number[];
  y: number[];
  /** Several lines (a plain Array of Float64Array each), one array per line; null for one line. */
  xs: number[][] | null;
  ys: number[][] | null;
  rawX: unknown;
  rawY: unknown;
}

function lines(value: unknown): number[][] | null {
  return Array.isArray(value) ? value.map((line: Float64Array) => Array.from(line)) : null;
}

export class FakeMark {
  calls: MarkCall[] = [];

  set(attrs: Record<string, unknown>): void {
    const x = attrs.x as Float64Array | Float64Array[] | undefined;
    const y = attrs.y as Float64Array | Float64Array[] | undefined;
    this.calls.push({
      keys: Object.keys(attrs).sort(),
      x: x && !Array.isArray(x) ? Array.from(x) : [],
      y: y && !Array.isArray(y) ? Array.from(y) : [],
      xs: lines(x),
      ys: lines(y),
      rawX: x,
      rawY: y,
    });
  }

  get last(): MarkCall | undefined {
    return this.calls[this.calls.length - 1];
  }
}

/** A FakeMark whose every `set` first calls `cost()` (bqplot taking its time over it). */
export function slowMark(cost: () => void): FakeMark {
  const mark = new FakeMark();
  const set = mark.set.bind(mark);
  mark.set = (attrs) => {
    cost();
    set(attrs);
  };
  return mark;
}

export class FakeScheduler implements Scheduler {
  time = 1000;
  private nextId = 1;
  private queue = new Map<number, (time: number) => void>();
  cancelled: number[] = [];
  requested = 0;

  request(callback: (time: number) => void): number {
    const id = this.nextId++;
    this.requested++;
    this.queue.set(id, callback);
    return id;
  }

  cancel(handle: number): void {
    this.cancelled.push(handle);
    this.queue.delete(handle);
  }

  get pending(): number {
    return this.queue.size;
  }

  /** Advance the clock by `ms` and run the callbacks that were waiting. */
  frame(ms = 17): void {
    this.time += ms;
    const due = Array.from(this.queue.entries());
    this.queue.clear();
    for (const [, callback] of due) callback(this.time);
  }

  frames(count: number, ms = 17): void {
    for (let i = 0; i < count; i++) this.frame(ms);
  }
}

/** A buffer in the Player's wire format: little-endian float32 in a DataView. */
export function wire(shape: number[], values: number[], byteOffset = 0): { shape: number[]; data: DataView } {
  const bytes = new ArrayBuffer(byteOffset + values.length * 4);
  const view = new DataView(bytes, byteOffset, values.length * 4);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return { shape, data: view };
}

/** Let queued microtasks (coalesced re-renders, target look-ups) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** An Animator, settled, with the ids it looked up and its scheduler. */
export interface Started {
  animator: Animator;
  scheduler: FakeScheduler;
  resolved: string[];
}

/**
 * An Animator of `model` whose targets and family control are `models[id]` (each id
 * looked up is recorded), on a fresh FakeScheduler; `options` are passed on. Returns
 * once the look-ups have settled and the first frame is drawn.
 */
export async function startAnimator(
  model: ModelLike,
  models: Record<string, unknown>,
  options: AnimatorOptions = {},
): Promise<Started> {
  const resolved: string[] = [];
  const scheduler = new FakeScheduler();
  const animator = new Animator(model, {
    scheduler,
    resolve: async (id) => {
      resolved.push(id);
      return models[id];
    },
    ...options,
  });
  await animator.ready;
  await flush();
  return { animator, scheduler, resolved };
}

/** A model with one path (prefix) and one current point, 5 frames, resolved through `resolve`. */
export function pathModel(extra: Record<string, unknown> = {}): FakeModel {
  const xs = [0, 1, 2, 3, 4];
  const ys = [0, 10, 20, 30, 40];
  const tracks: TrackSpec[] = [
    { target: 0, kind: "prefix", x: "px", y: "py", row: 0 },
    { target: 1, kind: "points", x: "px", y: "py" },
  ];
  return new FakeModel({
    targets: ["IPY_MODEL_path", "IPY_MODEL_point"],
    buffers: { px: wire([1, 5], xs), py: wire([1, 5], ys) },
    tracks,
    n_frames: 5,
    frame: 4,
    ...extra,
  });
}

/** A family in the packed wire form: each buffer of shape [members, ...] (see `packed`). */
export function packedFamily(spec: Record<string, [number[], number[]]>): {
  family_layout: Record<string, unknown>[];
  family_data: DataView;
} {
  const { buffer_layout, buffer_data } = packed(spec);
  return { family_layout: buffer_layout, family_data: buffer_data };
}

/** Buffers in the packed wire form the Python Player sends: one layout, one blob. */
export function packed(spec: Record<string, [number[], number[] | "arange"]>): {
  buffer_layout: Record<string, unknown>[];
  buffer_data: DataView;
} {
  const layout: Record<string, unknown>[] = [];
  const values: number[] = [];
  for (const [name, [shape, data]] of Object.entries(spec)) {
    if (data === "arange") {
      layout.push({ name, shape, arange: true });
      continue;
    }
    layout.push({ name, shape, offset: values.length * 4 });
    values.push(...data);
  }
  return { buffer_layout: layout, buffer_data: wire([values.length], values).data };
}

/** A mark model that also keeps what was set, as a bqplot model does (`get`). */
export class ModelMark extends FakeMark {
  attrs: Record<string, unknown> = {};

  override set(attrs: Record<string, unknown>): void {
    super.set(attrs);
    Object.assign(this.attrs, attrs);
  }

  get(name: string): unknown {
    return this.attrs[name];
  }
}

/**
 * Run `body` with the Player's debug log on, handing it the log's entries; the log
 * is off again afterwards, whatever happens.
 */
export async function withDebugLog(body: (log: DebugEntry[]) => Promise<void>): Promise<void> {
  const g = globalThis as { __jgwDebug?: unknown; __jgwMarks?: DebugEntry[] };
  const log: DebugEntry[] = [];
  g.__jgwDebug = true;
  g.__jgwMarks = log;
  try {
    await body(log);
  } finally {
    delete g.__jgwDebug;
    delete g.__jgwMarks;
  }
}

/** The `image` model of a bqplot Image mark (an ipywidgets Image model): keeps what is set. */
export class FakeImageModel {
  attrs: Record<string, unknown>;
  sets: Record<string, unknown>[] = [];

  constructor(attrs: Record<string, unknown> = {}) {
    // As the kernel sends an empty `value`: a DataView of no bytes.
    this.attrs = { format: "url", value: new DataView(new ArrayBuffer(0)), ...attrs };
  }

  get(name: string): unknown {
    return this.attrs[name];
  }

  set(name: string | Record<string, unknown>, value?: unknown): void {
    const values = typeof name === "string" ? { [name]: value } : name;
    this.sets.push(values);
    Object.assign(this.attrs, values);
  }

  /** The value as text (what bqplot's Image view decodes for format "url"). */
  get text(): string {
    const value = this.attrs.value as ArrayBufferView;
    return new TextDecoder("utf-8").decode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
}

/** A bqplot Image mark's model: its `image` model and `visible`, every `set` and `trigger` recorded. */
export class FakeImageMark {
  attrs: Record<string, unknown>;
  sets: Record<string, unknown>[] = [];
  triggers: string[] = [];

  constructor(image: unknown = new FakeImageModel(), visible = false) {
    this.attrs = { image, visible };
  }

  get image(): FakeImageModel {
    return this.attrs.image as FakeImageModel;
  }

  get(name: string): unknown {
    return this.attrs[name];
  }

  set(name: string | Record<string, unknown>, value?: unknown): void {
    const values = typeof name === "string" ? { [name]: value } : name;
    this.sets.push(values);
    Object.assign(this.attrs, values);
  }

  trigger(name: string): void {
    this.triggers.push(name);
  }
}

/** uint8 bytes as the kernel sends them: a DataView, here at an odd offset of a larger buffer. */
export function byteView(values: number[], byteOffset = 3): DataView {
  const bytes = new Uint8Array(byteOffset + values.length + 2);
  bytes.set(values, byteOffset);
  return new DataView(bytes.buffer, byteOffset, values.length);
}
