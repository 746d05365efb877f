/**
 * The shapes the front end exchanges with anywidget, bqplot and the Python Player
 * (jaxgrad_widgets/widgets/player.py documents the protocol).
 */

/** Any listener the model calls back. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Listener = (...args: any[]) => void;

/**
 * The part of anywidget's model proxy the Player uses. `set` also takes an object
 * (Backbone semantics: several attributes in one call, one change event each).
 */
export interface ModelLike {
  get(name: string): unknown;
  set(name: string | Record<string, unknown>, value?: unknown): void;
  on(name: string, callback: Listener): void;
  off(name?: string | null, callback?: Listener | null): void;
  save_changes(): void;
  widget_manager?: { get_model(id: string): Promise<unknown> | unknown };
}

/**
 * The family control's model (a slider), as far as the Player uses it: it reads
 * `value` and listens to `change:value`.
 */
export type ControlLike = Pick<ModelLike, "get" | "on" | "off">;

/**
 * A target's browser model, as far as the Player writes it: a bqplot mark gets
 * `{x, y}` (one line), a bqplot Lines mark drawing several lines gets `{x, y}` as
 * plain Arrays of one Float64Array per line (bqplot's own form of 2-D data), a
 * model driven by a `frame` track (e.g. the 3-D surface view) gets `{frame}`.
 */
export interface MarkModelLike {
  set(
    attrs: { x: Float64Array; y: Float64Array } | { x: Float64Array[]; y: Float64Array[] } | { frame: number },
  ): void;
  /** A real mark model has it: the Player reads back x and y to skip rewriting equal data. */
  get?(name: string): unknown;
}

/**
 * One entry of the `buffers` form: little-endian float32 bytes plus shape. (The
 * Python Player sends the packed form instead: `buffer_layout` + `buffer_data`,
 * see `decodePacked`.)
 */
export interface WireBuffer {
  shape: number[];
  data: DataView | ArrayBuffer | ArrayBufferView | ArrayLike<number>;
  /** When true, the buffer is 0, 1, 2, ... in row-major order and `data` is absent. */
  arange?: boolean;
}

export type TrackKind = "prefix" | "lines" | "points" | "window" | "windows" | "arrows" | "axes" | "vline" | "frame";

/**
 * One entry of the `tracks` trait, slot references resolved (see resolveTracks).
 * Fields a kind does not use are ignored.
 */
export interface TrackSpec {
  /** Index into the `targets` trait. */
  target: number;
  kind: TrackKind | string;
  /** Buffer names (prefix, lines, points, window; windows: y only). */
  x?: string;
  y?: string;
  /** window: a 1-D buffer used as x for every frame; windows: the (width,) x of every line. */
  x_static?: string;
  /** Draw the last valid frame whatever the current one (a curve shown whole). */
  whole?: boolean;
  /** prefix: the buffer row. */
  row?: number;
  /**
   * prefix: draw the path simplified to within this fraction of each buffer's
   * value span (per axis). Absent or 0 (and no `tolerance`): every point, exactly.
   */
  simplify?: number;
  /** prefix, lines: the simplification tolerance [x, y] in data units (wins over `simplify`). */
  tolerance?: number[];
  /**
   * prefix, lines: while playing, rewrite a simplified line only once its current
   * point is this many tolerances from the drawn end (default 1).
   */
  lag?: number;
  /** lines, windows, points, arrows, axes: the buffer rows to draw, in order (all rows when absent). */
  rows?: number[];
  /** prefix, window, frame: number of valid frames; vline: number of frames. */
  length?: number;
  /**
   * lines, windows, points, arrows, axes: number of valid frames per buffer row
   * (indexed by buffer row; an absent entry means every frame).
   */
  lengths?: (number | undefined)[];
  /** arrows: buffer names of the start and end points. */
  x0?: string;
  y0?: string;
  x1?: string;
  y1?: string;
  /** arrows: head size as a fraction of the segment length. */
  head?: number;
  /**
   * axes: buffer names of each row's first axis direction (radians) and the signed
   * half-lengths along it and along the perpendicular second axis.
   */
  angle?: string;
  first?: string;
  second?: string;
  /** axes: draw the axes whose half-length has this sign (1: positive or 0, -1: negative). */
  sign?: number;
  /** vline: stand only at multiples of this frame count (and the last frame, given `length`). */
  every?: number;
  /** vline: the y extent. */
  low?: number;
  high?: number;
}
