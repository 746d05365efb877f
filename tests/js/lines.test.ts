/**
 * The multi-line kinds `lines` and `windows` (one bqplot Lines mark, one line per
 * buffer row) and the family's member slices, as pure functions.
 */

import { describe, expect, it } from "vitest";

import {
  composeMark,
  computeLines,
  computeTrack,
  decodeBuffers,
  decodePacked,
  isLines,
  memberBuffers,
  memberSlice,
  trackKey,
  type BufferMap,
  type LinesXY,
} from "../../js/tracks";
import type { TrackSpec } from "../../js/types";
import { packed, wire } from "./fakes";

function buffers(spec: Record<string, [number[], number[] | "arange"]>): BufferMap {
  const { buffer_layout, buffer_data } = packed(spec);
  return decodePacked(buffer_layout, buffer_data);
}

function plain(lines: LinesXY | null): { x: number[][]; y: number[][] } | null {
  return lines === null ? null : { x: lines.x.map((l) => Array.from(l)), y: lines.y.map((l) => Array.from(l)) };
}

const NaN_ = Number.NaN;

describe("lines", () => {
  // Three rows of five frames: row r is x = 10 r + i, y = -(10 r + i).
  const xs = [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24];
  const bufs = buffers({ px: [[3, 5], xs], py: [[3, 5], xs.map((v) => -v)] });
  const track: TrackSpec = { target: 0, kind: "lines", x: "px", y: "py" };

  it("writes one line per row, each up to the frame, as a plain Array of Float64Array", () => {
    const out = computeLines(track, 2, bufs)!;
    expect(Array.isArray(out.x)).toBe(true);
    expect(out.x[0]).toBeInstanceOf(Float64Array);
    expect(isLines(out)).toBe(true);
    expect(plain(out)).toEqual({
      x: [
        [0, 1, 2],
        [10, 11, 12],
        [20, 21, 22],
      ],
      y: [
        [-0, -1, -2],
        [-10, -11, -12],
        [-20, -21, -22],
      ],
    });
  });

  it("holds each row at its own valid length (ragged lines)", () => {
    const ragged: TrackSpec = { ...track, lengths: [5, 2, 4] };
    expect(plain(computeLines(ragged, 3, bufs))!.x).toEqual([[0, 1, 2, 3], [10, 11], [20, 21, 22, 23]]);
    expect(plain(computeLines(ragged, 9, bufs))!.x).toEqual([[0, 1, 2, 3, 4], [10, 11], [20, 21, 22, 23]]);
    expect(trackKey(ragged, 3, bufs)).toEqual([3, 1, 3]);
    expect(trackKey(ragged, 9, bufs)).toEqual([4, 1, 3]);
    // An absent entry (a null slot) means every frame.
    expect(plain(computeLines({ ...track, lengths: [undefined, 1] }, 4, bufs))!.x).toEqual([
      [0, 1, 2, 3, 4],
      [10],
      [20, 21, 22, 23, 24],
    ]);
  });

  it("draws only the listed rows, in their order", () => {
    const listed: TrackSpec = { ...track, rows: [2, 0, 7] };
    expect(plain(computeLines(listed, 1, bufs))!.x).toEqual([
      [20, 21],
      [0, 1],
    ]);
    expect(trackKey(listed, 1, bufs)).toEqual([1, 1]);
    expect(computeLines({ ...track, rows: [] }, 1, bufs)).toBeNull();
  });

  it("broadcasts a one-row x (the Arange step numbers of a loss plot)", () => {
    const loss = buffers({ steps: [[1, 4], "arange"], loss: [[2, 4], [9, 8, 7, 6, 5, 4, 3, 2]] });
    const spec: TrackSpec = { target: 0, kind: "lines", x: "steps", y: "loss", lengths: [4, 3] };
    expect(plain(computeLines(spec, 9, loss))).toEqual({
      x: [
        [0, 1, 2, 3],
        [0, 1, 2],
      ],
      y: [
        [9, 8, 7, 6],
        [5, 4, 3],
      ],
    });
  });

  it("draws every valid frame whatever the frame with whole, under one key", () => {
    const whole: TrackSpec = { ...track, whole: true, lengths: [5, 3, 1] };
    for (const f of [0, 2, 4, 100]) {
      expect(plain(computeLines(whole, f, bufs))!.x).toEqual([[0, 1, 2, 3, 4], [10, 11, 12], [20]]);
      expect(trackKey(whole, f, bufs)).toEqual(trackKey(whole, 0, bufs));
    }
  });

  it("returns null for a missing buffer, and is not a one-line track", () => {
    expect(computeLines({ ...track, y: "nope" }, 1, bufs)).toBeNull();
    expect(trackKey({ ...track, y: "nope" }, 1, bufs)).toBe(-1);
    expect(computeTrack(track, 1, bufs)).toBeNull();
  });

  it("writes a row with no finite point yet as its first finite point", () => {
    const b = buffers({
      x: [[2, 4], [0, 1, 2, 3, NaN_, NaN_, 12, 13]],
      y: [[2, 4], [0, 1, 2, 3, NaN_, NaN_, 22, 23]],
    });
    const spec: TrackSpec = { target: 0, kind: "lines", x: "x", y: "y" };
    expect(plain(computeLines(spec, 0, b))).toEqual({ x: [[0], [12]], y: [[0], [22]] });
    expect(plain(computeLines(spec, 1, b))).toEqual({ x: [[0, 1], [12]], y: [[0, 1], [22]] });
    expect(plain(computeLines(spec, 3, b))).toEqual({
      x: [
        [0, 1, 2, 3],
        [12, 13],
      ],
      y: [
        [0, 1, 2, 3],
        [22, 23],
      ],
    });
    // A length of 0 is no finite point either.
    expect(plain(computeLines({ ...spec, lengths: [4, 0] }, 3, b))!.x).toEqual([[0, 1, 2, 3], [0]]);
  });

  it("writes a row with no finite point at all as the first finite point of another row", () => {
    const b = buffers({
      x: [[3, 3], [NaN_, NaN_, NaN_, NaN_, 5, 6, 7, 8, 9]],
      y: [[3, 3], [NaN_, NaN_, NaN_, NaN_, 1, 2, 3, 4, 5]],
    });
    const spec: TrackSpec = { target: 0, kind: "lines", x: "x", y: "y" };
    expect(plain(computeLines(spec, 0, b))).toEqual({ x: [[5], [5], [7]], y: [[1], [1], [3]] });
    expect(plain(computeLines({ ...spec, rows: [0, 2] }, 0, b))).toEqual({ x: [[7], [7]], y: [[3], [3]] });
  });

  it("leaves an all-non-finite mark alone", () => {
    const b = buffers({ x: [[2, 2], [NaN_, 1, NaN_, 2]], y: [[2, 2], [NaN_, NaN_, Infinity, NaN_]] });
    const spec: TrackSpec = { target: 0, kind: "lines", x: "x", y: "y" };
    expect(computeLines(spec, 1, b)).toBeNull();
    // Finite points only past the valid lengths do not count.
    const late = buffers({ x: [[1, 3], [NaN_, NaN_, 1]], y: [[1, 3], [NaN_, NaN_, 1]] });
    expect(computeLines({ ...spec, lengths: [2] }, 5, late)).toBeNull();
    expect(plain(computeLines(spec, 0, late))).toEqual({ x: [[1]], y: [[1]] });
  });

  it("never writes an empty line or one that starts or ends on a non-finite value", () => {
    // A deterministic mess: NaN and infinities scattered, including whole rows.
    const rows = 6;
    const n = 40;
    const x: number[] = [];
    const y: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        const h = (r * 7919 + i * 104729) % 97;
        x.push(r === 3 || h % 5 === 0 ? NaN_ : i + r);
        y.push(h % 7 === 0 ? (h % 2 ? Infinity : NaN_) : Math.sin(i + r));
      }
    }
    const b = buffers({ x: [[rows, n], x], y: [[rows, n], y] });
    const specs: TrackSpec[] = [
      { target: 0, kind: "lines", x: "x", y: "y" },
      { target: 0, kind: "lines", x: "x", y: "y", tolerance: [0.5, 0.05], lag: 2 },
      { target: 0, kind: "lines", x: "x", y: "y", lengths: [3, 0, 40, 1, 10, 20] },
    ];
    for (const spec of specs) {
      for (let f = 0; f < n + 2; f++) {
        const out = computeLines(spec, f, b)!;
        expect(out.x.length).toBe(rows);
        out.x.forEach((line, j) => {
          expect(line.length).toBeGreaterThan(0);
          expect(out.y[j].length).toBe(line.length);
          for (const end of [0, line.length - 1]) {
            expect(Number.isFinite(line[end])).toBe(true);
            expect(Number.isFinite(out.y[j][end])).toBe(true);
          }
        });
      }
    }
  });
});

