/**
 * The Player's raster: a grid of small integer codes (1 byte per cell) and an RGBA
 * palette from the kernel, painted here into a bqplot Image mark (see "Rasters" in
 * jaxgrad_widgets/widgets/player.py). The map's basins of attraction are one.
 *
 * bqplot 0.13's Image view reads its picture only on its mark model's
 * `change:image` event (`update_image`): the `format` and `value` of the mark's
 * `image` model (an ipywidgets Image model); with format "url" the value is UTF-8
 * text used as the SVG `<image>` href. So the layer paints the codes into a canvas,
 * sets the image model's value to the canvas's PNG data URL in the browser only
 * (nothing goes back to the kernel), triggers `change:image` on the mark and makes
 * the mark visible. Empty codes hide the mark.
 *
 * A malformed raster is ignored with a warning; nothing here throws into bqplot or
 * anywidget, and each distinct problem is logged once.
 */

import { widgetManagerResolver, type Resolver } from "./animator";
import type { Listener, ModelLike } from "./types";

/** The traits the layer follows. */
export const RASTER_TRAITS = ["raster_target", "raster_layout", "raster_codes", "raster_palette"] as const;

/** The largest side the layer paints (Python sends at most 512). */
export const MAX_RASTER_SIDE = 4096;

const REF_PREFIX = "IPY_MODEL_";

/** A bqplot Image mark's browser model, as far as the layer uses it. */
export interface RasterMarkLike {
  get(name: string): unknown;
  set(name: string | Record<string, unknown>, value?: unknown): void;
  trigger(name: string, ...args: unknown[]): void;
}

/** The mark's `image` model (an ipywidgets Image model), as far as the layer writes it. */
export interface ImageModelLike {
  get(name: string): unknown;
  set(name: string | Record<string, unknown>, value?: unknown): void;
}

/** RGBA rows (top row first) of `width` x `height` -> an image URL, or null when it cannot. */
export type Encoder = (rgba: Uint8ClampedArray, width: number, height: number) => string | null;

export interface RasterOptions {
  /** Turns a model id (without "IPY_MODEL_") into its model; default: the widget manager's. */
  resolve?: Resolver;
  /** Default: a canvas's PNG data URL (see canvasDataUrl). */
  encode?: Encoder;
}

/**
 * Each code's palette colour, as RGBA rows from the top: `codes` is row-major with
 * row 0 at the lowest y, an image's row 0 is its top, so the rows are flipped.
 * `palette` holds 4 bytes (RGBA) per code; a code without an entry, or a cell past
 * the end of `codes`, is transparent.
 */
export function paintCodes(codes: Uint8Array, width: number, height: number, palette: Uint8Array): Uint8ClampedArray {
  const w = Math.max(0, Math.floor(width));
  const h = Math.max(0, Math.floor(height));
  const out = new Uint8ClampedArray(w * h * 4);
  const colors = Math.floor(palette.length / 4);
  for (let i = 0; i < h; i++) {
    const source = i * w;
    const target = (h - 1 - i) * w * 4;
    for (let j = 0; j < w; j++) {
      const k = source + j;
      if (k >= codes.length) continue;
      const code = codes[k];
      if (code >= colors) continue;
      const p = code * 4;
      const o = target + j * 4;
      out[o] = palette[p];
      out[o + 1] = palette[p + 1];
      out[o + 2] = palette[p + 2];
      out[o + 3] = palette[p + 3];
    }
  }
  return out;
}

/** Synced bytes (a DataView from the kernel, or any buffer or view) as a Uint8Array view. */
export function bytesOf(value: unknown): Uint8Array | null {
  if (value == null) return null;
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer || Object.prototype.toString.call(value) === "[object ArrayBuffer]") {
    return new Uint8Array(value as ArrayBuffer);
  }
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  return null;
}

/** The RGBA rows painted into a canvas, as a PNG data URL; null without a DOM or a 2-D context. */
export function canvasDataUrl(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  if (typeof document === "undefined") return null;
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  if (!context) return null;
  const image = context.createImageData(width, height);
  image.data.set(rgba);
  context.putImageData(image, 0, 0);
  return canvas.toDataURL("image/png");
}

function isRasterMark(value: unknown): value is RasterMarkLike {
  const m = value as RasterMarkLike | null;
  return m != null && typeof m.get === "function" && typeof m.set === "function" && typeof m.trigger === "function";
}

function isImageModel(value: unknown): value is ImageModelLike {
  const m = value as ImageModelLike | null;
  return m != null && typeof m.get === "function" && typeof m.set === "function";
}

