/**
 * The three.js renderer of one SurfaceView view: the shaded surface with its
 * clipped cap hatched, mesh lines, the data box with axis labels (HTML overlay),
 * one path and one current-point marker per start, and mouse/keyboard camera
 * control on spherical coordinates (elevation, azimuth, zoom).
 *
 * It draws on demand: every model change marks what is stale and asks for one
 * animation frame, so a Player writing `frame` 60 times a second costs one
 * cheap update (draw ranges and marker positions) and one render per frame,
 * and an idle view costs nothing.
 *
 * Hooks for end-to-end tests on the root (data-testid="jgw-surface"):
 * data-frame (the frame last drawn), data-current (JSON: per start, its step,
 * data x, y, loss and screen position sx, sy in CSS px), data-draws (renders so
 * far), data-clipped ("true" when some heights are above the clip).
 */

import {
  BackSide,
  BufferAttribute,
  BufferGeometry,
  Color,
  DoubleSide,
  GreaterDepth,
  LineBasicMaterial,
  LineSegments,
  Mesh,
  MeshBasicMaterial,
  PerspectiveCamera,
  Scene,
  ShaderMaterial,
  SphereGeometry,
  Vector3,
  WebGLRenderer,
  type Material,
  type Object3D,
} from "three";
import { Line2 } from "three/examples/jsm/lines/Line2.js";
import { LineGeometry } from "three/examples/jsm/lines/LineGeometry.js";
import { LineMaterial } from "three/examples/jsm/lines/LineMaterial.js";

import { decodeBuffer } from "../tracks";
import type { Listener, ModelLike } from "../types";
import { cssGradient, lut } from "./colormaps";
import {
  BOX,
  CAP_DARK,
  CAP_LIGHT,
  boxEdges,
  currentPoints,
  eyePosition,
  finiteLength,
  fitDistance,
  formatTick,
  gridFromBuffer,
  meshLines,
  pathWorld,
  pathsFromBuffer,
  prefixCount,
  sanitizeCamera,
  sanitizeClip,
  sanitizeRange,
  surfaceMesh,
  wrapDegrees,
  DEFAULT_CAMERA,
  ELEVATION_LIMIT,
  ZOOM_RANGE,
  type Camera,
  type CurrentPoint,
  type HeightGrid,
  type PathSet,
  type Ranges,
} from "./geometry";

const FOV = 30;
const HEIGHT_RANGE: [number, number] = [120, 2000];
const DEFAULT_HEIGHT = 440;
/** Degrees of rotation per CSS pixel dragged. */
const DRAG_DEGREES = 0.4;
const KEY_DEGREES = 5;
const WHEEL_RATE = 0.0015;
const CAMERA_SAVE_DELAY = 400;
const MARKER_RADIUS = 0.045;
const PATH_WIDTH = 3;

const VERTEX = /* glsl */ `
attribute vec3 surfaceColor;
attribute float clipFlag;
varying vec3 vColor;
varying float vClip;
varying vec3 vNormal;
varying vec3 vPos;
void main() {
  vColor = surfaceColor;
  vClip = clipFlag;
  vNormal = normal;
  vPos = position;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}
`;

// Colours are sRGB and written as they are (no colour-space conversion), so the
// surface shows the same colour scale as the 2-D map. A clipped cap is hatched.
const FRAGMENT = /* glsl */ `
uniform vec3 lightDir;
uniform vec3 capLight;
uniform vec3 capDark;
varying vec3 vColor;
varying float vClip;
varying vec3 vNormal;
varying vec3 vPos;
void main() {
  vec3 base = vColor;
  if (abs(vClip) > 0.5) {
    float stripe = step(0.5, fract((vPos.x - vPos.y) * 14.0));
    base = mix(capLight, capDark, stripe);
  }
  vec3 n = normalize(vNormal);
  float diffuse = abs(dot(n, normalize(lightDir)));
  gl_FragColor = vec4(base * (0.5 + 0.5 * diffuse), 1.0);
}
`;

type Dirty = "size" | "surface" | "paths" | "frame" | "labels";

interface StartObjects {
  geometry: LineGeometry | null;
  lines: Line2[];
  markers: Mesh[];
  length: number;
}

