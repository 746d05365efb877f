/**
 * Pure geometry of the 3-D surface view: no DOM, no WebGL, no three.js.
 *
 * World coordinates: the data box x_range x y_range x z_clip maps onto the box
 * [-BOX.x, BOX.x] x [-BOX.y, BOX.y] x [-BOX.z, BOX.z] (4 : 4 : 3, like
 * matplotlib's default 3-D box), z up. Heights outside z_clip are clamped onto
 * the box's top (or bottom) face and flagged, so the view can show the flat cap
 * as clipped rather than pretend it is the function.
 *
 * Grids arrive as (ny, nx) float32, row-major: z[row * nx + col] is the height
 * at (x_range[0] + col * dx, y_range[0] + row * dy), i.e. numpy's
 * `f(*np.meshgrid(xs, ys))`. Paths arrive as (k, n, 3) float32: x, y, loss of
 * start j at frame i.
 */

import type { Buffer2D } from "../tracks";
import { sample, type Lut } from "./colormaps";

/** Half extents of the world box. */
export const BOX = { x: 1, y: 1, z: 0.75 } as const;

/** The colour of a clipped cap (the renderer hatches it; see also CAP_DARK). */
export const CAP_LIGHT: readonly [number, number, number] = [0.9, 0.9, 0.9];
export const CAP_DARK: readonly [number, number, number] = [0.6, 0.6, 0.6];

export type Range = [number, number];

export interface Ranges {
  x: Range;
  y: Range;
  /** The display clip of the heights: [low, high]. */
  z: Range;
}

export interface HeightGrid {
  nx: number;
  ny: number;
  z: Float32Array;
}

export interface PathSet {
  /** Starts. */
  k: number;
  /** Frames. */
  n: number;
  /** (k, n, 3): x, y, loss. */
  data: Float32Array;
}

// ---------------------------------------------------------------------------
// Inputs

/** A (ny, nx) grid with at least 2 x 2 points out of a decoded buffer, else null. */
export function gridFromBuffer(buffer: Buffer2D | null | undefined): HeightGrid | null {
  if (!buffer || buffer.shape.length !== 2) return null;
  const [ny, nx] = buffer.shape;
  if (nx < 2 || ny < 2 || buffer.data.length < nx * ny) return null;
  return { nx, ny, z: buffer.data };
}

/** A (k, n, 3) path set out of a decoded buffer, else null. */
export function pathsFromBuffer(buffer: Buffer2D | null | undefined): PathSet | null {
  if (!buffer || buffer.shape.length !== 3 || buffer.shape[2] !== 3) return null;
  const [k, n] = buffer.shape;
  if (buffer.data.length < k * n * 3) return null;
  return { k, n, data: buffer.data };
}

/**
 * Two finite numbers from a trait value; `fallback` when it is not one. Equal
 * ends are widened by 0.5 either way, so every range has a span.
 */
export function sanitizeRange(value: unknown, fallback: Range): Range {
  if (!Array.isArray(value) || value.length < 2) return [fallback[0], fallback[1]];
  const a = Number(value[0]);
  const b = Number(value[1]);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return [fallback[0], fallback[1]];
  if (a === b) return [a - 0.5, b + 0.5];
  return [a, b];
}

/** The clip must be increasing: a reversed one is swapped. */
export function sanitizeClip(value: unknown, fallback: Range): Range {
  const [a, b] = sanitizeRange(value, fallback);
  return a < b ? [a, b] : [b, a];
}

// ---------------------------------------------------------------------------
// Data -> world

export function worldX(r: Ranges, x: number): number {
  return BOX.x * ((2 * (x - r.x[0])) / (r.x[1] - r.x[0]) - 1);
}

export function worldY(r: Ranges, y: number): number {
  return BOX.y * ((2 * (y - r.y[0])) / (r.y[1] - r.y[0]) - 1);
}

/** Heights are clamped to the clip first (+Infinity to the top, -Infinity to the bottom). */
export function worldZ(r: Ranges, z: number): number {
  const [lo, hi] = r.z;
  const c = z > hi ? hi : z < lo ? lo : z;
  return BOX.z * ((2 * (c - lo)) / (hi - lo) - 1);
}

