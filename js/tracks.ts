/**
 * Pure functions of the Player: decoding the buffers, resolving slot references,
 * frame arithmetic, and what each track writes into its mark at a given frame.
 * No DOM, no model.
 *
 * The track kinds are those of jaxgrad_widgets/widgets/player.py: prefix,
 * points, window, arrows, axes, vline (they write one line: a mark's x and y), lines
 * and windows (they write one line per row: x and y as lists of arrays, see
 * `computeLines`) and frame (it writes a model's `frame`, see `frameValue`).
 */

import type { TrackSpec, WireBuffer } from "./types";

/** A decoded buffer: float32 values, row-major, seen as `rows` x `cols`. */
export interface Buffer2D {
  shape: number[];
  data: Float32Array;
  /** shape[0] for 2-D and more; 1 for 1-D and scalars. */
  rows: number;
  /** The product of the remaining dimensions (the length for 1-D). */
  cols: number;
}

export type BufferMap = Map<string, Buffer2D>;

/** What a one-line track writes into its mark: a fresh pair of arrays. */
export interface XY {
  x: Float64Array;
  y: Float64Array;
}

/**
 * What a multi-line track (`lines`, `windows`) writes into its bqplot Lines mark:
 * one array per line, in a plain Array, which is how bqplot's own deserializer
 * hands 2-D data to LinesModel (it zips x[i] with y[i], so lines may differ in
 * length). Never an empty line and never a line ending in NaN.
 */
export interface LinesXY {
  x: Float64Array[];
  y: Float64Array[];
}

/** What one mark is given: one line or several. */
export type Drawing = XY | LinesXY;

export function isLines(drawing: Drawing): drawing is LinesXY {
  return Array.isArray(drawing.x);
}

/** The number of points of a drawing, over all its lines (for the debug log). */
export function drawingPoints(drawing: Drawing): number {
  if (!isLines(drawing)) return drawing.x.length;
  let n = 0;
  for (const line of drawing.x) n += line.length;
  return n;
}

/**
 * What a track's drawing depends on at a frame, so the Player can skip writes: a
 * number for the one-line kinds, one number per line for the multi-line kinds.
 */
export type TrackKey = number | number[];

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return (
    value instanceof ArrayBuffer ||
    Object.prototype.toString.call(value) === "[object ArrayBuffer]" ||
    Object.prototype.toString.call(value) === "[object SharedArrayBuffer]"
  );
}

/** float32 values out of raw bytes, a view where alignment allows, else a copy. */
function floatsFromBytes(buffer: ArrayBufferLike, byteOffset: number, byteLength: number): Float32Array {
  const count = Math.floor(byteLength / 4);
  if (LITTLE_ENDIAN && byteOffset % 4 === 0) {
    return new Float32Array(buffer, byteOffset, count);
  }
  const view = new DataView(buffer, byteOffset, byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function toFloat32(data: WireBuffer["data"]): Float32Array | null {
  if (data == null) return null;
  if (data instanceof Float32Array) return data;
  if (isArrayBuffer(data)) return floatsFromBytes(data, 0, data.byteLength);
  if (ArrayBuffer.isView(data)) {
    return floatsFromBytes(data.buffer, data.byteOffset, data.byteLength);
  }
  if (typeof (data as ArrayLike<number>).length === "number") {
    return Float32Array.from(data as ArrayLike<number>);
  }
  return null;
}

const MAX_ARANGE = 1 << 24;

function indices(shape: number[]): Float32Array | null {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size > MAX_ARANGE) return null;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = i;
  return out;
}

/**
 * Decode one entry of the `buffers` trait ({shape, data} with little-endian
 * float32 bytes). Returns null (and never throws) when the entry is malformed or
 * holds fewer values than its shape says.
 */
export function decodeBuffer(wire: unknown): Buffer2D | null {
  if (wire == null || typeof wire !== "object") return null;
  const { shape, data, arange } = wire as Partial<WireBuffer>;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return null;
  // {shape, arange: true} stands for 0, 1, 2, ... (step indices): nothing to send.
  const values = arange === true ? indices(shape) : toFloat32(data as WireBuffer["data"]);
  if (values === null) return null;
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length < size) return null;
  const rows = shape.length >= 2 ? shape[0] : 1;
  const cols = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : shape.length === 1 ? shape[0] : 1;
  return {
    shape: shape.slice(),
    data: values.length === size ? values : values.subarray(0, size),
    rows,
    cols,
  };
}

/**
 * Decode the packed wire form: `layout` (from `buffer_layout` or
 * `family_layout`: name, shape and byte offset, or `arange`) over the one binary
 * `data` (from `buffer_data` or `family_data`).
 * Arrays are views of the bytes where alignment allows. Malformed entries, and
 * entries reaching past the data, are left out.
 */
