import { afterEach, describe, expect, it, vi } from "vitest";

import widget from "../../js/index";
import { bytesOf, canvasDataUrl, paintCodes, RasterLayer, type Encoder } from "../../js/raster";
import { byteView, FakeImageMark, FakeImageModel, FakeModel, flush, proxyOf } from "./fakes";

const RED = [255, 0, 0, 153];
const BLUE = [0, 0, 255, 200];
const CLEAR = [0, 0, 0, 0];
const PNG = "data:image/png;base64,";

/** codes[i, j] for 2 rows (row 0 the lowest y) and 3 columns, three colours. */
const CODES = [0, 1, 2, 2, 1, 0];
const PALETTE = [...CLEAR, ...RED, ...BLUE];

function rasterModel(extra: Record<string, unknown> = {}): FakeModel {
  return new FakeModel({
    raster_target: "IPY_MODEL_img",
    raster_layout: { width: 3, height: 2, colors: 3, revision: 1 },
    raster_codes: byteView(CODES),
    raster_palette: byteView(PALETTE),
    ...extra,
  });
}

interface Painted {
  rgba: number[];
  width: number;
  height: number;
}

/** An encoder that records what it was given and answers a fake PNG data URL. */
function recorder(): { encode: Encoder; painted: Painted[] } {
  const painted: Painted[] = [];
  const encode: Encoder = (rgba, width, height) => {
    painted.push({ rgba: Array.from(rgba), width, height });
    return `${PNG}${painted.length}`;
  };
  return { encode, painted };
}

interface Started {
  layer: RasterLayer;
  painted: Painted[];
  resolved: string[];
}

async function start(model: FakeModel, models: Record<string, unknown>, encode?: Encoder): Promise<Started> {
  const rec = recorder();
  const resolved: string[] = [];
  const layer = new RasterLayer(model, {
    encode: encode ?? rec.encode,
    resolve: async (id) => {
      resolved.push(id);
      return models[id];
    },
  });
  await flush();
  await layer.ready;
  return { layer, painted: rec.painted, resolved };
}

function rows(rgba: number[], width: number): number[][][] {
  const out: number[][][] = [];
  for (let r = 0; r < rgba.length / (4 * width); r++) {
    const row: number[][] = [];
    for (let j = 0; j < width; j++) row.push(rgba.slice((r * width + j) * 4, (r * width + j) * 4 + 4));
    out.push(row);
  }
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("paintCodes", () => {
  it("paints each code in its palette colour, alpha kept, rows flipped (image row 0 = highest y)", () => {
    const out = paintCodes(new Uint8Array(CODES), 3, 2, new Uint8Array(PALETTE));
    expect(out).toBeInstanceOf(Uint8ClampedArray);
    expect(out.length).toBe(3 * 2 * 4);
    expect(rows(Array.from(out), 3)).toEqual([
      [BLUE, RED, CLEAR], // codes row 1 (the higher y) on top
      [CLEAR, RED, BLUE], // codes row 0 (the lowest y) at the bottom
    ]);
  });

  it("leaves codes without a colour and cells past the codes transparent", () => {
    const out = paintCodes(new Uint8Array([1, 7, 1]), 2, 2, new Uint8Array([...CLEAR, ...RED]));
    expect(rows(Array.from(out), 2)).toEqual([
      [RED, CLEAR], // row 1: code 1, then no code at all
      [RED, CLEAR], // row 0: code 1, code 7 (no colour)
    ]);
    expect(paintCodes(new Uint8Array(0), 0, 0, new Uint8Array(0)).length).toBe(0);
  });

  it("paints a 512 x 512 raster in one pass", () => {
    const n = 512;
    const codes = new Uint8Array(n * n).map((_, k) => Math.floor(k / n) % 2);
    const out = paintCodes(codes, n, n, new Uint8Array([...RED, ...BLUE]));
    expect(Array.from(out.subarray(0, 4))).toEqual(BLUE); // top row = codes row 511 (odd)
    expect(Array.from(out.subarray(out.length - 4))).toEqual(RED); // bottom row = codes row 0
  });
});

describe("bytesOf", () => {
  it("views a DataView's bytes at its offset, without copying", () => {
    const view = byteView([5, 6, 7]);
    const bytes = bytesOf(view)!;
    expect(Array.from(bytes)).toEqual([5, 6, 7]);
    expect(bytes.buffer).toBe(view.buffer);
    expect(Array.from(bytesOf(new Uint8Array([1, 2]).buffer)!)).toEqual([1, 2]);
    expect(bytesOf(undefined)).toBeNull();
    expect(bytesOf("junk")).toBeNull();
  });
});

describe("canvasDataUrl", () => {
  it("puts the RGBA rows into a canvas and returns its PNG data URL", () => {
    const put = vi.fn();
    const context = {
      createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
      putImageData: put,
    };
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(context as unknown as CanvasRenderingContext2D);
    const toDataURL = vi.spyOn(HTMLCanvasElement.prototype, "toDataURL").mockReturnValue(`${PNG}AAAA`);
    const rgba = paintCodes(new Uint8Array(CODES), 3, 2, new Uint8Array(PALETTE));
    expect(canvasDataUrl(rgba, 3, 2)).toBe(`${PNG}AAAA`);
    expect(toDataURL).toHaveBeenCalledWith("image/png");
    const [image, x, y] = put.mock.calls[0];
    expect([image.width, image.height, x, y]).toEqual([3, 2, 0, 0]);
    expect(Array.from(image.data)).toEqual(Array.from(rgba));
  });

  it("gives null where there is no 2-D context", () => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
    expect(canvasDataUrl(new Uint8ClampedArray(4), 1, 1)).toBeNull();
  });
});