describe("lines simplified", () => {
  // Row 0: a right angle finely sampled; row 1: a straight slow line; x shared.
  const n = 41;
  const steps = Array.from({ length: n }, (_, i) => i / (n - 1));
  const corner = steps.map((t) => (t <= 0.5 ? 0 : t - 0.5));
  const slow = steps.map((t) => 0.3 * t);
  const bufs = buffers({ t: [[1, n], steps], v: [[2, n], [...corner, ...slow]] });
  const track: TrackSpec = { target: 0, kind: "lines", x: "t", y: "v", tolerance: [0.01, 0.01] };

  function same(a: Float64Array, b: Float64Array): boolean {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }

  function keysChangeExactlyWithTheDrawing(spec: TrackSpec): number[] {
    const changes = [0, 0];
    for (let f = 1; f < n; f++) {
      const [before, after] = [computeLines(spec, f - 1, bufs)!, computeLines(spec, f, bufs)!];
      const [k0, k1] = [trackKey(spec, f - 1, bufs) as number[], trackKey(spec, f, bufs) as number[]];
      for (const r of [0, 1]) {
        const drawn = !same(before.x[r], after.x[r]) || !same(before.y[r], after.y[r]);
        expect(k1[r] !== k0[r]).toBe(drawn);
        if (drawn) changes[r]++;
      }
    }
    return changes;
  }

  it("draws each line within the tolerance, keeping the corner", () => {
    const whole = plain(computeLines({ ...track, whole: true }, 0, bufs))!;
    expect(whole.x[0]).toEqual([0, 0.5, 1]);
    expect(whole.x[1]).toEqual([0, 1]);
    expect(whole.y[1]).toEqual([0, Math.fround(0.3)]);
  });

  it("changes a row's key exactly when that row's drawing changes", () => {
    const changes = keysChangeExactlyWithTheDrawing(track);
    expect(changes[0]).toBeGreaterThan(0);
    expect(changes[1]).toBeGreaterThan(0);
  });

  it("with lag rewrites a row less often, still exactly when its drawing changes", () => {
    const plainChanges = keysChangeExactlyWithTheDrawing(track);
    const lagged = keysChangeExactlyWithTheDrawing({ ...track, lag: 5 });
    expect(lagged[0]).toBeLessThan(plainChanges[0]);
    expect(lagged[1]).toBeLessThan(plainChanges[1]);
    // The rows move at different speeds: their keys change at different frames.
    const keys = Array.from({ length: n }, (_, f) => trackKey({ ...track, lag: 5 }, f, bufs) as number[]);
    const changedAt = (r: number): number[] =>
      keys.flatMap((k, f) => (f > 0 && k[r] !== keys[f - 1][r] ? [f] : []));
    expect(changedAt(0)).not.toEqual(changedAt(1));
  });

  it("ends each line on its last valid point at the last frame", () => {
    const last = computeLines({ ...track, lag: 5, lengths: [30, 41] }, n - 1, bufs)!;
    expect(last.x[0][last.x[0].length - 1]).toBe(Math.fround(steps[29]));
    expect(last.y[1][last.y[1].length - 1]).toBe(Math.fround(0.3));
  });

  it("keeps a constant key and drawing while a row has no finite point", () => {
    const b = buffers({ t: [[1, 6], [0, 1, 2, 3, 4, 5]], v: [[2, 6], [NaN_, NaN_, NaN_, 1, 2, 3, 0, 1, 2, 3, 4, 5]] });
    const spec: TrackSpec = { target: 0, kind: "lines", x: "t", y: "v", tolerance: [0.5, 0.5] };
    const keys = [0, 1, 2].map((f) => (trackKey(spec, f, b) as number[])[0]);
    expect(new Set(keys).size).toBe(1);
    expect(plain(computeLines(spec, 0, b))!.x[0]).toEqual([3]);
    expect(plain(computeLines(spec, 5, b))!.x[0]).toEqual([3, 5]);
  });
});

