/**
 * The surface view's pure geometry and colour scale on small known grids, and its
 * WebGL fallback (jsdom has no WebGL).
 */

import { afterEach, describe, expect, it, vi } from "vitest";

import surfaceModule from "../../js/surface/index";
import { COLORMAP_NAMES, cssGradient, lut, sample } from "../../js/surface/colormaps";
import { FALLBACK_TEXT } from "../../js/surface/fallback";
import {
  BOX,
  CAP_LIGHT,
  boxEdges,
  clipFlag,
  currentIndex,
  currentPoints,
  eyePosition,
  finiteLength,
  fitDistance,
  formatTick,
  gridFromBuffer,
  meshLines,
  pathPrefix,
  pathWorld,
  pathsFromBuffer,
  prefixCount,
  sanitizeCamera,
  sanitizeClip,
  sanitizeRange,
  strideIndices,
  surfaceMesh,
  worldZ,
  type HeightGrid,
  type PathSet,
  type Ranges,
} from "../../js/surface/geometry";
import { decodeBuffer } from "../../js/tracks";
import { FakeModel, wire } from "./fakes";

function close(actual: ArrayLike<number>, expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  Array.from(actual).forEach((v, i) => expect(v).toBeCloseTo(expected[i], digits));
}

const hex = (h: string): number[] => [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255);

// A 3 x 2 grid (nx = 3 columns along x, ny = 2 rows along y), row 0 at y = 0:
//   y = 0: 0 1 2
//   y = 1: 3 4 5
// x in [0, 2], y in [0, 1], clip [0, 4]: the 5 is above the clip.
const GRID: HeightGrid = { nx: 3, ny: 2, z: Float32Array.from([0, 1, 2, 3, 4, 5]) };
const R: Ranges = { x: [0, 2], y: [0, 1], z: [0, 4] };

describe("colour scales", () => {
  it("viridis runs from #440154 through #21918c to #fde725", () => {
    const table = lut("viridis");
    const out = [0, 0, 0];
    sample(table, 0, out);
    close(out, hex("440154"));
    sample(table, 0.5, out);
    close(out, hex("21918c"));
    sample(table, 1, out);
    close(out, hex("fde725"));
  });

  it("clamps t, maps NaN to the bottom, and interpolates between stops", () => {
    const table = lut("viridis");
    const a = [0, 0, 0];
    const b = [0, 0, 0];
    sample(table, -3, a);
    sample(table, Number.NaN, b);
    close(a, hex("440154"));
    close(b, hex("440154"));
    sample(table, 7, a);
    close(a, hex("fde725"));
    // Halfway between the first two stops (0 and 1/16).
    sample(table, 1 / 32, a);
    close(a, hex("440154").map((v, i) => (v + hex("48186a")[i]) / 2));
  });

  it("falls back to viridis for an unknown name and knows the Python list", () => {
    expect(lut("no-such-map")).toBe(lut("viridis"));
    expect(COLORMAP_NAMES).toEqual(["viridis", "magma", "inferno", "plasma", "cividis"]);
    expect(cssGradient(lut("viridis"))).toMatch(/^linear-gradient\(to right, rgb\(68, 1, 84\) 0\.00%.*rgb\(253, 231, 37\) 100\.00%\)$/);
  });
});

describe("inputs", () => {
  it("reads a (ny, nx) grid and a (k, n, 3) path set from wire buffers", () => {
    const g = gridFromBuffer(decodeBuffer(wire([2, 3], [0, 1, 2, 3, 4, 5])));
    expect(g).not.toBeNull();
    expect([g!.ny, g!.nx]).toEqual([2, 3]);
    const p = pathsFromBuffer(decodeBuffer(wire([1, 2, 3], [0, 0, 1, 1, 1, 2])));
    expect([p!.k, p!.n]).toEqual([1, 2]);
  });

  it("refuses grids smaller than 2 x 2 and paths without 3 columns", () => {
    expect(gridFromBuffer(decodeBuffer(wire([1, 3], [0, 1, 2])))).toBeNull();
    expect(gridFromBuffer(decodeBuffer(wire([6], [0, 1, 2, 3, 4, 5])))).toBeNull();
    expect(gridFromBuffer(null)).toBeNull();
    expect(pathsFromBuffer(decodeBuffer(wire([1, 2, 2], [0, 0, 1, 1])))).toBeNull();
  });

  it("sanitises ranges and clips", () => {
    expect(sanitizeRange([1, 3], [0, 1])).toEqual([1, 3]);
    expect(sanitizeRange([2, 2], [0, 1])).toEqual([1.5, 2.5]);
    expect(sanitizeRange([0, Number.NaN], [0, 1])).toEqual([0, 1]);
    expect(sanitizeRange("nope", [0, 1])).toEqual([0, 1]);
    expect(sanitizeClip([4, 1], [0, 1])).toEqual([1, 4]);
  });
});