/** 1 above the clip, -1 below it, 0 inside (and for NaN, which is a hole). */
export function clipFlag(r: Ranges, z: number): number {
  if (z > r.z[1]) return 1;
  if (z < r.z[0]) return -1;
  return 0;
}

// ---------------------------------------------------------------------------
// The surface

export interface SurfaceMesh {
  /** x, y, z per vertex (nx * ny vertices, row-major like the grid). */
  positions: Float32Array;
  /** sRGB r, g, b per vertex: the colour scale over the clip, CAP_LIGHT where clipped. */
  colors: Float32Array;
  /** Per vertex: 1 above the clip, -1 below, 0 inside. */
  clipped: Float32Array;
  /** Two triangles per grid cell, leaving out cells that touch a NaN height. */
  indices: Uint32Array;
  clippedAbove: number;
  clippedBelow: number;
  missing: number;
}

/** Vertex positions, colours, clip flags and triangles of a height grid. */
export function surfaceMesh(grid: HeightGrid, r: Ranges, table: Lut): SurfaceMesh {
  const { nx, ny, z } = grid;
  const count = nx * ny;
  const positions = new Float32Array(3 * count);
  const colors = new Float32Array(3 * count);
  const clipped = new Float32Array(count);
  const hole = new Uint8Array(count);
  const [lo, hi] = r.z;
  let clippedAbove = 0;
  let clippedBelow = 0;
  let missing = 0;
  for (let row = 0; row < ny; row++) {
    const y = worldY(r, r.y[0] + ((r.y[1] - r.y[0]) * row) / (ny - 1));
    for (let col = 0; col < nx; col++) {
      const v = row * nx + col;
      const h = z[v];
      positions[3 * v] = worldX(r, r.x[0] + ((r.x[1] - r.x[0]) * col) / (nx - 1));
      positions[3 * v + 1] = y;
      if (Number.isNaN(h)) {
        hole[v] = 1;
        missing++;
        positions[3 * v + 2] = -BOX.z;
        colors.set(CAP_LIGHT, 3 * v);
        continue;
      }
      positions[3 * v + 2] = worldZ(r, h);
      const flag = clipFlag(r, h);
      clipped[v] = flag;
      if (flag !== 0) {
        if (flag > 0) clippedAbove++;
        else clippedBelow++;
        colors.set(CAP_LIGHT, 3 * v);
      } else {
        sample(table, (h - lo) / (hi - lo), colors, 3 * v);
      }
    }
  }
  const cells = (nx - 1) * (ny - 1);
  const indices = new Uint32Array(6 * cells);
  let n = 0;
  for (let row = 0; row < ny - 1; row++) {
    for (let col = 0; col < nx - 1; col++) {
      const a = row * nx + col;
      const b = a + 1;
      const c = a + nx;
      const d = c + 1;
      if (hole[a] || hole[b] || hole[c] || hole[d]) continue;
      indices[n++] = a;
      indices[n++] = b;
      indices[n++] = c;
      indices[n++] = c;
      indices[n++] = b;
      indices[n++] = d;
    }
  }
  return {
    positions,
    colors,
    clipped,
    indices: n === indices.length ? indices : indices.slice(0, n),
    clippedAbove,
    clippedBelow,
    missing,
  };
}

/** About `count` evenly spaced indices in [0, size - 1], always both ends. */
export function strideIndices(size: number, count: number): number[] {
  if (size <= 0) return [];
  if (size === 1) return [0];
  const step = Math.max(1, Math.round((size - 1) / Math.max(count - 1, 1)));
  const out: number[] = [];
  for (let i = 0; i < size - 1; i += step) out.push(i);
  out.push(size - 1);
  return out;
}

/**
 * Mesh lines drawn on the surface (like matplotlib's rstride/cstride): about
 * `count` rows and `count` columns of the grid, as line-segment pairs (x, y, z
 * of both ends), skipping segments that touch a NaN height.
 */
