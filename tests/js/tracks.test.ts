import { describe, expect, it } from "vitest";

import {
  advance,
  clampFrame,
  composeTracks,
  computeTrack,
  decodeBuffer,
  decodeBuffers,
  decodePacked,
  resolveTracks,
  trackKey,
  type BufferMap,
  type XY,
} from "../../js/tracks";
import type { TrackSpec } from "../../js/types";
import { packed, wire } from "./fakes";

function buffers(spec: Record<string, [number[], number[]]>): BufferMap {
  const raw: Record<string, unknown> = {};
  for (const [name, [shape, values]] of Object.entries(spec)) raw[name] = wire(shape, values);
  return decodeBuffers(raw);
}

function plain(xy: XY | null): { x: number[]; y: number[] } | null {
  return xy === null ? null : { x: Array.from(xy.x), y: Array.from(xy.y) };
}

function close(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    if (Number.isNaN(expected[i])) expect(v).toBeNaN();
    else expect(v).toBeCloseTo(expected[i], 6);
  });
}

describe("decodeBuffer", () => {
  it("reads little-endian float32 from a DataView with shape", () => {
    const b = decodeBuffer(wire([2, 3], [1, 2, 3, 4, 5, 6.5]));
    expect(b).not.toBeNull();
    expect(b!.shape).toEqual([2, 3]);
    expect(b!.rows).toBe(2);
    expect(b!.cols).toBe(3);
    expect(Array.from(b!.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
  });

  it("copies when the bytes are not 4-byte aligned", () => {
    const b = decodeBuffer(wire([3], [0.5, -2, 7], 2));
    expect(Array.from(b!.data)).toEqual([0.5, -2, 7]);
    expect(b!.rows).toBe(1);
    expect(b!.cols).toBe(3);
  });

  it("accepts ArrayBuffer and Uint8Array data", () => {
    const view = wire([2], [3, 4]).data;
    const bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
    expect(Array.from(decodeBuffer({ shape: [2], data: bytes })!.data)).toEqual([3, 4]);
    expect(Array.from(decodeBuffer({ shape: [2], data: new Uint8Array(bytes) })!.data)).toEqual([3, 4]);
  });

  it("views the bytes without copying when aligned", () => {
    const w = wire([2], [1, 2]);
    const b = decodeBuffer(w)!;
    expect(b.data.buffer).toBe(w.data.buffer);
  });

  it("rejects entries with too few values or a bad shape", () => {
    expect(decodeBuffer(wire([2, 3], [1, 2, 3]))).toBeNull();
    expect(decodeBuffer({ shape: [-1], data: new ArrayBuffer(4) })).toBeNull();
    expect(decodeBuffer({ data: new ArrayBuffer(4) })).toBeNull();
    expect(decodeBuffer(null)).toBeNull();
  });

  it("decodes a whole trait and skips malformed entries", () => {
    const map = decodeBuffers({ a: wire([1], [1]), bad: { shape: [4], data: new ArrayBuffer(4) } });
    expect(Array.from(map.keys())).toEqual(["a"]);
  });
});

describe("the packed wire form", () => {
  it("views each array in the one blob at its offset", () => {
    const { buffer_layout, buffer_data } = packed({ a: [[2, 2], [1, 2, 3, 4]], s: [[1, 3], "arange"], b: [[3], [7, 8, 9]] });
    const map = decodePacked(buffer_layout, buffer_data);
    expect(Array.from(map.get("a")!.data)).toEqual([1, 2, 3, 4]);
    expect([map.get("a")!.rows, map.get("a")!.cols]).toEqual([2, 2]);
    expect(Array.from(map.get("b")!.data)).toEqual([7, 8, 9]);
    expect(Array.from(map.get("s")!.data)).toEqual([0, 1, 2]);
    expect(map.get("b")!.data.buffer).toBe(buffer_data.buffer); // no copy
  });

  it("copies a blob that is not 4-byte aligned", () => {
    const aligned = wire([2], [5, 6]).data;
    const bytes = new Uint8Array(9);
    bytes.set(new Uint8Array(aligned.buffer), 1);
    const map = decodePacked([{ name: "a", shape: [2], offset: 0 }], new DataView(bytes.buffer, 1, 8));
    expect(Array.from(map.get("a")!.data)).toEqual([5, 6]);
  });

  it("leaves out entries that are malformed or reach past the data", () => {
    const { buffer_data } = packed({ a: [[2], [1, 2]] });
    const map = decodePacked(
      [
        { name: "a", shape: [2], offset: 0 },
        { name: "long", shape: [3], offset: 0 },
        { name: "odd", shape: [1], offset: 2 },
        { name: "neg", shape: [-1], offset: 0 },
        { shape: [1], offset: 0 },
        null,
      ],
      buffer_data,
    );
    expect(Array.from(map.keys())).toEqual(["a"]);
    expect(decodePacked("junk", buffer_data).size).toBe(0);
    expect(decodePacked([{ name: "a", shape: [1], offset: 0 }], undefined).size).toBe(0);
  });

  it("resolves slot references into the run's values by name", () => {
    const layout = [
      { target: 0, kind: "prefix", row: 1, length: { $: "length" }, tolerance: { $: "tolerance" } },
      { target: 1, kind: "points", lengths: { $: "lengths" } },
      { target: 2, kind: "vline", low: { $: "gone" }, high: { $: "none" } },
    ];
    const values = { length: 7, tolerance: [0.5, 0.25], lengths: [7, 3], none: null };
    const [a, b, c] = resolveTracks(layout, values) as TrackSpec[];
    expect(a).toEqual({ target: 0, kind: "prefix", row: 1, length: 7, tolerance: [0.5, 0.25] });
    expect(b.lengths).toEqual([7, 3]);
    // A missing slot and a null one count as absent fields.
    expect(c.low).toBeUndefined();
    expect(c.high).toBeUndefined();
    expect("low" in c).toBe(true);
    expect(resolveTracks([{ target: 0, kind: "vline", low: 1 }], undefined)).toEqual([{ target: 0, kind: "vline", low: 1 }]);
    expect(resolveTracks("junk", {})).toEqual([]);
  });

  it("resolves null entries of a list to undefined, and slots inside a list", () => {
    const layout = [{ target: 0, kind: "lines", lengths: { $: "lengths" }, tolerance: [{ $: "tx" }, 0.5], rows: [{ $: "nope" }, 1] }];
    const [t] = resolveTracks(layout, { lengths: [4, null, 2], tx: 0.1 }) as TrackSpec[];
    expect(t.lengths).toEqual([4, undefined, 2]);
    expect(t.tolerance).toEqual([0.1, 0.5]);
    expect(t.rows).toEqual([undefined, 1]);
  });

  it("no longer reads the numeric scheme, nor names from the object's prototype", () => {
    const layout = [{ target: 0, kind: "prefix", length: { $: 0 }, low: { $: 0, n: 2 }, high: { $: "constructor" } }];
    const [t] = resolveTracks(layout, { 0: 5, constructor: 3 } as unknown as Record<string, unknown>) as TrackSpec[];
    expect(t.length).toBeUndefined();
    expect(t.low).toBeUndefined();
    expect(t.high).toBe(3); // an own value named "constructor" is fine
    const [u] = resolveTracks([{ target: 0, kind: "vline", high: { $: "constructor" }, low: { $: "toString" } }], {}) as TrackSpec[];
    expect(u.high).toBeUndefined();
    expect(u.low).toBeUndefined();
    // A list of values is not a dict of slots.
    const [v] = resolveTracks([{ target: 0, kind: "vline", low: { $: "a" } }], [1, 2]) as TrackSpec[];
    expect(v.low).toBeUndefined();
  });
});

describe("frame arithmetic", () => {
  it("clamps to an integer frame", () => {
    expect(clampFrame(3.7, 10)).toBe(3);
    expect(clampFrame(-2, 10)).toBe(0);
    expect(clampFrame(12, 10)).toBe(9);
    expect(clampFrame(Number.NaN, 10)).toBe(0);
    expect(clampFrame(5, 1)).toBe(0);
    expect(clampFrame(5, 0)).toBe(0);
  });

  it("advances by speed times elapsed time", () => {
    expect(advance(0, 500, 60, 100, false)).toEqual({ position: 30, ended: false });
    expect(advance(10.5, 100, 5, 100, false)).toEqual({ position: 11, ended: false });
  });

  it("stops on the last frame without loop", () => {
    expect(advance(95, 1000, 60, 100, false)).toEqual({ position: 99, ended: true });
    expect(advance(98.5, 1000 / 60, 60, 100, false)).toEqual({ position: 99, ended: true });
  });

  it("wraps with loop", () => {
    const r = advance(8, 1000, 5, 10, true);
    expect(r.ended).toBe(false);
    expect(r.position).toBeCloseTo(3, 9);
    expect(advance(9.5, 0, 5, 10, true)).toEqual({ position: 9.5, ended: false });
  });

  it("ends at once with a single frame", () => {
    expect(advance(0, 0, 60, 1, false)).toEqual({ position: 0, ended: true });
    expect(advance(0, 16, 60, 1, true)).toEqual({ position: 0, ended: true });
  });

  it("does not move on zero speed or negative time", () => {
    expect(advance(3, 100, 0, 10, false)).toEqual({ position: 3, ended: false });
    expect(advance(3, -100, 60, 10, false)).toEqual({ position: 3, ended: false });
  });
});

describe("prefix", () => {
  const bufs = buffers({
    px: [[2, 5], [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]],
    py: [[2, 5], [0, -1, -2, -3, -4, 5, 6, 7, Number.NaN, Number.NaN]],
  });

  it("gives the first frame + 1 values of its row", () => {
    const track: TrackSpec = { target: 0, kind: "prefix", x: "px", y: "py", row: 0 };
    expect(plain(computeTrack(track, 2, bufs))).toEqual({ x: [0, 1, 2], y: [0, -1, -2] });
    expect(plain(computeTrack(track, 0, bufs))).toEqual({ x: [0], y: [0] });
    expect(plain(computeTrack(track, 40, bufs))).toEqual({ x: [0, 1, 2, 3, 4], y: [0, -1, -2, -3, -4] });
  });

  it("clamps to the row's valid length (a divergence)", () => {
    const track: TrackSpec = { target: 0, kind: "prefix", x: "px", y: "py", row: 1, length: 3 };
    expect(plain(computeTrack(track, 1, bufs))).toEqual({ x: [10, 11], y: [5, 6] });
    expect(plain(computeTrack(track, 4, bufs))).toEqual({ x: [10, 11, 12], y: [5, 6, 7] });
    expect(trackKey(track, 2, bufs)).toBe(2);
    expect(trackKey(track, 4, bufs)).toBe(2);
  });

  it("never ends on a NaN, even without a length", () => {
    const track: TrackSpec = { target: 0, kind: "prefix", x: "px", y: "py", row: 1 };
    const out = plain(computeTrack(track, 4, bufs))!;
    expect(out).toEqual({ x: [10, 11, 12], y: [5, 6, 7] });
  });

  it("returns fresh Float64Arrays each call", () => {
    const track: TrackSpec = { target: 0, kind: "prefix", x: "px", y: "py" };
    const a = computeTrack(track, 3, bufs)!;
    const b = computeTrack(track, 3, bufs)!;
    expect(a.x).toBeInstanceOf(Float64Array);
    expect(a.x).not.toBe(b.x);
    expect(a.x.buffer).not.toBe(bufs.get("px")!.data.buffer);
  });

  it("gives empty arrays for length 0 and null for a missing buffer or row", () => {
    expect(plain(computeTrack({ target: 0, kind: "prefix", x: "px", y: "py", length: 0 }, 3, bufs))).toEqual({
      x: [],
      y: [],
    });
    expect(computeTrack({ target: 0, kind: "prefix", x: "px", y: "nope" }, 3, bufs)).toBeNull();
    expect(computeTrack({ target: 0, kind: "prefix", x: "px", y: "py", row: 2 }, 3, bufs)).toBeNull();
  });
});

describe("prefix with simplify (opt-in)", () => {
  const bufs = buffers({
    sx: [[1, 7], [0, 0.001, 0.002, 1, 1.0005, 2, Number.NaN]],
    sy: [[1, 7], [0, 0.001, 0.002, 1, 1.0005, 2, Number.NaN]],
  });
  const track: TrackSpec = { target: 0, kind: "prefix", x: "sx", y: "sy", simplify: 0.01 };

  it("ends where the current point was last farther than the tolerance, with no point it does not need", () => {
    const at = (f: number): number[] => Array.from(computeTrack(track, f, bufs)!.x);
    close(at(0), [0]);
    close(at(2), [0]); // 0.002 is within 0.01 * span (2) of 0
    close(at(3), [0, 1]);
    close(at(4), [0, 1]);
    close(at(5), [0, 2]); // on one straight line: the middle point adds nothing
    close(at(6), [0, 2]); // a NaN at the end is never drawn
    close(Array.from(computeTrack(track, 5, bufs)!.y), [0, 2]);
  });

  it("changes its key only when the drawing changes, so unchanged paths are not rewritten", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((f) => trackKey(track, f, bufs))).toEqual([1, 1, 1, 2, 2, 3, 3]);
  });

  it("draws every point without it", () => {
    expect(computeTrack({ ...track, simplify: 0 }, 4, bufs)!.x.length).toBe(5);
    expect(computeTrack({ ...track, simplify: undefined }, 4, bufs)!.x.length).toBe(5);
  });

  it("respects the row's valid length and always ends on its last valid point", () => {
    close(Array.from(computeTrack({ ...track, length: 3 }, 6, bufs)!.x), [0, 0.002]);
    close(Array.from(computeTrack({ ...track, length: 4 }, 6, bufs)!.x), [0, 1]);
  });
});