interface Label {
  el: HTMLDivElement;
  world: Vector3;
  /** CSS transform after the position: how the text sits around its anchor. */
  align: string;
}

function numberOr(value: unknown, fallback: number): number {
  const n = Number(value);
  return value !== null && value !== undefined && Number.isFinite(n) ? n : fallback;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => (v == null ? "" : String(v))) : [];
}

/** Finite min and max of a grid (a [0, 1] range when there is none). */
function finiteExtent(grid: HeightGrid | null): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  if (grid) {
    for (const v of grid.z) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export class SurfaceRenderer {
  readonly root: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;

  private readonly model: ModelLike;
  private readonly renderer: WebGLRenderer;
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera(FOV, 1, 0.05, 100);
  private readonly events = new AbortController();
  private readonly listeners: [string, Listener][] = [];
  private readonly resizeObserver: ResizeObserver | null = null;

  private readonly surfaceMaterial: ShaderMaterial;
  private readonly meshLineMaterial = new LineBasicMaterial({ color: 0x000000, transparent: true, opacity: 0.22 });
  private readonly boxMaterial = new LineBasicMaterial({ color: 0x888888, transparent: true, opacity: 0.7 });
  private readonly sphere = new SphereGeometry(MARKER_RADIUS, 20, 14);
  private readonly outlineMaterial = new MeshBasicMaterial({ color: 0x000000, side: BackSide });
  private surface: Mesh | null = null;
  private lines: LineSegments | null = null;
  private readonly box: LineSegments;
  private starts: StartObjects[] = [];

  private grid: HeightGrid | null = null;
  private paths: PathSet | null = null;
  private ranges: Ranges = { x: [0, 1], y: [0, 1], z: [0, 1] };
  private view: Camera = { ...DEFAULT_CAMERA };
  private width = 0;
  private height = DEFAULT_HEIGHT;
  private frame = 0;
  private clippedAbove = 0;
  private clippedBelow = 0;
  private current: (CurrentPoint | null)[] = [];

  private readonly dirty = new Set<Dirty>();
  private handle: number | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private draws = 0;
  private disposed = false;
  private drag: { x: number; y: number; camera: Camera; moved: boolean; pointer: number } | null = null;

  private readonly labelLayer: HTMLDivElement;
  private readonly labels: Record<"x" | "y" | "z", { title: Label; ticks: Label[] }>;
  private readonly colorbar: HTMLDivElement;
  private readonly colorbarLow: HTMLSpanElement;
  private readonly colorbarHigh: HTMLSpanElement;
  private readonly colorbarTitle: HTMLSpanElement;
  private readonly clipNote: HTMLDivElement;
  private readonly clipText: HTMLSpanElement;

  /**
   * `canvas` and `context` come from the caller's WebGL check (index.ts); the
   * renderer takes them over. Throws when three.js cannot use the context.
   */
  constructor(model: ModelLike, el: HTMLElement, canvas: HTMLCanvasElement, context: WebGL2RenderingContext) {
    this.model = model;
    this.canvas = canvas;
    const doc = el.ownerDocument;
    this.renderer = new WebGLRenderer({ canvas, context, antialias: true, alpha: true });
    this.renderer.setClearColor(0x000000, 0);

    this.root = doc.createElement("div");
    this.root.className = "jgw-surface";
    this.root.dataset.testid = "jgw-surface";
    this.root.tabIndex = 0;
    this.root.setAttribute("role", "img");
    this.root.setAttribute(
      "aria-label",
      "3-D surface of the loss with the descent paths. Drag or use the arrow keys to rotate, " +
        "the wheel or + and - to zoom, double-click or Home to reset the view.",
    );
    this.root.dataset.frame = "-1";
    this.root.dataset.current = "[]";
    this.root.dataset.draws = "0";
    this.root.dataset.clipped = "false";
    this.root.appendChild(canvas);

    this.labelLayer = doc.createElement("div");
    this.labelLayer.className = "jgw-surface-labels";
    this.root.appendChild(this.labelLayer);
    const label = (title: boolean, align: string): Label => {
      const div = doc.createElement("div");
      div.className = title ? "jgw-surface-label jgw-axis-title" : "jgw-surface-label";
      this.labelLayer.appendChild(div);
      return { el: div, world: new Vector3(), align };
    };
    const centred = "translate(-50%, -50%)";
    const leftOf = "translate(calc(-100% - 6px), -50%)";
    this.labels = {
      x: { title: label(true, centred), ticks: [0, 1, 2].map(() => label(false, centred)) },
      y: { title: label(true, centred), ticks: [0, 1, 2].map(() => label(false, centred)) },
      z: { title: label(true, "translate(-50%, calc(-100% - 6px))"), ticks: [0, 1, 2].map(() => label(false, leftOf)) },
    };

    const legend = doc.createElement("div");
    legend.className = "jgw-surface-legend";
    legend.dataset.testid = "jgw-surface-legend";
    const barRow = doc.createElement("div");
    barRow.className = "jgw-colorbar-row";
    this.colorbarTitle = doc.createElement("span");
    this.colorbarLow = doc.createElement("span");
    this.colorbar = doc.createElement("div");
    this.colorbar.className = "jgw-colorbar";
    this.colorbarHigh = doc.createElement("span");
    barRow.append(this.colorbarTitle, this.colorbarLow, this.colorbar, this.colorbarHigh);
    this.clipNote = doc.createElement("div");
    this.clipNote.className = "jgw-clip-note";
    this.clipNote.dataset.testid = "jgw-surface-clip-note";
    const swatch = doc.createElement("span");
    swatch.className = "jgw-clip-swatch";
    this.clipText = doc.createElement("span");
    this.clipNote.append(swatch, this.clipText);
    this.clipNote.hidden = true;
    legend.append(barRow, this.clipNote);
    this.root.appendChild(legend);

    const hint = doc.createElement("div");
    hint.className = "jgw-surface-hint";
    hint.textContent = "drag: rotate \u00B7 wheel: zoom \u00B7 double-click: reset";
    this.root.appendChild(hint);

    el.appendChild(this.root);

    this.surfaceMaterial = new ShaderMaterial({
      vertexShader: VERTEX,
      fragmentShader: FRAGMENT,
      uniforms: {
        lightDir: { value: new Vector3(1, 1, 1) },
        capLight: { value: new Vector3(...CAP_LIGHT) },
        capDark: { value: new Vector3(...CAP_DARK) },
      },
      side: DoubleSide,
      polygonOffset: true,
      polygonOffsetFactor: 1,
      polygonOffsetUnits: 1,
    });
    const boxGeometry = new BufferGeometry();
    boxGeometry.setAttribute("position", new BufferAttribute(boxEdges(), 3));
    this.box = new LineSegments(boxGeometry, this.boxMaterial);
    this.scene.add(this.box);
    this.camera.up.set(0, 0, 1);

    this.listenModel();
    this.listenDom();
    if (typeof ResizeObserver !== "undefined") {
      this.resizeObserver = new ResizeObserver(() => this.invalidate("size"));
      this.resizeObserver.observe(this.root);
    }
    this.view = sanitizeCamera(model.get("camera"));
    this.invalidate("size", "surface", "labels");
  }

  /** Everything this view made goes: GL objects, the context, listeners, DOM, timers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.handle !== null) cancelAnimationFrame(this.handle);
    this.handle = null;
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.events.abort();
    this.resizeObserver?.disconnect();
    for (const [name, callback] of this.listeners) this.model.off(name, callback);
    this.listeners.length = 0;
    this.clearStarts();
    this.removeSurface();
    this.box.geometry.dispose();
    for (const m of [this.surfaceMaterial, this.meshLineMaterial, this.boxMaterial, this.outlineMaterial]) m.dispose();
    this.sphere.dispose();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.root.remove();
  }

  // -- model ------------------------------------------------------------------

  private listenModel(): void {
    const on = (names: string[], dirty: Dirty[]): void => {
      for (const name of names) {
        const callback = (): void => this.invalidate(...dirty);
        this.model.on(`change:${name}`, callback);
        this.listeners.push([`change:${name}`, callback]);
      }
    };
    on(["grid", "x_range", "y_range", "z_clip", "colormap"], ["surface", "labels"]);
    on(["paths", "lengths", "colors"], ["paths"]);
    on(["frame"], ["frame"]);
    on(["labels"], ["labels"]);
    on(["height"], ["size"]);
    const camera = (): void => {
      if (this.drag) return; // the user is turning it: their camera wins until released
      this.view = sanitizeCamera(this.model.get("camera"), this.view);
      this.invalidate();
    };
    this.model.on("change:camera", camera);
    this.listeners.push(["change:camera", camera]);
  }

  /** Mark parts stale and ask for one animation frame. */
  private invalidate(...parts: Dirty[]): void {
    if (this.disposed) return;
    for (const p of parts) this.dirty.add(p);
    if (this.handle === null) this.handle = requestAnimationFrame(() => this.draw());
  }

  private readRanges(): void {
    this.grid = gridFromBuffer(decodeBuffer(this.model.get("grid")));
    this.ranges = {
      x: sanitizeRange(this.model.get("x_range"), [0, 1]),
      y: sanitizeRange(this.model.get("y_range"), [0, 1]),
      z: sanitizeClip(this.model.get("z_clip"), finiteExtent(this.grid)),
    };
  }

  // -- building the scene -------------------------------------------------------

  private removeSurface(): void {
    for (const obj of [this.surface, this.lines]) {
      if (!obj) continue;
      this.scene.remove(obj);
      obj.geometry.dispose();
    }
    this.surface = null;
    this.lines = null;
  }

  private buildSurface(): void {
    this.removeSurface();
    this.readRanges();
    this.clippedAbove = 0;
    this.clippedBelow = 0;
    const table = lut(this.model.get("colormap"));
    this.colorbar.style.background = cssGradient(table);
    const grid = this.grid;
    if (!grid) return;
    const mesh = surfaceMesh(grid, this.ranges, table);
    this.clippedAbove = mesh.clippedAbove;
    this.clippedBelow = mesh.clippedBelow;
    const geometry = new BufferGeometry();
    geometry.setAttribute("position", new BufferAttribute(mesh.positions, 3));
    geometry.setAttribute("surfaceColor", new BufferAttribute(mesh.colors, 3));
    geometry.setAttribute("clipFlag", new BufferAttribute(mesh.clipped, 1));
    geometry.setIndex(new BufferAttribute(mesh.indices, 1));
    geometry.computeVertexNormals();
    this.surface = new Mesh(geometry, this.surfaceMaterial);
    this.scene.add(this.surface);

    const lineGeometry = new BufferGeometry();
    lineGeometry.setAttribute("position", new BufferAttribute(meshLines(grid, mesh), 3));
    this.lines = new LineSegments(lineGeometry, this.meshLineMaterial);
    this.scene.add(this.lines);
  }

  private clearStarts(): void {
    for (const s of this.starts) {
      for (const obj of [...s.lines, ...s.markers]) {
        this.scene.remove(obj);
        const material = (obj as Object3D & { material: Material }).material;
        if (material !== this.outlineMaterial) material.dispose();
      }
      s.geometry?.dispose();
    }
    this.starts = [];
  }

  private buildPaths(): void {
    this.clearStarts();
    const paths = pathsFromBuffer(decodeBuffer(this.model.get("paths")));
    this.paths = paths;
    if (!paths) return;
    const lengths = Array.isArray(this.model.get("lengths")) ? (this.model.get("lengths") as unknown[]) : [];
    const colors = stringList(this.model.get("colors"));
    for (let j = 0; j < paths.k; j++) {
      const color = new Color(colors[j] || "#d62728");
      const length = finiteLength(paths, j, lengths[j] ?? paths.n);
      const lines: Line2[] = [];
      let geometry: LineGeometry | null = null;
      if (paths.n >= 2 && length >= 1) {
        geometry = new LineGeometry();
        geometry.setPositions(pathWorld(paths, this.ranges, j, length));
        // The dark casing writes no depth, so the coloured line on it never
        // z-fights with it.
        const casing = new LineMaterial({ color: 0x000000, linewidth: PATH_WIDTH + 2 });
        casing.depthWrite = false;
        const solid = new LineMaterial({ color, linewidth: PATH_WIDTH });
        // Where the surface hides the path it shows through, dashed: drawn right
        // after the surface and only where it is behind it (GreaterDepth), opaque
        // so that overlapping segments do not bead; the visible line then covers it.
        const hidden = new LineMaterial({ color, linewidth: 1.5, dashed: true, dashSize: 0.035, gapSize: 0.03 });
        hidden.depthFunc = GreaterDepth;
        hidden.depthWrite = false;
        [hidden, casing, solid].forEach((material, order) => {
          material.resolution.set(Math.max(this.width, 1), this.height);
          const line = new Line2(geometry!, material);
          line.frustumCulled = false;
          line.renderOrder = 1 + order;
          if (material.dashed) line.computeLineDistances();
          lines.push(line);
          this.scene.add(line);
        });
      }
      const marker = new Mesh(this.sphere, new MeshBasicMaterial({ color }));
      marker.renderOrder = 5;
      const outline = new Mesh(this.sphere, this.outlineMaterial);
      outline.scale.setScalar(1.35);
      outline.renderOrder = 4;
      const ghost = new MeshBasicMaterial({ color, transparent: true, opacity: 0.45, depthWrite: false });
      ghost.depthFunc = GreaterDepth; // only where something is in front of it
      const ghostMarker = new Mesh(this.sphere, ghost);
      ghostMarker.renderOrder = 6;
      const markers = [outline, marker, ghostMarker];
      for (const m of markers) {
        m.visible = false;
        this.scene.add(m);
      }
      this.starts.push({ geometry, lines, markers, length });
    }
  }

  private applyFrame(): void {
    const paths = this.paths;
    const n = paths ? paths.n : 0;
    const raw = numberOr(this.model.get("frame"), 0);
    this.frame = n > 0 ? Math.min(Math.max(Math.floor(raw), 0), n - 1) : 0;
    if (!paths) {
      this.current = [];
      return;
    }
    const lengths = this.starts.map((s) => s.length);
    this.current = currentPoints(paths, this.ranges, lengths, this.frame);
    this.starts.forEach((s, j) => {
      const count = prefixCount(this.frame, s.length);
      if (s.geometry) s.geometry.instanceCount = Math.max(count - 1, 0);
      for (const line of s.lines) line.visible = count >= 2;
      const point = this.current[j];
      for (const m of s.markers) {
        m.visible = point !== null;
        if (point) m.position.set(...point.world);
      }
    });
  }

  // -- drawing ------------------------------------------------------------------

  private resize(): void {
    this.height = Math.min(Math.max(numberOr(this.model.get("height"), DEFAULT_HEIGHT), HEIGHT_RANGE[0]), HEIGHT_RANGE[1]);
    this.root.style.height = `${this.height}px`;
    this.width = this.root.clientWidth;
    if (this.width <= 0) return;
    const ratio = Math.min(globalThis.devicePixelRatio || 1, 2);
    this.renderer.setPixelRatio(ratio);
    this.renderer.setSize(this.width, this.height, false);
    this.camera.aspect = this.width / this.height;
    for (const s of this.starts) {
      for (const line of s.lines) line.material.resolution.set(this.width, this.height);
    }
  }

  private placeCamera(): void {
    const distance = fitDistance(FOV, this.camera.aspect, this.view.zoom);
    this.camera.position.set(...eyePosition(this.view, distance));
    this.camera.near = Math.max(distance - 3, 0.05);
    this.camera.far = distance + 3;
    this.camera.lookAt(0, 0, 0);
    this.camera.updateProjectionMatrix();
    this.camera.updateMatrixWorld();
    // A head light, a little above and to the left of the eye.
    const light = this.camera.position.clone().normalize();
    light.z += 0.6;
    (this.surfaceMaterial.uniforms.lightDir.value as Vector3).copy(light.normalize());
  }

  private draw(): void {
    this.handle = null;
    if (this.disposed) return;
    const dirty = new Set(this.dirty);
    this.dirty.clear();
    if (dirty.has("surface")) {
      this.buildSurface();
      dirty.add("paths");
    }
    if (dirty.has("size") || dirty.has("surface")) this.resize();
    if (dirty.has("paths")) {
      if (!dirty.has("surface")) this.readRanges();
      this.buildPaths();
      dirty.add("frame");
    }
    if (dirty.has("frame")) this.applyFrame();
    if (dirty.has("labels")) this.updateLegend();
    // Not laid out yet (no width): the ResizeObserver asks again once it is.
    if (this.width <= 0) return;
    this.placeCamera();
    this.renderer.render(this.scene, this.camera);
    this.draws++;
    this.updateOverlay();
  }

  private updateLegend(): void {
    const labels = stringList(this.model.get("labels"));
    const names = ["x", "y", "z"].map((d, i) => labels[i] || d);
    this.labels.x.title.el.textContent = names[0];
    this.labels.y.title.el.textContent = names[1];
    this.labels.z.title.el.textContent = names[2];
    const [lo, hi] = this.ranges.z;
    this.colorbarTitle.textContent = names[2];
    this.colorbarLow.textContent = formatTick(lo);
    this.colorbarHigh.textContent = formatTick(hi);
    const notes: string[] = [];
    if (this.clippedAbove > 0) notes.push(`heights above ${formatTick(hi)} clipped`);
    if (this.clippedBelow > 0) notes.push(`heights below ${formatTick(lo)} clipped`);
    this.clipNote.hidden = notes.length === 0;
    this.clipText.textContent = notes.join("; ");
    this.root.dataset.clipped = String(this.clippedAbove > 0);
    this.root.dataset.clip = JSON.stringify([lo, hi]);
    const ticks = (range: [number, number]): string[] => [range[0], (range[0] + range[1]) / 2, range[1]].map(formatTick);
    ticks(this.ranges.x).forEach((t, i) => (this.labels.x.ticks[i].el.textContent = t));
    ticks(this.ranges.y).forEach((t, i) => (this.labels.y.ticks[i].el.textContent = t));
    ticks(this.ranges.z).forEach((t, i) => (this.labels.z.ticks[i].el.textContent = t));
  }

  /** CSS-pixel position of a world point in the canvas, or null when behind the eye. */
  private toScreen(world: Vector3): [number, number] | null {
    const v = world.clone().project(this.camera);
    if (!(v.z < 1)) return null;
    return [((v.x + 1) / 2) * this.width, ((1 - v.y) / 2) * this.height];
  }

  private place(label: Label): void {
    const p = this.toScreen(label.world);
    label.el.style.visibility = p ? "visible" : "hidden";
    if (p) label.el.style.transform = `translate(${p[0].toFixed(1)}px, ${p[1].toFixed(1)}px) ${label.align}`;
  }

  private updateOverlay(): void {
    const eye = this.camera.position;
    const { x: bx, y: by, z: bz } = BOX;
    // x and y axes run along the bottom edges nearest the eye.
    const yEdge = eye.y >= 0 ? by : -by;
    const xEdge = eye.x >= 0 ? bx : -bx;
    [-bx, 0, bx].forEach((x, i) => this.labels.x.ticks[i].world.set(x, yEdge * 1.13, -bz));
    this.labels.x.title.world.set(0, yEdge * 1.32, -bz);
    [-by, 0, by].forEach((y, i) => this.labels.y.ticks[i].world.set(xEdge * 1.13, y, -bz));
    this.labels.y.title.world.set(xEdge * 1.32, 0, -bz);
    // z runs up the vertical edge that is leftmost on screen.
    let corner: [number, number] = [-bx, -by];
    let left = Infinity;
    for (const [cx, cy] of [[-bx, -by], [bx, -by], [bx, by], [-bx, by]] as [number, number][]) {
      const p = this.toScreen(new Vector3(cx, cy, 0));
      if (p && p[0] < left) {
        left = p[0];
        corner = [cx, cy];
      }
    }
    [-bz, 0, bz].forEach((z, i) => this.labels.z.ticks[i].world.set(corner[0], corner[1], z));
    this.labels.z.title.world.set(corner[0], corner[1], bz * 1.08);
    for (const axis of [this.labels.x, this.labels.y, this.labels.z]) {
      this.place(axis.title);
      for (const t of axis.ticks) this.place(t);
    }

    const current = this.current.map((p) => {
      if (!p) return null;
      const s = this.toScreen(new Vector3(...p.world));
      return {
        start: p.start,
        step: p.index,
        x: round(p.x, 5),
        y: round(p.y, 5),
        loss: round(p.loss, 5),
        sx: s ? round(s[0], 1) : null,
        sy: s ? round(s[1], 1) : null,
      };
    });
    this.root.dataset.frame = String(this.frame);
    this.root.dataset.current = JSON.stringify(current);
    this.root.dataset.draws = String(this.draws);
    this.root.dataset.camera = JSON.stringify(this.view);
  }

  // -- camera control -----------------------------------------------------------

  private listenDom(): void {
    const signal = this.events.signal;
    const root = this.root;
    root.addEventListener(
      "pointerdown",
      (event: PointerEvent) => {
        if (event.button !== 0) return;
        this.drag = { x: event.clientX, y: event.clientY, camera: { ...this.view }, moved: false, pointer: event.pointerId };
        root.setPointerCapture?.(event.pointerId);
        root.classList.add("jgw-dragging");
        root.focus({ preventScroll: true });
      },
      { signal },
    );
    root.addEventListener(
      "pointermove",
      (event: PointerEvent) => {
        const d = this.drag;
        if (!d || event.pointerId !== d.pointer) return;
        const dx = event.clientX - d.x;
        const dy = event.clientY - d.y;
        if (Math.abs(dx) + Math.abs(dy) > 1) d.moved = true;
        this.setView({
          elevation: d.camera.elevation + dy * DRAG_DEGREES,
          azimuth: d.camera.azimuth - dx * DRAG_DEGREES,
          zoom: d.camera.zoom,
        });
      },
      { signal },
    );
    const release = (event: PointerEvent): void => {
      const d = this.drag;
      if (!d || event.pointerId !== d.pointer) return;
      this.drag = null;
      root.classList.remove("jgw-dragging");
      if (root.hasPointerCapture?.(event.pointerId)) root.releasePointerCapture(event.pointerId);
      if (d.moved) this.saveCamera();
    };
    root.addEventListener("pointerup", release, { signal });
    root.addEventListener("pointercancel", release, { signal });
    root.addEventListener(
      "wheel",
      (event: WheelEvent) => {
        event.preventDefault();
        const scale = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
        this.setView({ ...this.view, zoom: this.view.zoom * Math.exp(-event.deltaY * scale * WHEEL_RATE) });
        this.saveCameraSoon();
      },
      { signal, passive: false },
    );
    root.addEventListener(
      "dblclick",
      () => {
        this.setView({ ...DEFAULT_CAMERA });
        this.saveCamera();
      },
      { signal },
    );
    root.addEventListener(
      "keydown",
      (event: KeyboardEvent) => {
        const v = this.view;
        let next: Camera | null = null;
        if (event.key === "ArrowLeft") next = { ...v, azimuth: v.azimuth + KEY_DEGREES };
        else if (event.key === "ArrowRight") next = { ...v, azimuth: v.azimuth - KEY_DEGREES };
        else if (event.key === "ArrowUp") next = { ...v, elevation: v.elevation + KEY_DEGREES };
        else if (event.key === "ArrowDown") next = { ...v, elevation: v.elevation - KEY_DEGREES };
        else if (event.key === "+" || event.key === "=") next = { ...v, zoom: v.zoom * 1.15 };
        else if (event.key === "-" || event.key === "_") next = { ...v, zoom: v.zoom / 1.15 };
        else if (event.key === "Home" || event.key === "0") next = { ...DEFAULT_CAMERA };
        if (!next) return;
        event.preventDefault();
        event.stopPropagation(); // not the notebook's shortcuts
        this.setView(next);
        this.saveCameraSoon();
      },
      { signal },
    );
  }

  private setView(camera: Camera): void {
    this.view = {
      elevation: Math.min(Math.max(camera.elevation, -ELEVATION_LIMIT), ELEVATION_LIMIT),
      azimuth: wrapDegrees(camera.azimuth),
      zoom: Math.min(Math.max(camera.zoom, ZOOM_RANGE[0]), ZOOM_RANGE[1]),
    };
    this.invalidate();
  }

  /** Tell Python (and the other views) the camera: one message. */
  private saveCamera(): void {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (this.disposed) return;
    const view = {
      elevation: round(this.view.elevation, 3),
      azimuth: round(this.view.azimuth, 3),
      zoom: round(this.view.zoom, 4),
    };
    this.model.set("camera", view);
    this.model.save_changes();
  }

  private saveCameraSoon(): void {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.saveCamera(), CAMERA_SAVE_DELAY);
  }
}