export function meshLines(grid: HeightGrid, mesh: SurfaceMesh, count = 12): Float32Array {
  const { nx, ny, z } = grid;
  const rows = strideIndices(ny, count);
  const cols = strideIndices(nx, count);
  const out = new Float32Array(6 * (rows.length * (nx - 1) + cols.length * (ny - 1)));
  const p = mesh.positions;
  let n = 0;
  const segment = (a: number, b: number): void => {
    if (Number.isNaN(z[a]) || Number.isNaN(z[b])) return;
    out.set(p.subarray(3 * a, 3 * a + 3), n);
    out.set(p.subarray(3 * b, 3 * b + 3), n + 3);
    n += 6;
  };
  for (const row of rows) for (let col = 0; col < nx - 1; col++) segment(row * nx + col, row * nx + col + 1);
  for (const col of cols) for (let row = 0; row < ny - 1; row++) segment(row * nx + col, (row + 1) * nx + col);
  return n === out.length ? out : out.slice(0, n);
}

/** The 12 edges of the world box as segment pairs. */
export function boxEdges(): Float32Array {
  const { x, y, z } = BOX;
  const corners = [
    [-x, -y, -z],
    [x, -y, -z],
    [x, y, -z],
    [-x, y, -z],
    [-x, -y, z],
    [x, -y, z],
    [x, y, z],
    [-x, y, z],
  ];
  const edges = [
    [0, 1], [1, 2], [2, 3], [3, 0],
    [4, 5], [5, 6], [6, 7], [7, 4],
    [0, 4], [1, 5], [2, 6], [3, 7],
  ]; // prettier-ignore
  const out = new Float32Array(edges.length * 6);
  edges.forEach(([a, b], i) => {
    out.set(corners[a], 6 * i);
    out.set(corners[b], 6 * i + 3);
  });
  return out;
}

// ---------------------------------------------------------------------------
// Paths

/**
 * Start `j`'s number of drawable frames: its `length` clamped to [0, n], cut at
 * the first non-finite x, y or loss (the lengths Python sends are NaN-free
 * prefixes already; this only guards against a bad one).
 */
export function finiteLength(paths: PathSet, j: number, length: unknown): number {
  if (j < 0 || j >= paths.k) return 0;
  let limit = paths.n;
  if (typeof length === "number" && Number.isFinite(length)) limit = Math.min(Math.max(Math.floor(length), 0), paths.n);
  const base = j * paths.n * 3;
  for (let i = 0; i < limit; i++) {
    const o = base + 3 * i;
    if (!(Number.isFinite(paths.data[o]) && Number.isFinite(paths.data[o + 1]) && Number.isFinite(paths.data[o + 2]))) {
      return i;
    }
  }
  return limit;
}

/** How many points of a path of `length` valid frames show at `frame` (0 when empty). */
export function prefixCount(frame: number, length: number): number {
  if (!(length > 0)) return 0;
  const f = Number.isFinite(frame) ? Math.max(Math.floor(frame), 0) : 0;
  return Math.min(f, length - 1) + 1;
}

/** The index of the current point at `frame` (-1 for an empty path). */
export function currentIndex(frame: number, length: number): number {
  return prefixCount(frame, length) - 1;
}

/**
 * World positions of all n points of start `j` (3 * n floats); points at or
 * after `length` repeat the last valid one, so a renderer can show any prefix
 * of the buffer by its draw range without NaNs.
 */
export function pathWorld(paths: PathSet, r: Ranges, j: number, length: number): Float32Array {
  const out = new Float32Array(3 * paths.n);
  const base = j * paths.n * 3;
  let last: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < paths.n; i++) {
    if (i < length) {
      const o = base + 3 * i;
      last = [worldX(r, paths.data[o]), worldY(r, paths.data[o + 1]), worldZ(r, paths.data[o + 2])];
    }
    out[3 * i] = last[0];
    out[3 * i + 1] = last[1];
    out[3 * i + 2] = last[2];
  }
  return out;
}

/** World positions of the points of start `j` shown at `frame`: a polyline of prefixCount points. */
export function pathPrefix(paths: PathSet, r: Ranges, j: number, length: number, frame: number): Float32Array {
  const valid = finiteLength(paths, j, length);
  return pathWorld(paths, r, j, valid).slice(0, 3 * prefixCount(frame, valid));
}

export interface CurrentPoint {
  start: number;
  /** The frame of the path that is shown (the frame, held at the path's last valid one). */
  index: number;
  x: number;
  y: number;
  loss: number;
  world: [number, number, number];
}