describe("windows", () => {
  // Two rows, three frames, width 3: y[r, i, j] = 100 r + 10 i + j; x shared.
  const y: number[] = [];
  for (let r = 0; r < 2; r++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) y.push(100 * r + 10 * i + j);
  const bufs = buffers({ wy: [[2, 3, 3], y], grid: [[3], [-1, 0, 1]] });
  const track: TrackSpec = { target: 0, kind: "windows", y: "wy", x_static: "grid" };

  it("writes row r's curve at min(f, lengths[r] - 1), over the shared x", () => {
    expect(plain(computeLines(track, 1, bufs))).toEqual({
      x: [
        [-1, 0, 1],
        [-1, 0, 1],
      ],
      y: [
        [10, 11, 12],
        [110, 111, 112],
      ],
    });
    const ragged: TrackSpec = { ...track, lengths: [3, 1] };
    expect(plain(computeLines(ragged, 5, bufs))!.y).toEqual([
      [20, 21, 22],
      [100, 101, 102],
    ]);
    expect(trackKey(ragged, 5, bufs)).toEqual([2, 0]);
    expect(plain(computeLines({ ...track, rows: [1] }, 0, bufs))!.y).toEqual([[100, 101, 102]]);
  });

  it("trims non-finite ends and writes an empty window as a finite point", () => {
    const b = buffers({
      wy: [
        [2, 2, 3],
        [NaN_, 1, NaN_, 5, 6, 7, NaN_, NaN_, NaN_, NaN_, NaN_, NaN_],
      ],
      grid: [[3], [-1, 0, 1]],
    });
    const out = plain(computeLines(track, 0, b))!;
    expect(out).toEqual({ x: [[0], [0]], y: [[1], [1]] }); // row 1 has nothing: row 0's first point
    expect(plain(computeLines(track, 1, b))!.y[0]).toEqual([5, 6, 7]);
    const none = buffers({ wy: [[1, 2, 2], [NaN_, NaN_, NaN_, NaN_]], grid: [[2], [0, 1]] });
    expect(computeLines(track, 1, none)).toBeNull();
  });

  it("needs a (rows, n_frames, width) y and an x_static", () => {
    const flat = buffers({ wy: [[3, 3], y.slice(0, 9)], grid: [[3], [-1, 0, 1]] });
    expect(computeLines(track, 0, flat)).toBeNull();
    expect(computeLines({ ...track, x_static: "nope" }, 0, bufs)).toBeNull();
    expect(trackKey({ ...track, x_static: "nope" }, 0, bufs)).toBe(-1);
  });
});