function modelId(ref: string): string {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

function isSide(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_RASTER_SIDE;
}

/** What the model asks for: a picture, nothing (hide), or a malformed raster (ignored). */
type Wanted =
  | { kind: "paint"; codes: Uint8Array; palette: Uint8Array; width: number; height: number }
  | { kind: "hide" }
  | { kind: "malformed"; reason: string };

function wanted(model: ModelLike): Wanted {
  const codes = bytesOf(model.get("raster_codes"));
  const layout = model.get("raster_layout");
  const record = layout != null && typeof layout === "object" ? (layout as Record<string, unknown>) : {};
  const { width, height } = record;
  if (codes === null || codes.length === 0) {
    if ((width === undefined || width === 0) && (height === undefined || height === 0)) return { kind: "hide" };
    return { kind: "malformed", reason: `no codes for a ${String(width)} x ${String(height)} raster` };
  }
  if (!isSide(width) || !isSide(height) || width === 0 || height === 0) {
    return { kind: "malformed", reason: `bad raster size ${String(width)} x ${String(height)}` };
  }
  if (codes.length !== width * height) {
    return { kind: "malformed", reason: `${codes.length} codes for a ${width} x ${height} raster` };
  }
  const palette = bytesOf(model.get("raster_palette"));
  if (palette === null || palette.length < 4 || palette.length % 4 !== 0) {
    return { kind: "malformed", reason: `a raster palette of ${palette?.length ?? 0} bytes (4 per colour)` };
  }
  return { kind: "paint", codes, palette, width, height };
}

/**
 * The raster of one Player model: follows its raster traits and paints them into
 * the target Image mark. One per model (made in anywidget's `initialize`).
 */
export class RasterLayer {
  readonly model: ModelLike;

  private readonly resolver: Resolver | undefined;
  private readonly encode: Encoder;
  private readonly listeners: [string, Listener][] = [];
  private readonly cache = new Map<string, unknown>();
  private readonly warned = new Set<string>();
  /** The mark last painted or hidden: a new target hides it. */
  private mark: RasterMarkLike | null = null;
  private generation = 0;
  private queued = false;
  private disposed = false;
  private pending: Promise<void> = Promise.resolve();

  constructor(model: ModelLike, options: RasterOptions = {}) {
    this.model = model;
    this.resolver = options.resolve ?? widgetManagerResolver(model);
    this.encode = options.encode ?? canvasDataUrl;
    const changed = (): void => this.queue();
    for (const name of RASTER_TRAITS) {
      const event = `change:${name}`;
      model.on(event, changed);
      this.listeners.push([event, changed]);
    }
    const target = model.get("raster_target");
    if (target != null && target !== "") this.queue();
  }

  /** Settles once the latest update (its look-ups included) is done. */
  get ready(): Promise<void> {
    return this.pending;
  }

  /** Remove every listener; safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.generation++;
    for (const [name, callback] of this.listeners) this.model.off(name, callback);
    this.listeners.length = 0;
  }

  /** One kernel message changes several traits: update once, after all of them. */
  private queue(): void {
    if (this.queued || this.disposed) return;
    this.queued = true;
    let done: () => void = () => undefined;
    this.pending = new Promise<void>((resolve) => {
      done = resolve;
    });
    queueMicrotask(() => {
      this.queued = false;
      this.update().then(done, (error: unknown) => {
        this.warn("updating the raster failed", error);
        done();
      });
    });
  }

  private async update(): Promise<void> {
    if (this.disposed) return;
    const generation = ++this.generation;
    const want = wanted(this.model);
    const mark = await this.lookUp(this.model.get("raster_target"), "raster target");
    if (generation !== this.generation || this.disposed) return;
    if (mark !== null && !isRasterMark(mark)) {
      this.warn("the raster target is not a bqplot mark model");
      return;
    }
    if (want.kind === "malformed") {
      this.warn(`ignoring a malformed raster: ${want.reason}`);
      return;
    }
    if (this.mark !== null && this.mark !== mark) this.hide(this.mark);
    this.mark = mark;
    if (mark === null) return;
    if (want.kind === "hide") {
      await this.clearPicture(mark, generation);
      this.hide(mark);
      return;
    }
    const url = this.encode(paintCodes(want.codes, want.width, want.height, want.palette), want.width, want.height);
    if (url === null) {
      this.warn("cannot paint the raster: no canvas here");
      return;
    }
    const image = await this.imageOf(mark);
    if (generation !== this.generation || this.disposed || image === null) return;
    image.set({ format: "url", value: new TextEncoder().encode(url) });
    mark.trigger("change:image", mark);
    if (mark.get("visible") !== true) mark.set("visible", true);
  }

  /** Forget the picture of a hidden mark, so showing it again never flashes the old one. */
  private async clearPicture(mark: RasterMarkLike, generation: number): Promise<void> {
    const image = await this.imageOf(mark);
    if (generation !== this.generation || this.disposed || image === null) return;
    const value = bytesOf(image.get("value"));
    if (value !== null && value.length === 0) return;
    image.set({ format: "url", value: new Uint8Array(0) });
    mark.trigger("change:image", mark);
  }

  private hide(mark: RasterMarkLike): void {
    if (mark.get("visible") !== false) mark.set("visible", false);
  }

  /** The mark's `image` model (bqplot unpacks it; a bare reference is looked up). */
  private async imageOf(mark: RasterMarkLike): Promise<ImageModelLike | null> {
    const image = await this.lookUp(mark.get("image"), "raster image");
    if (image === null || !isImageModel(image)) {
      this.warn("the raster target has no image model");
      return null;
    }
    return image;
  }

  /** A model, a reference "IPY_MODEL_<id>" to one (looked up, then cached), or null. */
  private async lookUp(ref: unknown, what: string): Promise<unknown> {
    if (ref == null || ref === "") return null;
    if (typeof ref !== "string") return ref;
    const id = modelId(ref);
    if (this.cache.has(id)) return this.cache.get(id);
    if (!this.resolver) {
      this.warn(`no widget manager to look up the ${what}`);
      return null;
    }
    try {
      const model = await this.resolver(id);
      if (model != null) this.cache.set(id, model);
      return model ?? null;
    } catch (error) {
      this.warn(`cannot find the ${what} ${id}`, error);
      return null;
    }
  }

  private warn(message: string, error?: unknown): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    if (error === undefined) console.warn(`[jaxgrad_widgets] Player: ${message}`);
    else console.warn(`[jaxgrad_widgets] Player: ${message}`, error);
  }
}