/** Each start's current point at `frame` (null for a start with no valid frame). */
export function currentPoints(paths: PathSet, r: Ranges, lengths: readonly unknown[], frame: number): (CurrentPoint | null)[] {
  const out: (CurrentPoint | null)[] = [];
  for (let j = 0; j < paths.k; j++) {
    const i = currentIndex(frame, finiteLength(paths, j, lengths[j]));
    if (i < 0) {
      out.push(null);
      continue;
    }
    const o = (j * paths.n + i) * 3;
    const x = paths.data[o];
    const y = paths.data[o + 1];
    const loss = paths.data[o + 2];
    out.push({ start: j, index: i, x, y, loss, world: [worldX(r, x), worldY(r, y), worldZ(r, loss)] });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Camera

export interface Camera {
  /** Degrees above the x-y plane, in [-90, 90]. */
  elevation: number;
  /** Degrees around z from the +x axis, in [-180, 180). */
  azimuth: number;
  /** 1 fits the box; larger is closer. */
  zoom: number;
}

export const DEFAULT_CAMERA: Readonly<Camera> = { elevation: 20, azimuth: 20, zoom: 1 };
export const ELEVATION_LIMIT = 90;
export const ZOOM_RANGE: Range = [0.25, 4];

/** An angle in degrees wrapped into [-180, 180). */
export function wrapDegrees(a: number): number {
  return ((((a + 180) % 360) + 360) % 360) - 180;
}

/**
 * A camera from a trait value: missing or non-finite fields keep `previous`,
 * elevation is clamped, azimuth wrapped, zoom clamped (the same rules as
 * SurfaceView's validator in Python).
 */
export function sanitizeCamera(value: unknown, previous: Readonly<Camera> = DEFAULT_CAMERA): Camera {
  const v = value != null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  const pick = (name: keyof Camera): number => {
    const x = Number(v[name]);
    return v[name] !== null && v[name] !== undefined && Number.isFinite(x) ? x : previous[name];
  };
  return {
    elevation: Math.min(Math.max(pick("elevation"), -ELEVATION_LIMIT), ELEVATION_LIMIT),
    azimuth: wrapDegrees(pick("azimuth")),
    zoom: Math.min(Math.max(pick("zoom"), ZOOM_RANGE[0]), ZOOM_RANGE[1]),
  };
}

/**
 * The eye's position at `distance` from the box centre (z up), as matplotlib's
 * view_init(elev, azim) places it: azimuth 0 looks from +x, 90 from +y.
 */
export function eyePosition(camera: Camera, distance: number): [number, number, number] {
  const e = (camera.elevation * Math.PI) / 180;
  const a = (camera.azimuth * Math.PI) / 180;
  return [distance * Math.cos(e) * Math.cos(a), distance * Math.cos(e) * Math.sin(a), distance * Math.sin(e)];
}

/** The radius of a sphere around the world box. */
export const BOX_RADIUS = Math.hypot(BOX.x, BOX.y, BOX.z);

/**
 * The share of the bounding sphere that must fit: the box itself never spans its
 * whole bounding sphere on screen, so a little under 1 fills the view better and
 * still keeps the box in view from the usual angles.
 */
export const FIT_MARGIN = 0.9;

/**
 * The eye distance that fits the box's bounding sphere (plus `margin`) in a
 * perspective view of vertical field of view `fovDeg` and `aspect` = width /
 * height, divided by the zoom.
 */
export function fitDistance(fovDeg: number, aspect: number, zoom: number, margin = FIT_MARGIN): number {
  const half = (fovDeg * Math.PI) / 360;
  const halfH = Math.atan(Math.tan(half) * (aspect > 0 && Number.isFinite(aspect) ? aspect : 1));
  return (BOX_RADIUS * margin) / Math.sin(Math.min(half, halfH)) / zoom;
}

// ---------------------------------------------------------------------------
// Labels

/** A short number for a tick: 3 significant digits, no trailing zeros, exponent when huge or tiny. */
export function formatTick(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const a = Math.abs(value);
  if (a >= 1e5 || a < 1e-3) return value.toExponential(2).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(3)));
}
