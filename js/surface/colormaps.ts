/**
 * Perceptually uniform colour scales as small lookup tables (17 evenly spaced
 * sRGB stops, linearly interpolated), so the 3-D surface shades heights the
 * same way the 2-D map does (the map's scheme is palette.MAP_SCHEME, "viridis").
 */

const STOPS: Record<string, string> = {
  viridis:
    "440154 48186a 472d7b 424086 3b528b 33638d 2c728e 26828e 21918c 1fa088 28ae80 3fbc73 5ec962 84d44b addc30 d8e219 fde725",
  magma:
    "000004 0a0822 1d1147 36106b 51127c 6a1c81 832681 9c2e7f b73779 d0416f e75263 f56b5c fc8961 fea772 fec488 fde2a3 fcfdbf",
  inferno:
    "000004 0b0724 210c4a 3d0965 57106e 71196e 8a226a a32c61 bc3754 d24644 e45a31 f1731d f98e09 fcac11 f9cb35 f2ea69 fcffa4",
  plasma:
    "0d0887 310597 4c02a1 6600a7 7e03a8 9511a1 aa2395 bc3587 cc4778 da5a6a e66c5c f0804e f89540 fdac33 fdc527 f8df25 f0f921",
  cividis:
    "00224e 002e6a 1a386f 32436d 434e6c 535a6d 61656f 6f7073 7d7c78 8c8878 9b9476 aba072 bcae6c cdbb63 dec958 f0d846 fee838",
};

/** The names the surface understands (SurfaceView.colormap in Python lists the same). */
export const COLORMAP_NAMES: readonly string[] = Object.keys(STOPS);
export const DEFAULT_COLORMAP = "viridis";

/** Stops as [r, g, b] in [0, 1] (sRGB), flattened. */
export type Lut = Float32Array;

const TABLES = new Map<string, Lut>();

function parse(stops: string): Lut {
  const hexes = stops.trim().split(/\s+/);
  const out = new Float32Array(hexes.length * 3);
  hexes.forEach((hex, i) => {
    const v = parseInt(hex, 16);
    out[3 * i] = ((v >> 16) & 255) / 255;
    out[3 * i + 1] = ((v >> 8) & 255) / 255;
    out[3 * i + 2] = (v & 255) / 255;
  });
  return out;
}

/** The lookup table of `name` (viridis for an unknown name). */
export function lut(name: unknown): Lut {
  const key = typeof name === "string" && name in STOPS ? name : DEFAULT_COLORMAP;
  let table = TABLES.get(key);
  if (!table) {
    table = parse(STOPS[key]);
    TABLES.set(key, table);
  }
  return table;
}

/**
 * Write the colour at `t` (clamped to [0, 1]; NaN gives 0) into `out` at
 * `offset` as sRGB r, g, b in [0, 1].
 */
export function sample(table: Lut, t: number, out: Float32Array | number[], offset = 0): void {
  const stops = table.length / 3;
  const u = Number.isFinite(t) ? Math.min(Math.max(t, 0), 1) * (stops - 1) : 0;
  const i = Math.min(Math.floor(u), stops - 2);
  const f = u - i;
  for (let c = 0; c < 3; c++) {
    const a = table[3 * i + c];
    const b = table[3 * (i + 1) + c];
    out[offset + c] = a + (b - a) * f;
  }
}

/** A CSS linear-gradient (left to right) of the scale, for a colour bar. */
export function cssGradient(table: Lut): string {
  const stops = table.length / 3;
  const parts: string[] = [];
  for (let i = 0; i < stops; i++) {
    const rgb = [0, 1, 2].map((c) => Math.round(table[3 * i + c] * 255)).join(", ");
    parts.push(`rgb(${rgb}) ${((100 * i) / (stops - 1)).toFixed(2)}%`);
  }
  return `linear-gradient(to right, ${parts.join(", ")})`;
}