export function decodePacked(layout: unknown, data: unknown): BufferMap {
  const out: BufferMap = new Map();
  if (!Array.isArray(layout)) return out;
  const all = toFloat32((data ?? null) as WireBuffer["data"]) ?? new Float32Array(0);
  for (const entry of layout as unknown[]) {
    if (entry == null || typeof entry !== "object") continue;
    const { name, shape, offset, arange } = entry as { name?: unknown; shape?: unknown; offset?: unknown; arange?: unknown };
    if (typeof name !== "string" || !Array.isArray(shape)) continue;
    if (arange === true) {
      const decoded = decodeBuffer({ shape, arange: true });
      if (decoded !== null) out.set(name, decoded);
      continue;
    }
    if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) continue;
    const size = shape.every((d) => Number.isInteger(d) && d >= 0) ? (shape as number[]).reduce((a, b) => a * b, 1) : -1;
    const start = offset / 4;
    if (size < 0 || start + size > all.length) continue;
    const decoded = decodeBuffer({ shape, data: all.subarray(start, start + size) });
    if (decoded !== null) out.set(name, decoded);
  }
  return out;
}

/** A slot reference: `{"$": name}` (any object with a "$" key counts as one). */
function isSlot(value: unknown): value is { $: unknown } {
  return value != null && typeof value === "object" && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, "$");
}

/** A number of `values` by name, or undefined (a missing slot, null, anything else). */
function slotNumber(values: Record<string, unknown>, name: unknown): number | undefined {
  if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(values, name)) return undefined;
  const v = values[name];
  return typeof v === "number" ? v : undefined;
}

/** A slot's value: a number, a list (null entries, non-finite in Python, become undefined), or undefined. */
function slotValue(values: Record<string, unknown>, name: unknown): number | (number | undefined)[] | undefined {
  if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(values, name)) return undefined;
  const v = values[name];
  if (typeof v === "number") return v;
  if (Array.isArray(v)) return v.map((e: unknown) => (typeof e === "number" ? e : undefined));
  return undefined;
}

/**
 * The tracks of a `track_layout`, with each slot reference `{"$": name}` (a
 * field, or a number in a list) replaced by `values[name]` of the run shown. A
 * missing slot, or one that is null, gives undefined: the field counts as absent.
 */
export function resolveTracks(layout: unknown, values: unknown): unknown[] {
  if (!Array.isArray(layout)) return [];
  const named: Record<string, unknown> =
    values != null && typeof values === "object" && !Array.isArray(values) ? (values as Record<string, unknown>) : {};
  return (layout as unknown[]).map((track) => {
    if (track == null || typeof track !== "object" || Array.isArray(track)) return track;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(track as Record<string, unknown>)) {
      if (isSlot(value)) out[key] = slotValue(named, value.$);
      else if (Array.isArray(value) && value.some(isSlot)) {
        out[key] = value.map((e: unknown) => (isSlot(e) ? slotNumber(named, e.$) : e));
      } else out[key] = value;
    }
    return out;
  });
}

/** Decode the whole `buffers` trait; malformed entries are left out. */
export function decodeBuffers(trait: unknown): BufferMap {
  const out: BufferMap = new Map();
  if (trait == null || typeof trait !== "object") return out;
  for (const [name, wire] of Object.entries(trait as Record<string, unknown>)) {
    const decoded = decodeBuffer(wire);
    if (decoded !== null) out.set(name, decoded);
  }
  return out;
}

/**
 * Member `m` of a family buffer of shape [members, ...s]: its m-th block, a view
 * shaped s. Null when the buffer has no such member.
 */
export function memberSlice(buffer: Buffer2D, m: number): Buffer2D | null {
  if (buffer.shape.length === 0 || !Number.isInteger(m) || m < 0 || m >= buffer.shape[0]) return null;
  const shape = buffer.shape.slice(1);
  const size = shape.reduce((a, b) => a * b, 1);
  return decodeBuffer({ shape, data: buffer.data.subarray(m * size, (m + 1) * size) });
}

/**
 * The buffers member `m` of a family draws with: the run's, each one the family
 * has replaced by the member's slice. A fresh map with fresh slices: the caller
 * keeps it while the member is shown, so that the caches below (keyed by buffer
 * identity) keep working from frame to frame.
 */