describe("the surface mesh", () => {
  const table = lut("viridis");
  const mesh = surfaceMesh(GRID, R, table);

  it("maps the data box onto the world box (4 : 4 : 3), z clamped to the clip", () => {
    expect(mesh.positions.length).toBe(18);
    close(mesh.positions.subarray(0, 3), [-BOX.x, -BOX.y, -BOX.z]); // (0, 0, 0)
    close(mesh.positions.subarray(3, 6), [0, -BOX.y, -BOX.z / 2]); // (1, 0, 1)
    close(mesh.positions.subarray(6, 9), [BOX.x, -BOX.y, 0]); // (2, 0, 2): mid-height
    close(mesh.positions.subarray(12, 15), [0, BOX.y, BOX.z]); // (1, 1, 4): the clip's top
    close(mesh.positions.subarray(15, 18), [BOX.x, BOX.y, BOX.z]); // (2, 1, 5): clamped
  });

  it("flags clipped vertices and colours them as the cap", () => {
    expect(Array.from(mesh.clipped)).toEqual([0, 0, 0, 0, 0, 1]);
    expect(mesh.clippedAbove).toBe(1);
    expect(mesh.clippedBelow).toBe(0);
    close(mesh.colors.subarray(15, 18), [...CAP_LIGHT]);
  });

  it("colours the others by the colour scale over the clip", () => {
    close(mesh.colors.subarray(0, 3), hex("440154")); // 0 -> t = 0
    close(mesh.colors.subarray(6, 9), hex("21918c")); // 2 -> t = 0.5
    close(mesh.colors.subarray(12, 15), hex("fde725")); // 4 -> t = 1
  });

  it("makes two triangles per cell", () => {
    expect(Array.from(mesh.indices)).toEqual([0, 1, 3, 3, 1, 4, 1, 2, 4, 4, 2, 5]);
  });

  it("leaves a hole around a NaN height and clips +/-Infinity", () => {
    const z = Float32Array.from([0, 1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2, Number.NaN]);
    const m = surfaceMesh({ nx: 3, ny: 2, z }, R, table);
    expect(m.missing).toBe(1);
    expect(Array.from(m.indices)).toEqual([0, 1, 3, 3, 1, 4]); // the right cell touches the NaN
    expect(Array.from(m.clipped)).toEqual([0, 0, 1, -1, 0, 0]);
    expect(m.clippedBelow).toBe(1);
    expect(m.positions[8]).toBeCloseTo(BOX.z);
    expect(m.positions[11]).toBeCloseTo(-BOX.z);
    expect(Array.from(m.positions).every(Number.isFinite)).toBe(true);
  });

  it("clip flags and world z follow the clip", () => {
    expect([clipFlag(R, -1), clipFlag(R, 0), clipFlag(R, 4), clipFlag(R, 4.5)]).toEqual([-1, 0, 0, 1]);
    expect(worldZ(R, 100)).toBeCloseTo(BOX.z);
    expect(worldZ(R, -100)).toBeCloseTo(-BOX.z);
  });

  it("draws mesh lines along every row and column of a small grid", () => {
    const lines = meshLines(GRID, mesh, 12);
    // 2 rows x 2 segments + 3 columns x 1 segment = 7 segments of 6 floats.
    expect(lines.length).toBe(7 * 6);
    close(lines.subarray(0, 6), [-1, -1, -0.75, 0, -1, -0.375]);
  });

  it("picks about `count` evenly spaced grid lines, both ends included", () => {
    expect(strideIndices(5, 12)).toEqual([0, 1, 2, 3, 4]);
    const rows = strideIndices(120, 12);
    expect(rows[0]).toBe(0);
    expect(rows[rows.length - 1]).toBe(119);
    expect(rows.length).toBeGreaterThanOrEqual(11);
    expect(rows.length).toBeLessThanOrEqual(14);
    expect(strideIndices(1, 12)).toEqual([0]);
  });

  it("has a box of 12 edges", () => {
    expect(boxEdges().length).toBe(12 * 6);
  });
});