describe("RasterLayer", () => {
  it("sets the mark's image model to a PNG data URL, triggers change:image and shows the mark", async () => {
    const mark = new FakeImageMark();
    const model = rasterModel();
    const { painted, resolved } = await start(model, { img: mark });
    expect(resolved).toEqual(["img"]);
    expect(painted.length).toBe(1);
    expect(painted[0].width).toBe(3);
    expect(painted[0].height).toBe(2);
    expect(rows(painted[0].rgba, 3)).toEqual([
      [BLUE, RED, CLEAR],
      [CLEAR, RED, BLUE],
    ]);
    expect(mark.image.get("format")).toBe("url");
    expect(ArrayBuffer.isView(mark.image.get("value"))).toBe(true); // bytes, as bqplot decodes them
    expect(mark.image.text).toBe(`${PNG}1`);
    expect(mark.triggers).toEqual(["change:image"]);
    expect(mark.get("visible")).toBe(true);
    expect(model.saves).toBe(0); // nothing goes back to the kernel
  });

  it("paints once per kernel message, however many raster traits it changes", async () => {
    const mark = new FakeImageMark();
    const model = rasterModel();
    const { painted } = await start(model, { img: mark });
    model.fromKernel({
      raster_codes: byteView([1, 1, 1, 1]),
      raster_palette: byteView([...CLEAR, ...BLUE]),
      raster_layout: { width: 2, height: 2, colors: 2, revision: 2 },
    });
    await flush();
    expect(painted.length).toBe(2);
    expect(rows(painted[1].rgba, 2)).toEqual([
      [BLUE, BLUE],
      [BLUE, BLUE],
    ]);
    expect(mark.image.text).toBe(`${PNG}2`);
    expect(mark.triggers).toEqual(["change:image", "change:image"]);
  });

  it("hides the mark and forgets its picture on clear", async () => {
    const mark = new FakeImageMark();
    const model = rasterModel();
    const { painted, layer } = await start(model, { img: mark });
    model.fromKernel({
      raster_codes: new DataView(new ArrayBuffer(0)),
      raster_palette: new DataView(new ArrayBuffer(0)),
      raster_layout: { width: 0, height: 0, colors: 0, revision: 2 },
    });
    await flush();
    await layer.ready;
    expect(painted.length).toBe(1);
    expect(mark.get("visible")).toBe(false);
    expect(mark.image.text).toBe("");
    expect(mark.triggers).toEqual(["change:image", "change:image"]);
  });

  it("ignores a malformed layout with one warning and leaves the picture as it was", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const mark = new FakeImageMark();
    const model = rasterModel();
    const { painted, layer } = await start(model, { img: mark });
    for (let revision = 2; revision < 4; revision++) {
      model.fromKernel({
        raster_codes: byteView([1, 2, 1, 2, 1]), // 5 codes for 3 x 2
        raster_layout: { width: 3, height: 2, colors: 3, revision },
      });
      await flush();
      await layer.ready;
    }
    expect(painted.length).toBe(1);
    expect(mark.image.text).toBe(`${PNG}1`);
    expect(mark.triggers).toEqual(["change:image"]);
    expect(mark.get("visible")).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain("5 codes for a 3 x 2 raster");
  });

  it("refuses other malformed rasters without throwing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    for (const extra of [
      { raster_layout: { width: -1, height: 2 } },
      { raster_layout: "junk" },
      { raster_palette: byteView([1, 2, 3]) },
      { raster_codes: new DataView(new ArrayBuffer(0)) },
    ]) {
      const mark = new FakeImageMark();
      const { painted } = await start(rasterModel(extra), { img: mark });
      expect(painted.length).toBe(0);
      expect(mark.triggers).toEqual([]);
      expect(mark.get("visible")).toBe(false);
    }
    expect(warn).toHaveBeenCalledTimes(4);
  });

  it("moves to a new target: the old mark is hidden, the new one painted", async () => {
    const first = new FakeImageMark();
    const second = new FakeImageMark();
    const model = rasterModel();
    const { layer } = await start(model, { img: first, other: second });
    model.fromKernel({ raster_target: "IPY_MODEL_other", raster_layout: { width: 3, height: 2, revision: 2 } });
    await flush();
    await layer.ready;
    expect(first.get("visible")).toBe(false);
    expect(second.get("visible")).toBe(true);
    expect(second.image.text.startsWith(PNG)).toBe(true);
    model.fromKernel({ raster_target: null });
    await flush();
    await layer.ready;
    expect(second.get("visible")).toBe(false);
  });

  it("looks up an image model given as a reference", async () => {
    const image = new FakeImageModel();
    const mark = new FakeImageMark("IPY_MODEL_pic");
    const { resolved } = await start(rasterModel(), { img: mark, pic: image });
    expect(resolved).toEqual(["img", "pic"]);
    expect(image.get("format")).toBe("url");
    expect(mark.triggers).toEqual(["change:image"]);
  });

  it("warns once, and throws nothing, when there is no canvas or no target", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const mark = new FakeImageMark();
    await start(rasterModel(), { img: mark }, () => null);
    expect(mark.triggers).toEqual([]);
    expect(mark.get("visible")).toBe(false);
    const missing = new RasterLayer(rasterModel(), {
      encode: recorder().encode,
      resolve: () => Promise.reject(new Error("gone")),
    });
    await flush();
    await missing.ready;
    const model = rasterModel();
    const noManager = new RasterLayer(model, { encode: recorder().encode });
    await flush();
    await noManager.ready;
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
      "[jaxgrad_widgets] Player: cannot paint the raster: no canvas here",
      "[jaxgrad_widgets] Player: cannot find the raster target img",
      "[jaxgrad_widgets] Player: no widget manager to look up the raster target",
    ]);
  });

  it("does nothing without a raster target and stops listening when disposed", async () => {
    const model = new FakeModel();
    const { layer, painted, resolved } = await start(model, {});
    expect(painted.length).toBe(0);
    expect(resolved).toEqual([]);
    expect(model.listenerCount()).toBe(4);
    layer.dispose();
    layer.dispose();
    expect(model.listenerCount()).toBe(0);
  });
});

describe("the widget's initialize", () => {
  it("paints the raster through the widget manager and cleans up", async () => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue({
      createImageData: (w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4) }),
      putImageData: () => undefined,
    } as unknown as CanvasRenderingContext2D);
    vi.spyOn(HTMLCanvasElement.prototype, "toDataURL").mockReturnValue(`${PNG}QQ==`);
    const mark = new FakeImageMark();
    const model = rasterModel();
    model.widget_manager = { get_model: async () => mark };
    const cleanup = widget.initialize({ model: proxyOf(model) });
    await flush();
    await flush();
    expect(mark.image.text).toBe(`${PNG}QQ==`);
    expect(mark.triggers).toEqual(["change:image"]);
    expect(mark.get("visible")).toBe(true);
    cleanup();
    expect(model.listenerCount()).toBe(0);
  });
});