describe("prefix with a tolerance in data units", () => {
  // A right angle, finely sampled: 0..1 along x, then 0..1 along y.
  const n = 21;
  const xs = [...Array.from({ length: n }, (_, i) => i / (n - 1)), ...Array.from({ length: n - 1 }, () => 1)];
  const ys = [...Array.from({ length: n }, () => 0), ...Array.from({ length: n - 1 }, (_, i) => (i + 1) / (n - 1))];
  const bufs = buffers({ cx: [[1, xs.length], xs], cy: [[1, ys.length], ys] });
  const track: TrackSpec = { target: 0, kind: "prefix", x: "cx", y: "cy", tolerance: [0.01, 0.01] };

  it("keeps the corner and drops the points along straight runs", () => {
    const whole = computeTrack({ ...track, whole: true }, 0, bufs)!;
    close(Array.from(whole.x), [0, 1, 1]);
    close(Array.from(whole.y), [0, 0, 1]);
  });

  it("passes within the tolerance of every point of a curve", () => {
    const m = 200;
    const cx = Array.from({ length: m }, (_, i) => Math.cos((Math.PI * i) / (m - 1)));
    const cy = Array.from({ length: m }, (_, i) => Math.sin((Math.PI * i) / (m - 1)));
    const curve = buffers({ x: [[1, m], cx], y: [[1, m], cy] });
    const spec: TrackSpec = { target: 0, kind: "prefix", x: "x", y: "y", tolerance: [0.002, 0.002], whole: true };
    const out = computeTrack(spec, 0, curve)!;
    expect(out.x.length).toBeLessThan(m / 4);
    // Every sample lies within the tolerance of the drawn polyline.
    for (let i = 0; i < m; i++) {
      let best = Infinity;
      for (let j = 0; j + 1 < out.x.length; j++) {
        const [ax, ay, bx, by] = [out.x[j], out.y[j], out.x[j + 1], out.y[j + 1]];
        const t = Math.max(0, Math.min(1, ((cx[i] - ax) * (bx - ax) + (cy[i] - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
        best = Math.min(best, Math.hypot(cx[i] - ax - t * (bx - ax), cy[i] - ay - t * (by - ay)));
      }
      expect(best).toBeLessThanOrEqual(0.002 + 1e-6);
    }
  });

  it("stays within the tolerance on a long winding path with a slow tail", () => {
    const m = 3000; // more than one window of points, and a tail thinner than the tolerance
    const sx = Array.from({ length: m }, (_, i) => Math.exp(-i / 600) * Math.cos(i / 40));
    const sy = Array.from({ length: m }, (_, i) => Math.exp(-i / 600) * Math.sin(i / 40));
    const spiral = buffers({ x: [[1, m], sx], y: [[1, m], sy] });
    const spec: TrackSpec = { target: 0, kind: "prefix", x: "x", y: "y", tolerance: [0.001, 0.001], whole: true };
    const out = computeTrack(spec, 0, spiral)!;
    expect(out.x.length).toBeLessThan(m / 4);
    expect([out.x[0], out.y[0]]).toEqual([sx[0], sy[0]].map(Math.fround));
    expect([out.x[out.x.length - 1], out.y[out.y.length - 1]]).toEqual([sx[m - 1], sy[m - 1]].map(Math.fround));
    let worst = 0;
    for (let i = 0; i < m; i++) {
      let best = Infinity;
      for (let j = 0; j + 1 < out.x.length; j++) {
        const [ax, ay, bx, by] = [out.x[j], out.y[j], out.x[j + 1], out.y[j + 1]];
        const l2 = (bx - ax) ** 2 + (by - ay) ** 2;
        const t = l2 > 0 ? Math.max(0, Math.min(1, ((sx[i] - ax) * (bx - ax) + (sy[i] - ay) * (by - ay)) / l2)) : 0;
        best = Math.min(best, Math.hypot(sx[i] - ax - t * (bx - ax), sy[i] - ay - t * (by - ay)));
      }
      worst = Math.max(worst, best);
    }
    expect(worst).toBeLessThanOrEqual(0.001 + 1e-6);
  });

  it("with lag, rewrites only when the point is that many tolerances from the drawn end", () => {
    const lagged = { ...track, lag: 12 }; // 0.12: a rewrite every third sample (0.15 apart)
    const keys = Array.from({ length: xs.length }, (_, f) => trackKey(lagged, f, bufs));
    const changes = keys.filter((k, i) => i > 0 && k !== keys[i - 1]).length;
    expect(changes).toBeLessThanOrEqual(Math.ceil(xs.length / 3) + 1);
    expect(keys.map((k, f) => k === trackKey(track, f, bufs)).every(Boolean)).toBe(false);
    // Between changes the drawing is the same; at the last frame the path is whole.
    const last = computeTrack(lagged, xs.length - 1, bufs)!;
    expect(last.x[last.x.length - 1]).toBe(1);
    expect(last.y[last.y.length - 1]).toBe(1);
  });

  it("keeps what a log view shows near zero: the loss drawn as log10, tolerance in decades", () => {
    const m = 60;
    const lx = Array.from({ length: m }, (_, i) => i);
    const ly = lx.map((i) => 10 ** (-i / 6)); // 1 down to 1e-10, straight on a log axis
    const bend = ly.map((v, i) => (i === 40 ? v * 100 : v)); // a bump only a log view shows
    const spec: TrackSpec = { target: 0, kind: "prefix", x: "x", y: "y", tolerance: [0.5, 0.001], whole: true };
    const linear = computeTrack(spec, 0, buffers({ x: [[1, m], lx], y: [[1, m], bend] }))!;
    const logView = buffers({ x: [[1, m], lx], y: [[1, m], bend.map(Math.log10)] });
    const logged = computeTrack({ ...spec, tolerance: [0.5, 0.01] }, 0, logView)!;
    expect(Array.from(linear.x)).not.toContain(40);
    expect(Array.from(logged.x)).toContain(40);
    expect(logged.x.length).toBeLessThan(m / 3);
  });
});

describe("one-row buffers broadcast to every row", () => {
  // The loss plot: x = steps (1, n) shared by all rows, y = loss (2, n).
  const bufs = buffers({
    steps: [[1, 4], [0, 1, 2, 3]],
    loss: [[2, 4], [9, 8, 7, 6, 5, 4, 3, 2]],
  });

  it("prefix of row 1 takes x from the single row", () => {
    const track: TrackSpec = { target: 0, kind: "prefix", x: "steps", y: "loss", row: 1, length: 3 };
    expect(plain(computeTrack(track, 3, bufs))).toEqual({ x: [0, 1, 2], y: [5, 4, 3] });
    expect(computeTrack({ ...track, row: 2 }, 3, bufs)).toBeNull();
  });

  it("points and window broadcast too", () => {
    expect(plain(computeTrack({ target: 0, kind: "points", x: "steps", y: "loss" }, 2, bufs))).toEqual({
      x: [2, 2],
      y: [7, 3],
    });
    const win = buffers({ wx: [[1, 2], [-1, 1]], wy: [[3, 2], [1, 2, 3, 4, 5, 6]] });
    expect(plain(computeTrack({ target: 0, kind: "window", x: "wx", y: "wy" }, 2, win))).toEqual({
      x: [-1, 1],
      y: [5, 6],
    });
  });
});

describe("points", () => {
  const bufs = buffers({
    x: [[3, 4], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]],
    y: [[3, 4], [0, 5, 6, 7, 1, 15, 16, 17, 2, 25, 26, 27]],
  });

  it("takes one point per row at the frame", () => {
    const track: TrackSpec = { target: 0, kind: "points", x: "x", y: "y" };
    expect(plain(computeTrack(track, 2, bufs))).toEqual({ x: [2, 12, 22], y: [6, 16, 26] });
  });

  it("takes only the listed rows", () => {
    const track: TrackSpec = { target: 0, kind: "points", x: "x", y: "y", rows: [2, 0, 7] };
    expect(plain(computeTrack(track, 1, bufs))).toEqual({ x: [21, 1], y: [25, 5] });
  });

  it("holds each row at its last valid frame (lengths by buffer row)", () => {
    const track: TrackSpec = { target: 0, kind: "points", x: "x", y: "y", lengths: [4, 2, 1] };
    expect(plain(computeTrack(track, 3, bufs))).toEqual({ x: [3, 11, 20], y: [7, 15, 2] });
    expect(trackKey(track, 3, bufs)).toBe(3);
    const short: TrackSpec = { ...track, lengths: [2, 2, 1] };
    expect(trackKey(short, 3, bufs)).toBe(1);
    const listed: TrackSpec = { ...track, rows: [1] };
    expect(plain(computeTrack(listed, 3, bufs))).toEqual({ x: [11], y: [15] });
  });
});

describe("window", () => {
  const bufs = buffers({
    wx: [[3, 2], [0, 1, 10, 11, 20, 21]],
    wy: [[3, 2], [5, 6, 15, 16, 25, Number.NaN]],
    grid: [[2], [-1, 1]],
  });

  it("takes the frame's row of x and y", () => {
    const track: TrackSpec = { target: 0, kind: "window", x: "wx", y: "wy" };
    expect(plain(computeTrack(track, 1, bufs))).toEqual({ x: [10, 11], y: [15, 16] });
  });

  it("uses a static x for all frames", () => {
    const track: TrackSpec = { target: 0, kind: "window", x_static: "grid", y: "wy" };
    expect(plain(computeTrack(track, 0, bufs))).toEqual({ x: [-1, 1], y: [5, 6] });
    expect(plain(computeTrack(track, 1, bufs))).toEqual({ x: [-1, 1], y: [15, 16] });
  });

  it("clamps past the last row and trims a trailing NaN", () => {
    const track: TrackSpec = { target: 0, kind: "window", x: "wx", y: "wy" };
    expect(plain(computeTrack(track, 9, bufs))).toEqual({ x: [20], y: [25] });
    expect(trackKey(track, 9, bufs)).toBe(2);
    expect(plain(computeTrack({ ...track, length: 2 }, 9, bufs))).toEqual({ x: [10, 11], y: [15, 16] });
  });
});

describe("arrows", () => {
  // Two rows, two frames. Row 0: (0,0)->(1,0) then (0,0)->(0,2). Row 1: (1,1)->(1,1) (zero), then NaN.
  const bufs = buffers({
    x0: [[2, 2], [0, 0, 1, 1]],
    y0: [[2, 2], [0, 0, 1, 1]],
    x1: [[2, 2], [1, 0, 1, Number.NaN]],
    y1: [[2, 2], [0, 2, 1, 3]],
    ax0: [[2, 1], [0, 5]],
    ay0: [[2, 1], [0, 5]],
    ax1: [[2, 1], [1, 5]],
    ay1: [[2, 1], [0, 6]],
  });
  const h = 0.25;
  const c = Math.cos(Math.PI / 6);
  const s = Math.sin(Math.PI / 6);

  it("draws a shaft and a two-stroke head, NaN-separated", () => {
    const track: TrackSpec = { target: 0, kind: "arrows", x0: "x0", y0: "y0", x1: "x1", y1: "y1", rows: [0] };
    const out = plain(computeTrack(track, 0, bufs))!;
    close(out.x, [0, 1, Number.NaN, 1 - h * c, 1, 1 - h * c]);
    close(out.y, [0, 0, Number.NaN, -h * s, 0, h * s]);
  });

  it("scales the head with the segment and the `head` field", () => {
    const track: TrackSpec = {
      target: 0,
      kind: "arrows",
      x0: "x0",
      y0: "y0",
      x1: "x1",
      y1: "y1",
      rows: [0],
      head: 0.5,
    };
    const out = plain(computeTrack(track, 1, bufs))!;
    // (0,0)->(0,2): head length 1, pointing up.
    close(out.x, [0, 0, Number.NaN, s, 0, -s]);
    close(out.y, [0, 2, Number.NaN, 2 - c, 2, 2 - c]);
  });

  it("skips zero-length and non-finite rows and never ends on NaN", () => {
    const track: TrackSpec = { target: 0, kind: "arrows", x0: "x0", y0: "y0", x1: "x1", y1: "y1" };
    const atZero = plain(computeTrack(track, 0, bufs))!;
    expect(atZero.x.length).toBe(6);
    const atOne = plain(computeTrack(track, 1, bufs))!;
    expect(atOne.x.length).toBe(6);
    expect(Number.isNaN(atOne.x[atOne.x.length - 1])).toBe(false);
    expect(Number.isNaN(atOne.y[atOne.y.length - 1])).toBe(false);
  });

  it("separates several arrows with one NaN each", () => {
    const track: TrackSpec = { target: 0, kind: "arrows", x0: "ax0", y0: "ay0", x1: "ax1", y1: "ay1" };
    const out = plain(computeTrack(track, 0, bufs))!;
    expect(out.x.length).toBe(13);
    expect(out.x.filter((v) => Number.isNaN(v)).length).toBe(3);
    expect(Number.isNaN(out.x[6])).toBe(true);
    expect(out.x.slice(7, 9)).toEqual([5, 5]);
    expect(out.y.slice(7, 9)).toEqual([5, 6]);
    expect(Number.isNaN(out.x[12])).toBe(false);
  });

  it("gives empty arrays when nothing can be drawn and a bare shaft with head 0", () => {
    const none: TrackSpec = { target: 0, kind: "arrows", x0: "x0", y0: "y0", x1: "x1", y1: "y1", rows: [1] };
    expect(plain(computeTrack(none, 1, bufs))).toEqual({ x: [], y: [] });
    const bare: TrackSpec = { ...none, rows: [0], head: 0 };
    expect(plain(computeTrack(bare, 0, bufs))).toEqual({ x: [0, 1], y: [0, 0] });
  });

  it("holds a row at its last valid frame", () => {
    const track: TrackSpec = {
      target: 0,
      kind: "arrows",
      x0: "x0",
      y0: "y0",
      x1: "x1",
      y1: "y1",
      rows: [0],
      lengths: [1],
      head: 0,
    };
    expect(plain(computeTrack(track, 1, bufs))).toEqual({ x: [0, 1], y: [0, 0] });
    expect(trackKey(track, 1, bufs)).toBe(0);
  });
});

describe("axes", () => {
  // Two rows, two frames. Row 0 at (1, 2): axis 0 along x (half 0.5), axis 1 along y
  // (half -0.25, curving down); then at (3, 4) turned a quarter, both positive.
  // Row 1: NaN centre at frame 0, (0, 0) with a NaN second axis at frame 1.
  const q = Math.PI / 2;
  const bufs = buffers({
    cx: [[2, 2], [1, 3, Number.NaN, 0]],
    cy: [[2, 2], [2, 4, 0, 0]],
    ang: [[2, 2], [0, q, 0, 0]],
    h1: [[2, 2], [0.5, 1, 1, 2]],
    h2: [[2, 2], [-0.25, 0, 1, Number.NaN]],
  });
  const up: TrackSpec = { target: 0, kind: "axes", x: "cx", y: "cy", angle: "ang", first: "h1", second: "h2", sign: 1 };
  const down: TrackSpec = { ...up, sign: -1 };

  it("draws each axis of a sign as a segment centred on the point", () => {
    close(plain(computeTrack({ ...up, rows: [0] }, 0, bufs))!.x, [0.5, 1.5]);
    close(plain(computeTrack({ ...up, rows: [0] }, 0, bufs))!.y, [2, 2]);
    const curvingDown = plain(computeTrack({ ...down, rows: [0] }, 0, bufs))!;
    close(curvingDown.x, [1, 1]);
    close(curvingDown.y, [2.25, 1.75]);
  });

  it("turns with the angle, counts a zero half-length as curving up and separates with NaN", () => {
    const out = plain(computeTrack({ ...up, rows: [0] }, 1, bufs))!;
    // First axis along y (length 1 each way); the second along -x with half-length 0.
    close(out.x, [3, 3, Number.NaN, 3, 3]);
    close(out.y, [3, 5, Number.NaN, 4, 4]);
    expect(plain(computeTrack({ ...down, rows: [0] }, 1, bufs))).toEqual({ x: [], y: [] });
  });

  it("skips non-finite centres and axes, never ending on NaN", () => {
    const both = plain(computeTrack(up, 1, bufs))!;
    expect(both.x.length).toBe(8);
    close(both.x.slice(6), [-2, 2]);
    close(both.y.slice(6), [0, 0]);
    const atZero = plain(computeTrack(up, 0, bufs))!;
    expect(atZero.x.length).toBe(2);
    expect(Number.isNaN(atZero.x[atZero.x.length - 1])).toBe(false);
  });

  it("holds a row at its last valid frame and keys on the frame", () => {
    const held: TrackSpec = { ...up, rows: [0], lengths: [1] };
    close(plain(computeTrack(held, 1, bufs))!.x, [0.5, 1.5]);
    expect(trackKey(held, 1, bufs)).toBe(0);
    expect(trackKey(up, 1, bufs)).toBe(1);
    expect(trackKey({ ...up, first: "missing" }, 1, bufs)).toBe(-1);
    expect(computeTrack({ ...up, first: "missing" }, 1, bufs)).toBeNull();
  });
});

describe("vline and the rest", () => {
  it("draws x = [f, f] from low to high", () => {
    const track: TrackSpec = { target: 0, kind: "vline", low: -2, high: 8 };
    expect(plain(computeTrack(track, 7, new Map()))).toEqual({ x: [7, 7], y: [-2, 8] });
    expect(trackKey(track, 7, new Map())).toBe(7);
  });

  it("with every and length stands at multiples of every, and exactly on the last frame", () => {
    const track: TrackSpec = { target: 0, kind: "vline", low: 0, high: 1, every: 3, length: 11 };
    const at = (f: number): number => computeTrack(track, f, new Map())!.x[0];
    expect([0, 1, 2, 3, 4, 8, 9, 10].map(at)).toEqual([0, 0, 0, 3, 3, 6, 9, 10]);
    expect([0, 1, 2, 3, 10].map((f) => trackKey(track, f, new Map()))).toEqual([0, 0, 0, 3, 10]);
    expect(computeTrack({ ...track, every: undefined }, 5, new Map())!.x[0]).toBe(5);
    expect(computeTrack({ ...track, every: 1.5 }, 5, new Map())!.x[0]).toBe(5);
  });

  it("returns null for an unknown kind", () => {
    expect(computeTrack({ target: 0, kind: "spiral" }, 1, new Map())).toBeNull();
  });

  it("joins tracks that share a mark with one NaN between non-empty parts", () => {
    const bufs = buffers({ a: [[1, 3], [1, 2, 3]], b: [[1, 3], [4, 5, 6]] });
    const tracks: TrackSpec[] = [
      { target: 0, kind: "prefix", x: "a", y: "a" },
      { target: 0, kind: "prefix", x: "a", y: "a", length: 0 },
      { target: 0, kind: "prefix", x: "b", y: "b" },
    ];
    const out = plain(composeTracks(tracks, 1, bufs))!;
    close(out.x, [1, 2, Number.NaN, 4, 5]);
    expect(composeTracks([{ target: 0, kind: "prefix", x: "zz", y: "zz" }], 1, bufs)).toBeNull();
  });
});

describe("arange buffers", () => {
  it("decode to 0, 1, 2, ... without data", () => {
    const decoded = decodeBuffer({ shape: [1, 4], arange: true });
    expect(decoded).not.toBeNull();
    expect(Array.from(decoded!.data)).toEqual([0, 1, 2, 3]);
    expect(decoded!.rows).toBe(1);
    expect(decoded!.cols).toBe(4);
  });

  it("refuse absurd sizes", () => {
    expect(decodeBuffer({ shape: [1 << 13, 1 << 13], arange: true })).toBeNull();
  });
});

describe("whole tracks", () => {
  it("show the last valid frame at every frame and keep one key", () => {
    const buffers: BufferMap = decodeBuffers({
      x: { shape: [1, 4], arange: true },
      y: wire([1, 4], [5, 6, 7, 8]),
    });
    const track: TrackSpec = { target: 0, kind: "prefix", x: "x", y: "y", row: 0, length: 3, whole: true };
    for (const frame of [0, 1, 3, 100]) {
      const out = computeTrack(track, frame, buffers) as XY;
      expect(Array.from(out.y)).toEqual([5, 6, 7]);
      expect(trackKey(track, frame, buffers)).toBe(trackKey(track, 0, buffers));
    }
  });
});