describe("paths up to a frame", () => {
  // Two starts, four frames each: x, y, loss. Start 1 is valid for 2 frames only.
  const data = Float32Array.from([
    0, 0, 0,   1, 0, 1,   2, 0, 2,   2, 1, 5,
    2, 1, 3,   1, 1, 2,   Number.NaN, Number.NaN, Number.NaN,   0, 0, 0,
  ]); // prettier-ignore
  const paths: PathSet = { k: 2, n: 4, data };

  it("counts the points shown at a frame, held at the last valid one", () => {
    expect([0, 1, 2, 3, 9].map((f) => prefixCount(f, 4))).toEqual([1, 2, 3, 4, 4]);
    expect([0, 1, 3].map((f) => prefixCount(f, 2))).toEqual([1, 2, 2]);
    expect(prefixCount(3, 0)).toBe(0);
    expect(prefixCount(-2, 4)).toBe(1);
    expect(currentIndex(3, 2)).toBe(1);
    expect(currentIndex(3, 0)).toBe(-1);
  });

  it("cuts a length at the first non-finite record", () => {
    expect(finiteLength(paths, 0, 4)).toBe(4);
    expect(finiteLength(paths, 0, 2)).toBe(2);
    expect(finiteLength(paths, 1, 4)).toBe(2); // NaN at index 2
    expect(finiteLength(paths, 1, undefined)).toBe(2);
    expect(finiteLength(paths, 5, 4)).toBe(0);
  });

  it("gives the prefix polyline in world coordinates", () => {
    close(pathPrefix(paths, R, 0, 4, 0), [-1, -1, -0.75]);
    close(pathPrefix(paths, R, 0, 4, 2), [-1, -1, -0.75, 0, -1, -0.375, 1, -1, 0]);
    // Frame 3 of start 0: the loss 5 sits on the clip's top.
    close(pathPrefix(paths, R, 0, 4, 3).subarray(9, 12), [1, 1, 0.75]);
    // Start 1 stops at its last valid point.
    expect(pathPrefix(paths, R, 1, 4, 3).length).toBe(6);
  });

  it("pads the full path with its last valid point, so draw ranges never meet a NaN", () => {
    const all = pathWorld(paths, R, 1, 2);
    expect(all.length).toBe(12);
    expect(Array.from(all).every(Number.isFinite)).toBe(true);
    close(all.subarray(3, 12), [0, 1, 0, 0, 1, 0, 0, 1, 0]); // (1, 1, 2), repeated
  });

  it("gives each start's current point at a frame", () => {
    const points = currentPoints(paths, R, [4, 4], 3);
    expect(points[0]).toMatchObject({ start: 0, index: 3, x: 2, y: 1, loss: 5 });
    close(points[0]!.world, [1, 1, 0.75]);
    expect(points[1]).toMatchObject({ start: 1, index: 1, x: 1, y: 1, loss: 2 });
    expect(currentPoints(paths, R, [0, 1], 3)).toEqual([null, expect.objectContaining({ index: 0 })]);
  });
});