export function memberBuffers(run: BufferMap, family: BufferMap, m: number): BufferMap {
  const out: BufferMap = new Map(run);
  for (const [name, buffer] of family) {
    const slice = memberSlice(buffer, m);
    if (slice !== null) out.set(name, slice);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Frame arithmetic

/** An integer frame in [0, nFrames - 1]; non-finite input gives 0. */
export function clampFrame(frame: number, nFrames: number): number {
  const last = Math.max(Math.floor(Number.isFinite(nFrames) ? nFrames : 1) - 1, 0);
  if (!Number.isFinite(frame)) return 0;
  return Math.min(Math.max(Math.floor(frame), 0), last);
}

export interface Advance {
  /** The new fractional position; its floor is the frame to draw. */
  position: number;
  /** True when playback reached the last frame and does not loop. */
  ended: boolean;
}

/**
 * Move a fractional playback position on by `elapsedMs` at `speedFps` frames per
 * second. Without `loop` it stops on the last frame (ended); with `loop` it wraps
 * from the last frame back to 0. A single frame always ends.
 */
export function advance(
  position: number,
  elapsedMs: number,
  speedFps: number,
  nFrames: number,
  loop: boolean,
): Advance {
  const n = Math.max(Math.floor(Number.isFinite(nFrames) ? nFrames : 1), 1);
  const last = n - 1;
  if (n <= 1) return { position: 0, ended: true };
  const rate = Number.isFinite(speedFps) && speedFps > 0 ? speedFps : 0;
  const dt = Number.isFinite(elapsedMs) && elapsedMs > 0 ? elapsedMs : 0;
  const step = (dt * rate) / 1000;
  if (loop) {
    // Positions live in [0, n): the last frame shows for one frame's time, then 0.
    const start = Number.isFinite(position) ? Math.max(position, 0) : 0;
    return { position: (start + step) % n, ended: false };
  }
  const start = Number.isFinite(position) ? Math.min(Math.max(position, 0), last) : 0;
  const next = start + step;
  if (next >= last) return { position: last, ended: true };
  return { position: next, ended: false };
}

// ---------------------------------------------------------------------------
// Tracks

const EMPTY = (): XY => ({ x: new Float64Array(0), y: new Float64Array(0) });

/** A row's number of valid frames: `length` clamped to [0, cols]; absent means cols. */
function validLength(length: unknown, cols: number): number {
  if (typeof length !== "number" || !Number.isFinite(length)) return cols;
  return Math.min(Math.max(Math.floor(length), 0), cols);
}

/** Index of frame `frame` in a row with `length` valid frames: [0, length - 1]. */
function rowIndex(frame: number, length: number): number {
  return Math.max(Math.min(frame, length - 1), 0);
}

/** Start of row `r` in a buffer; a one-row buffer serves every row (broadcast). */
function rowStart(buffer: Buffer2D, r: number): number {
  return buffer.rows === 1 ? 0 : r * buffer.cols;
}

/** Rows several buffers have together: one-row buffers broadcast to the others. */
function commonRows(...buffers: Buffer2D[]): number {
  let rows = Infinity;
  for (const b of buffers) if (b.rows !== 1) rows = Math.min(rows, b.rows);
  return rows === Infinity ? (buffers.some((b) => b.rows === 1) ? 1 : 0) : rows;
}

function isRow(r: unknown, rows: number): r is number {
  return typeof r === "number" && Number.isInteger(r) && r >= 0 && r < rows;
}

function listedRows(track: TrackSpec, rows: number): number[] {
  if (Array.isArray(track.rows)) return track.rows.filter((r) => isRow(r, rows));
  const all = new Array<number>(rows);
  for (let r = 0; r < rows; r++) all[r] = r;
  return all;
}

function rowLength(track: TrackSpec, r: number, cols: number): number {
  const lengths = Array.isArray(track.lengths) ? track.lengths : undefined;
  return validLength(lengths?.[r], cols);
}

/** Copies of x[from, to) and y[from, to) with non-finite points trimmed off both ends. */
function finiteSlice(x: Float32Array, xFrom: number, y: Float32Array, yFrom: number, n: number): XY {
  let lo = 0;
  let hi = n;
  while (hi > lo && !(Number.isFinite(x[xFrom + hi - 1]) && Number.isFinite(y[yFrom + hi - 1]))) hi--;
  while (lo < hi && !(Number.isFinite(x[xFrom + lo]) && Number.isFinite(y[yFrom + lo]))) lo++;
  return {
    x: new Float64Array(x.subarray(xFrom + lo, xFrom + hi)),
    y: new Float64Array(y.subarray(yFrom + lo, yFrom + hi)),
  };
}

function get(buffers: BufferMap, name: unknown): Buffer2D | undefined {
  return typeof name === "string" ? buffers.get(name) : undefined;
}

/** Row `row` of a prefix up to frame `frame` (possibly empty: no finite point yet). */
function prefixLine(bx: Buffer2D, by: Buffer2D, row: number, length: number, frame: number, s: Simplification | null): XY {
  if (length === 0) return EMPTY();
  const n = rowIndex(frame, length) + 1;
  if (s !== null) {
    const writes = writeIndices(bx, by, row, length, s);
    const k = keptUpTo(writes, n - 1);
    return k === 0 ? EMPTY() : simplifiedPath(bx, by, row, writes[k - 1], s);
  }
  return finiteSlice(bx.data, rowStart(bx, row), by.data, rowStart(by, row), n);
}

/** Changes exactly when prefixLine's drawing can change (simplified: at the row's write indices). */
function prefixKey(bx: Buffer2D, by: Buffer2D, row: number, length: number, frame: number, s: Simplification | null): number {
  const index = rowIndex(frame, length);
  return s === null ? index : keptUpTo(writeIndices(bx, by, row, length, s), index);
}

function prefix(track: TrackSpec, frame: number, buffers: BufferMap): XY | null {
  const bx = get(buffers, track.x);
  const by = get(buffers, track.y);
  if (!bx || !by) return null;
  const row = track.row ?? 0;
  if (!isRow(row, commonRows(bx, by))) return null;
  const length = validLength(track.length, Math.min(bx.cols, by.cols));
  return prefixLine(bx, by, row, length, frame, simplification(track, bx, by));
}

// -- simplified prefixes --------------------------------------------------------
//
// bqplot turns every point of a Lines mark into an object, a path segment and
// pixels to raster, on every write; 16 loss curves of 1001 steps drawn whole are
// 16,016 points where a tenth of them look the same. With a tolerance the drawn
// polyline keeps only the points needed to pass within it of every point (see
// simplifiedPath; in units of the tolerance per axis). During playback the path
// is rewritten only when the current point has moved `lag` tolerances from the drawn end: the "write" indices come
// from one pass over the row that depends only on earlier points, so one list per
// row serves every frame and the track key changes exactly when the drawing does.

/** Tolerances of a simplified prefix, in data units. */
export interface Simplification {
  x: number;
  y: number;
  /** How many tolerances the drawn end may trail the current point. */
  lag: number;
}

const SPANS = new WeakMap<Buffer2D, number>();

/** max - min over the finite values of a buffer (1 when there is no spread). */
function span(buffer: Buffer2D): number {
  let cached = SPANS.get(buffer);
  if (cached === undefined) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of buffer.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    cached = hi > lo && Number.isFinite(hi - lo) ? hi - lo : 1;
    SPANS.set(buffer, cached);
  }
  return cached;
}

function positive(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}

/** The track's tolerances (`tolerance` in data units, else `simplify` x span), or null. */
export function simplification(track: TrackSpec, bx: Buffer2D, by: Buffer2D): Simplification | null {
  const t = track.tolerance;
  let x: number;
  let y: number;
  if (Array.isArray(t) && positive(t[0]) && positive(t[1])) {
    x = t[0];
    y = t[1];
  } else {
    const fraction = simplifyTolerance(track);
    if (fraction === 0) return null;
    x = span(bx) * fraction;
    y = span(by) * fraction;
  }
  const lag = positive(track.lag) ? Math.max(track.lag, 1) : 1;
  return { x, y, lag };
}

/** Values cached per pair of buffers: they live as long as both buffers do. */
type PairCache<K, V> = WeakMap<Buffer2D, WeakMap<Buffer2D, Map<K, V>>>;

/** The entries `cache` holds for (bx, by), an empty map at first. */
function pairEntries<K, V>(cache: PairCache<K, V>, bx: Buffer2D, by: Buffer2D): Map<K, V> {
  let byY = cache.get(bx);
  if (!byY) {
    byY = new WeakMap();
    cache.set(bx, byY);
  }
  let entries = byY.get(by);
  if (!entries) {
    entries = new Map();
    byY.set(by, entries);
  }
  return entries;
}

const WRITES: PairCache<string, Int32Array> = new WeakMap();

/**
 * The frames of a row where its simplified path is rewritten: the first finite
 * point, every point farther than `lag` tolerances from the last such point, and
 * the last finite point among the first `length`.
 */
export function writeIndices(bx: Buffer2D, by: Buffer2D, row: number, length: number, s: Simplification): Int32Array {
  const cache = pairEntries(WRITES, bx, by);
  const key = `${row}|${length}|${s.x}|${s.y}|${s.lag}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const sx = s.x * s.lag;
  const sy = s.y * s.lag;
  const ox = rowStart(bx, row);
  const oy = rowStart(by, row);
  const kept = new Int32Array(length);
  let k = 0;
  let lastX = 0;
  let lastY = 0;
  let lastFiniteIndex = -1;
  for (let i = 0; i < length; i++) {
    const x = bx.data[ox + i];
    const y = by.data[oy + i];
    if (!(Number.isFinite(x) && Number.isFinite(y))) continue;
    lastFiniteIndex = i;
    const dx = (x - lastX) / sx;
    const dy = (y - lastY) / sy;
    if (k === 0 || dx * dx + dy * dy > 1) {
      kept[k++] = i;
      lastX = x;
      lastY = y;
    }
  }
  if (k > 0 && kept[k - 1] !== lastFiniteIndex) kept[k++] = lastFiniteIndex;
  const result = kept.slice(0, k);
  cache.set(key, result);
  return result;
}

/** How many kept indices are <= end (binary search). */
function keptUpTo(kept: Int32Array, end: number): number {
  let lo = 0;
  let hi = kept.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (kept[mid] <= end) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Radial thinning: points this close (in tolerances) to the last kept one are dropped. */
const THIN = 0.25;
/** The longest run of points simplified as one (see simplifiedPath). */
const CHUNK = 512;

/**
 * The finite points of a row up to index `end`, simplified to pass within the
 * tolerance of every one of them: first a linear pass drops points within a
 * quarter tolerance of the last kept one (a long converging tail costs nothing),
 * then Douglas-Peucker with the remaining three quarters keeps a point whenever
 * the segment that would replace it passes farther than that from it. The first
 * and last points are always kept.
 */
export function simplifiedPath(bx: Buffer2D, by: Buffer2D, row: number, end: number, s: Simplification): XY {
  const ox = rowStart(bx, row);
  const oy = rowStart(by, row);
  // Points in tolerance units.
  const xs = new Float64Array(end + 1);
  const ys = new Float64Array(end + 1);
  const index = new Int32Array(end + 1);
  let n = 0;
  let lastIndex = -1;
  for (let i = 0; i <= end; i++) {
    const x = bx.data[ox + i];
    const y = by.data[oy + i];
    if (!(Number.isFinite(x) && Number.isFinite(y))) continue;
    lastIndex = i;
    const u = x / s.x;
    const v = y / s.y;
    if (n > 0) {
      const du = u - xs[n - 1];
      const dv = v - ys[n - 1];
      if (du * du + dv * dv <= THIN * THIN) continue;
    }
    xs[n] = u;
    ys[n] = v;
    index[n] = i;
    n++;
  }
  if (n === 0) return EMPTY();
  if (index[n - 1] !== lastIndex) {
    // The path ends on its last point, however close.
    const x = bx.data[ox + lastIndex];
    const y = by.data[oy + lastIndex];
    xs[n] = x / s.x;
    ys[n] = y / s.y;
    index[n] = lastIndex;
    n++;
  }
  const limit = (1 - THIN) * (1 - THIN);
  const keep = new Uint8Array(n);
  const stack = new Int32Array(2 * n + 2);
  let top = 0;
  // Windows of CHUNK points (their ends kept) bound the work on a path that winds
  // (a spiral splits one point at a time) to CHUNK passes over each point.
  for (let a = 0; a < n - 1; a += CHUNK) {
    const b = Math.min(a + CHUNK, n - 1);
    keep[a] = 1;
    keep[b] = 1;
    if (b - a > 1) {
      stack[top++] = a;
      stack[top++] = b;
    }
  }
  keep[0] = 1;
  keep[n - 1] = 1;
  while (top > 0) {
    const b = stack[--top];
    const a = stack[--top];
    const ax = xs[a];
    const ay = ys[a];
    const dx = xs[b] - ax;
    const dy = ys[b] - ay;
    const length2 = dx * dx + dy * dy;
    let worst = limit;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      const px = xs[i] - ax;
      let t = length2 > 0 ? (px * dx + (ys[i] - ay) * dy) / length2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * dx;
      const ey = ys[i] - ay - t * dy;
      const d = ex * ex + ey * ey;
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (at >= 0) {
      keep[at] = 1;
      if (at - a > 1) {
        stack[top++] = a;
        stack[top++] = at;
      }
      if (b - at > 1) {
        stack[top++] = at;
        stack[top++] = b;
      }
    }
  }
  let count = 0;
  for (let i = 0; i < n; i++) count += keep[i];
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (keep[i] === 0) continue;
    x[j] = bx.data[ox + index[i]];
    y[j] = by.data[oy + index[i]];
    j++;
  }
  return { x, y };
}

function simplifyTolerance(track: TrackSpec): number {
  const t = track.simplify;
  return typeof t === "number" && Number.isFinite(t) && t > 0 ? t : 0;
}

function points(track: TrackSpec, frame: number, buffers: BufferMap): XY | null {
  const values = valuesAtFrame(track, frame, buffers);
  if (values === null) return null;
  return { x: Float64Array.from(values, (v) => v[0]), y: Float64Array.from(values, (v) => v[1]) };
}

function windowTrack(track: TrackSpec, frame: number, buffers: BufferMap): XY | null {
  const by = get(buffers, track.y);
  const staticX = track.x_static !== undefined;
  const bx = get(buffers, staticX ? track.x_static : track.x);
  if (!bx || !by) return null;
  const frames = staticX ? by.rows : commonRows(bx, by);
  const length = validLength(track.length, frames);
  if (length === 0) return EMPTY();
  const f = rowIndex(frame, length);
  const width = Math.min(by.cols, staticX ? bx.data.length : bx.cols);
  return finiteSlice(bx.data, staticX ? 0 : rowStart(bx, f), by.data, rowStart(by, f), width);
}

/** Half-angle of the arrowhead's two strokes. */
const HEAD_ANGLE = Math.PI / 6;
const HEAD_COS = Math.cos(HEAD_ANGLE);
const HEAD_SIN = Math.sin(HEAD_ANGLE);

function arrows(track: TrackSpec, frame: number, buffers: BufferMap): XY | null {
  const values = valuesAtFrame(track, frame, buffers);
  if (values === null) return null;
  const head = typeof track.head === "number" && Number.isFinite(track.head) && track.head >= 0 ? track.head : 0.25;
  // Per arrow: separator, shaft (2), NaN, head (3).
  const x = new Float64Array(values.length * 7);
  const y = new Float64Array(values.length * 7);
  let n = 0;
  for (const [x0, y0, x1, y1] of values) {
    if (!(Number.isFinite(x0) && Number.isFinite(y0) && Number.isFinite(x1) && Number.isFinite(y1))) continue;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len = Math.hypot(dx, dy);
    if (!(len > 0) || !Number.isFinite(len)) continue;
    if (n > 0) {
      x[n] = NaN;
      y[n] = NaN;
      n++;
    }
    x[n] = x0;
    y[n] = y0;
    x[n + 1] = x1;
    y[n + 1] = y1;
    n += 2;
    if (head > 0) {
      const h = head * len;
      const ux = dx / len;
      const uy = dy / len;
      // Wing = tip - h * (cos * u +/- sin * perp), perp = (-uy, ux).
      const ax = h * HEAD_COS * ux;
      const ay = h * HEAD_COS * uy;
      const bx = h * HEAD_SIN * -uy;
      const by = h * HEAD_SIN * ux;
      x[n] = NaN;
      y[n] = NaN;
      x[n + 1] = x1 - ax - bx;
      y[n + 1] = y1 - ay - by;
      x[n + 2] = x1;
      y[n + 2] = y1;
      x[n + 3] = x1 - ax + bx;
      y[n + 3] = y1 - ay + by;
      n += 4;
    }
  }
  return { x: x.slice(0, n), y: y.slice(0, n) };
}

/**
 * Crosses centred on each row's point at the frame: the axis along `angle` with
 * signed half-length `first` and the perpendicular one with `second`, each drawn
 * (as a NaN-separated segment) only when its half-length has the track's `sign`
 * (1, the default: positive or zero; -1: negative). The Hessian's axes at the
 * current points, curving up and curving down.
 */
function axes(track: TrackSpec, frame: number, buffers: BufferMap): XY | null {
  const values = valuesAtFrame(track, frame, buffers);
  if (values === null) return null;
  const negative = track.sign === -1;
  // Per row: two segments of 2 points, each after a separator.
  const x = new Float64Array(values.length * 6);
  const y = new Float64Array(values.length * 6);
  let n = 0;
  for (const [cx, cy, theta, ...halves] of values) {
    if (!(Number.isFinite(cx) && Number.isFinite(cy) && Number.isFinite(theta))) continue;
    for (let k = 0; k < 2; k++) {
      const half = halves[k];
      if (!Number.isFinite(half) || half < 0 !== negative) continue;
      const direction = theta + (k * Math.PI) / 2;
      const dx = half * Math.cos(direction);
      const dy = half * Math.sin(direction);
      if (n > 0) {
        x[n] = NaN;
        y[n] = NaN;
        n++;
      }
      x[n] = cx - dx;
      y[n] = cy - dy;
      x[n + 1] = cx + dx;
      y[n + 1] = cy + dy;
      n += 2;
    }
  }
  return { x: x.slice(0, n), y: y.slice(0, n) };
}

/**
 * What a kind that draws one thing per row (points, arrows, axes) reads at `frame`:
 * for each listed row, one value per buffer (in rowBuffers' order) at the row's
 * frame, which the row's own length bounds; null if a buffer is missing.
 */
function valuesAtFrame(track: TrackSpec, frame: number, buffers: BufferMap): number[][] | null {
  const found = rowBuffers(track, buffers);
  if (found === null) return null;
  const cols = Math.min(...found.map((b) => b.cols));
  if (cols === 0) return [];
  return listedRows(track, commonRows(...found)).map((r) => {
    const i = rowIndex(frame, rowLength(track, r, cols));
    return found.map((b) => b.data[rowStart(b, r) + i]);
  });
}

/**
 * The buffers of a kind that draws one thing per row (points, arrows, axes), in
 * the order it reads them; null if one is missing.
 */
function rowBuffers(track: TrackSpec, buffers: BufferMap): Buffer2D[] | null {
  const names =
    track.kind === "points"
      ? [track.x, track.y]
      : track.kind === "arrows"
        ? [track.x0, track.y0, track.x1, track.y1]
        : [track.x, track.y, track.angle, track.first, track.second];
  const found: Buffer2D[] = [];
  for (const name of names) {
    const b = get(buffers, name);
    if (!b) return null;
    found.push(b);
  }
  return found;
}

/**
 * The frame a vline stands at: with `every` (and `length`), a multiple of it, so
 * that a marker moving under a pixel per frame is not redrawn on every frame; the
 * first and last frames exactly.
 */
function vlineFrame(track: TrackSpec, frame: number): number {
  const every = typeof track.every === "number" && Number.isInteger(track.every) && track.every > 1 ? track.every : 1;
  const length = typeof track.length === "number" && Number.isFinite(track.length) ? Math.floor(track.length) : Infinity;
  if (every === 1 || frame >= length - 1) return frame;
  return frame - (frame % every);
}

function vline(track: TrackSpec, frame: number): XY {
  const low = typeof track.low === "number" && Number.isFinite(track.low) ? track.low : 0;
  const high = typeof track.high === "number" && Number.isFinite(track.high) ? track.high : 1;
  const at = vlineFrame(track, frame);
  return { x: Float64Array.of(at, at), y: Float64Array.of(low, high) };
}

/**
 * The `frame` a track of kind "frame" writes into its target at integer frame
 * `frame`: the frame itself, clamped to [0, length - 1] when the track has a
 * `length` (0 for length 0). Null for any other kind.
 */
export function frameValue(track: TrackSpec, frame: number): number | null {
  if (track.kind !== "frame") return null;
  const f = Number.isFinite(frame) ? Math.max(Math.floor(frame), 0) : 0;
  if (track.length === undefined) return f;
  return rowIndex(f, validLength(track.length, Number.MAX_SAFE_INTEGER));
}

/** The frame a track shows: `whole` tracks always show their last valid frame. */
function trackFrame(track: TrackSpec, frame: number): number {
  if (track.whole === true) return Number.MAX_SAFE_INTEGER;
  return Number.isFinite(frame) ? Math.max(Math.floor(frame), 0) : 0;
}

// -- multi-line kinds -----------------------------------------------------------
//
// `lines` and `windows` draw every start in one bqplot Lines mark, one line per
// buffer row. bqplot reads the last point of every line (for its label) and
// translates to it: an empty line throws and a line ending in NaN logs
// "translate(x,NaN)", so a row with nothing to show yet is written as one finite
// point taken from elsewhere in the data (one point draws no segment).

/** True for the kinds that write one line per row (see computeLines). */
export function isMultiLine(track: TrackSpec): boolean {
  return track.kind === "lines" || track.kind === "windows";
}

/** How a multi-line track draws each of its rows. */
interface LinePlan {
  /** The buffer rows drawn, in line order. */
  rows: number[];
  /** Row r at frame f: possibly empty, never ending in NaN. */
  line(r: number, f: number): XY;
  /** Changes whenever line(r, f) can change. */
  key(r: number, f: number): number;
  /** The first finite point of row r over all its valid frames, or null. */
  first(r: number): [number, number] | null;
}

type FirstCache = PairCache<number, number>;
const LINE_FIRST: FirstCache = new WeakMap();
const WINDOW_FIRST: FirstCache = new WeakMap();

/** `compute()` for (bx, by, row), once per pair of buffers (an index; -1 for none). */
function firstIndex(cache: FirstCache, bx: Buffer2D, by: Buffer2D, row: number, compute: () => number): number {
  const rows = pairEntries(cache, bx, by);
  let found = rows.get(row);
  if (found === undefined) {
    found = compute();
    rows.set(row, found);
  }
  return found;
}

function linesPlan(track: TrackSpec, buffers: BufferMap): LinePlan | null {
  const bx = get(buffers, track.x);
  const by = get(buffers, track.y);
  if (!bx || !by) return null;
  const cols = Math.min(bx.cols, by.cols);
  const s = simplification(track, bx, by);
  const length = (r: number): number => rowLength(track, r, cols);
  return {
    rows: listedRows(track, commonRows(bx, by)),
    line: (r, f) => prefixLine(bx, by, r, length(r), f, s),
    key: (r, f) => prefixKey(bx, by, r, length(r), f, s),
    first: (r) => {
      const ox = rowStart(bx, r);
      const oy = rowStart(by, r);
      const i = firstIndex(LINE_FIRST, bx, by, r, () => {
        for (let j = 0; j < cols; j++) if (Number.isFinite(bx.data[ox + j]) && Number.isFinite(by.data[oy + j])) return j;
        return -1;
      });
      return i >= 0 && i < length(r) ? [bx.data[ox + i], by.data[oy + i]] : null;
    },
  };
}

function windowsPlan(track: TrackSpec, buffers: BufferMap): LinePlan | null {
  const by = get(buffers, track.y);
  const bx = get(buffers, track.x_static);
  // y is (rows, n_frames, width): a frame's curve is `width` values of its row.
  if (!bx || !by || by.shape.length < 3) return null;
  const frames = by.shape[1];
  const width = frames > 0 ? by.cols / frames : 0;
  const w = Math.min(width, bx.data.length);
  const length = (r: number): number => rowLength(track, r, frames);
  return {
    rows: listedRows(track, by.rows),
    line: (r, f) => {
      const n = length(r);
      if (n === 0 || w === 0) return EMPTY();
      return finiteSlice(bx.data, 0, by.data, rowStart(by, r) + rowIndex(f, n) * width, w);
    },
    key: (r, f) => rowIndex(f, length(r)),
    first: (r) => {
      const oy = rowStart(by, r);
      const i = firstIndex(WINDOW_FIRST, bx, by, r, () => {
        for (let i = 0; i < frames; i++) {
          for (let j = 0; j < w; j++) {
            if (Number.isFinite(bx.data[j]) && Number.isFinite(by.data[oy + i * width + j])) return i * width + j;
          }
        }
        return -1;
      });
      return i >= 0 && Math.floor(i / width) < length(r) ? [bx.data[i % width], by.data[oy + i]] : null;
    },
  };
}

function linePlan(track: TrackSpec, buffers: BufferMap): LinePlan | null {
  if (track.kind === "lines") return linesPlan(track, buffers);
  if (track.kind === "windows") return windowsPlan(track, buffers);
  return null;
}

/**
 * What a `lines` or `windows` track writes at integer frame `frame`: one line per
 * drawn row (see LinesXY). A row with no finite point up to the frame becomes
 * its own first finite point (over all its valid frames), else the first finite
 * point of another row of the mark. Null when the track cannot be drawn, draws
 * no row, or has no finite point anywhere: its mark is then left alone.
 */
export function computeLines(track: TrackSpec, frame: number, buffers: BufferMap): LinesXY | null {
  const plan = linePlan(track, buffers);
  if (plan === null || plan.rows.length === 0) return null;
  const f = trackFrame(track, frame);
  const x: Float64Array[] = [];
  const y: Float64Array[] = [];
  let anyFirst: [number, number] | null | undefined;
  for (const r of plan.rows) {
    const xy = plan.line(r, f);
    if (xy.x.length > 0) {
      x.push(xy.x);
      y.push(xy.y);
      continue;
    }
    let point = plan.first(r);
    if (point === null) {
      if (anyFirst === undefined) {
        anyFirst = null;
        for (const other of plan.rows) {
          anyFirst = plan.first(other);
          if (anyFirst !== null) break;
        }
      }
      if (anyFirst === null) return null;
      point = anyFirst;
    }
    x.push(Float64Array.of(point[0]));
    y.push(Float64Array.of(point[1]));
  }
  return { x, y };
}

/**
 * The x/y a one-line track writes at integer frame `frame` (already clamped to
 * the Player's n_frames). Returns null when the track cannot be drawn as one
 * line (an unknown kind, a missing buffer, a row out of range, a multi-line kind
 * (see computeLines), or a `frame` track, which writes no x/y): its mark is then
 * left alone.
 */
export function computeTrack(track: TrackSpec, frame: number, buffers: BufferMap): XY | null {
  const f = trackFrame(track, frame);
  switch (track.kind) {
    case "prefix":
      return prefix(track, f, buffers);
    case "points":
      return points(track, f, buffers);
    case "window":
      return windowTrack(track, f, buffers);
    case "arrows":
      return arrows(track, f, buffers);
    case "axes":
      return axes(track, f, buffers);
    case "vline":
      return vline(track, f);
    default:
      return null;
  }
}

/**
 * A key that changes exactly when the track's output can change between two
 * frames (the frame clamped to the valid length), so the Player can skip writes:
 * a number, or for `lines` and `windows` one number per drawn row.
 */
export function trackKey(track: TrackSpec, frame: number, buffers: BufferMap): TrackKey {
  const f = trackFrame(track, frame);
  switch (track.kind) {
    case "prefix": {
      const bx = get(buffers, track.x);
      const by = get(buffers, track.y);
      if (!bx || !by) return -1;
      const row = track.row ?? 0;
      const length = validLength(track.length, Math.min(bx.cols, by.cols));
      if (!isRow(row, commonRows(bx, by))) return rowIndex(f, length);
      return prefixKey(bx, by, row, length, f, simplification(track, bx, by));
    }
    case "lines":
    case "windows": {
      const plan = linePlan(track, buffers);
      return plan === null ? -1 : plan.rows.map((r) => plan.key(r, f));
    }
    case "points":
    case "arrows":
    case "axes": {
      const found = rowBuffers(track, buffers);
      if (found === null) return -1;
      const rows = commonRows(...found);
      const cols = Math.min(...found.map((b) => b.cols));
      let longest = 0;
      for (const r of listedRows(track, rows)) longest = Math.max(longest, rowLength(track, r, cols));
      return rowIndex(f, longest);
    }
    case "window": {
      const by = get(buffers, track.y);
      const staticX = track.x_static !== undefined;
      const bx = get(buffers, staticX ? track.x_static : track.x);
      if (!bx || !by) return -1;
      return rowIndex(f, validLength(track.length, staticX ? by.rows : commonRows(bx, by)));
    }
    case "vline":
      return vlineFrame(track, f);
    case "frame":
      return frameValue(track, f) ?? -1;
    default:
      return -1;
  }
}

/** Equal keys (per row for the multi-line kinds). */
export function sameKey(a: TrackKey, b: TrackKey): boolean {
  if (typeof a === "number" || typeof b === "number") return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Everything the tracks of one mark write at a frame, as one x/y pair: tracks
 * that share a mark are joined with a NaN separator (none for `points`, whose
 * marks are scatters), and never with a NaN at either end. Null when no track
 * of the mark can be drawn.
 */
export function composeTracks(tracks: readonly TrackSpec[], frame: number, buffers: BufferMap): XY | null {
  if (tracks.length === 1) return computeTrack(tracks[0], frame, buffers);
  const parts: { xy: XY; separate: boolean }[] = [];
  let total = 0;
  for (const track of tracks) {
    const xy = computeTrack(track, frame, buffers);
    if (xy === null) continue;
    parts.push({ xy, separate: track.kind !== "points" });
    total += xy.x.length;
  }
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0].xy;
  const x = new Float64Array(total + parts.length);
  const y = new Float64Array(total + parts.length);
  let n = 0;
  let previousSeparates = false;
  for (const { xy, separate } of parts) {
    if (xy.x.length === 0) continue;
    if (n > 0 && (separate || previousSeparates)) {
      x[n] = NaN;
      y[n] = NaN;
      n++;
    }
    x.set(xy.x, n);
    y.set(xy.y, n);
    n += xy.x.length;
    previousSeparates = separate;
  }
  return { x: x.slice(0, n), y: y.slice(0, n) };
}

/**
 * What one mark is given at a frame: the lines of its `lines` or `windows` track
 * when it has one (such a mark draws that track alone), else its one-line
 * tracks joined by composeTracks. Null when nothing can be drawn.
 */
export function composeMark(tracks: readonly TrackSpec[], frame: number, buffers: BufferMap): Drawing | null {
  const multi = tracks.find(isMultiLine);
  return multi !== undefined ? computeLines(multi, frame, buffers) : composeTracks(tracks, frame, buffers);
}