describe("composeMark", () => {
  const bufs = buffers({ px: [[2, 3], [0, 1, 2, 5, 6, 7]], py: [[2, 3], [0, 1, 2, 5, 6, 7]] });

  it("draws a mark with a lines track from that track alone", () => {
    const tracks: TrackSpec[] = [
      { target: 0, kind: "prefix", x: "px", y: "py" },
      { target: 0, kind: "lines", x: "px", y: "py" },
    ];
    const out = composeMark(tracks, 1, bufs)!;
    expect(isLines(out)).toBe(true);
    expect(plain(out as LinesXY)!.x).toEqual([
      [0, 1],
      [5, 6],
    ]);
  });

  it("joins one-line tracks as before", () => {
    const tracks: TrackSpec[] = [
      { target: 0, kind: "prefix", x: "px", y: "py", row: 0 },
      { target: 0, kind: "prefix", x: "px", y: "py", row: 1 },
    ];
    const out = composeMark(tracks, 1, bufs)!;
    expect(isLines(out)).toBe(false);
    const x = Array.from(out.x as Float64Array);
    expect(x.slice(0, 2)).toEqual([0, 1]);
    expect(x[2]).toBeNaN();
    expect(x.slice(3)).toEqual([5, 6]);
  });
});

describe("family members", () => {
  it("slices member m of a [members, ...shape] buffer as a view of that shape", () => {
    const fam = decodeBuffers({ py: wire([3, 2, 2], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]) }).get("py")!;
    const m = memberSlice(fam, 1)!;
    expect(m.shape).toEqual([2, 2]);
    expect([m.rows, m.cols]).toEqual([2, 2]);
    expect(Array.from(m.data)).toEqual([10, 11, 12, 13]);
    expect(m.data.buffer).toBe(fam.data.buffer); // no copy
    expect(memberSlice(fam, 3)).toBeNull();
    expect(memberSlice(fam, -1)).toBeNull();
    const scalar = memberSlice(decodeBuffers({ s: wire([2], [4, 5]) }).get("s")!, 1)!;
    expect([scalar.rows, scalar.cols, scalar.data[0]]).toEqual([1, 1, 5]);
  });

  it("stands member slices in for the run's buffers of the same name", () => {
    const run = decodeBuffers({ px: wire([1, 2], [0, 1]), py: wire([1, 2], [5, 6]) });
    const family = decodeBuffers({ py: wire([2, 1, 2], [7, 8, 9, 10]) });
    const member = memberBuffers(run, family, 1);
    expect(member.get("px")).toBe(run.get("px"));
    expect(Array.from(member.get("py")!.data)).toEqual([9, 10]);
    expect(Array.from(run.get("py")!.data)).toEqual([5, 6]); // the run's map is left alone
    const track: TrackSpec = { target: 0, kind: "prefix", x: "px", y: "py" };
    expect(Array.from(computeTrack(track, 1, member)!.y)).toEqual([9, 10]);
  });
});