describe("camera", () => {
  it("sanitises like Python: clamp elevation and zoom, wrap azimuth, keep good fields", () => {
    expect(sanitizeCamera(undefined)).toEqual({ elevation: 20, azimuth: 20, zoom: 1 });
    expect(sanitizeCamera({ elevation: 120, azimuth: 370, zoom: 99 })).toEqual({ elevation: 90, azimuth: 10, zoom: 4 });
    expect(sanitizeCamera({ elevation: "x", azimuth: null, zoom: Number.NaN }, { elevation: 5, azimuth: -30, zoom: 2 })).toEqual({
      elevation: 5,
      azimuth: -30,
      zoom: 2,
    });
    expect(sanitizeCamera({ azimuth: 180 }).azimuth).toBe(-180);
  });

  it("places the eye like matplotlib's view_init: azimuth 0 on +x, 90 on +y, elevation 90 on top", () => {
    close(eyePosition({ elevation: 0, azimuth: 0, zoom: 1 }, 5), [5, 0, 0]);
    close(eyePosition({ elevation: 0, azimuth: 90, zoom: 1 }, 5), [0, 5, 0]);
    close(eyePosition({ elevation: 90, azimuth: 40, zoom: 1 }, 5), [0, 0, 5]);
    const e = eyePosition({ elevation: 20, azimuth: 20, zoom: 1 }, 1);
    close(e, [Math.cos(0.349066) * Math.cos(0.349066), Math.cos(0.349066) * Math.sin(0.349066), Math.sin(0.349066)], 4);
  });

  it("fits the box: closer with zoom, farther in a narrow view", () => {
    const d = fitDistance(30, 1.5, 1);
    expect(fitDistance(30, 1.5, 2)).toBeCloseTo(d / 2);
    expect(fitDistance(30, 0.5, 1)).toBeGreaterThan(d);
    expect(d).toBeGreaterThan(Math.hypot(BOX.x, BOX.y, BOX.z));
  });
});

describe("tick labels", () => {
  it("uses three significant digits", () => {
    expect(formatTick(0)).toBe("0");
    expect(formatTick(2)).toBe("2");
    expect(formatTick(-1.23456)).toBe("-1.23");
    expect(formatTick(29.99992)).toBe("30");
    expect(formatTick(1234567)).toBe("1.23e+6");
    expect(formatTick(0.0001234)).toBe("1.23e-4");
  });
});

describe("the module without WebGL", () => {
  afterEach(() => {
    document.body.innerHTML = "";
  });

  function model(): FakeModel {
    return new FakeModel({
      grid: wire([2, 3], [0, 1, 2, 3, 4, 5]),
      x_range: [0, 2],
      y_range: [0, 1],
      z_clip: [0, 4],
      camera: { elevation: 20, azimuth: 20, zoom: 1 },
    });
  }

  it("exports only a default {render}", async () => {
    const entry = await import("../../js/surface/index");
    expect(Object.keys(entry)).toEqual(["default"]);
    expect(typeof surfaceModule.render).toBe("function");
  });

  it("shows a clear message when there is no WebGL 2 context, and removes it on cleanup", () => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
    const el = document.createElement("div");
    document.body.appendChild(el);
    const m = model();
    const cleanup = surfaceModule.render({ model: m, el });
    const note = el.querySelector('[data-testid="jgw-surface-fallback"]');
    expect(note?.textContent).toBe(FALLBACK_TEXT);
    expect(note?.textContent).toBe("3-D view unavailable: this browser has no WebGL");
    expect(el.querySelector('[data-testid="jgw-surface"]')).toBeNull();
    expect(m.listenerCount()).toBe(0);
    cleanup();
    expect(el.children.length).toBe(0);
  });

  it("shows the message when three.js cannot use the context, and releases it", () => {
    const loseContext = vi.fn();
    const broken = { getExtension: (name: string) => (name === "WEBGL_lose_context" ? { loseContext } : null) };
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(broken as unknown as RenderingContext);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const el = document.createElement("div");
    const cleanup = surfaceModule.render({ model: model(), el });
    expect(el.querySelector('[data-testid="jgw-surface-fallback"]')?.textContent).toBe(FALLBACK_TEXT);
    expect(loseContext).toHaveBeenCalledTimes(1);
    cleanup();
    cleanup(); // twice is harmless
    expect(el.children.length).toBe(0);
  });

  it("cleans up when the view's signal aborts", () => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
    const el = document.createElement("div");
    const controller = new AbortController();
    surfaceModule.render({ model: model(), el, signal: controller.signal });
    expect(el.children.length).toBe(1);
    controller.abort();
    expect(el.children.length).toBe(0);
  });
});
