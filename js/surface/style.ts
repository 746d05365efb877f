/**
 * The surface view's stylesheet, injected once per document. Colours follow
 * JupyterLab's theme variables, with fallbacks for a bare Voilà page.
 */

import { BG, BORDER, BRAND, FG, FG2, FONT } from "../theme";
import { CAP_DARK, CAP_LIGHT } from "./geometry";

export const SURFACE_STYLE_ID = "jgw-surface-style";


const rgb = (c: readonly number[]): string => `rgb(${c.map((v) => Math.round(v * 255)).join(", ")})`;

/** The hatch of a clipped cap, as CSS (the legend's swatch). */
export const CAP_HATCH = `repeating-linear-gradient(135deg, ${rgb(CAP_LIGHT)} 0 3px, ${rgb(CAP_DARK)} 3px 6px)`;

export const SURFACE_CSS = `
.jgw-surface {
  position: relative;
  width: 100%;
  min-width: 200px;
  box-sizing: border-box;
  overflow: hidden;
  color: ${FG};
  font-family: ${FONT};
  font-size: var(--jp-ui-font-size0, 11px);
  outline: none;
  touch-action: none;
  user-select: none;
  cursor: grab;
}
.jgw-surface.jgw-dragging { cursor: grabbing; }
.jgw-surface:focus-visible { box-shadow: inset 0 0 0 2px ${BRAND}; }
.jgw-surface canvas {
  display: block;
  width: 100%;
  height: 100%;
}
.jgw-surface-labels {
  position: absolute;
  inset: 0;
  pointer-events: none;
}
.jgw-surface-label {
  position: absolute;
  left: 0;
  top: 0;
  white-space: nowrap;
  font-variant-numeric: tabular-nums;
  color: ${FG2};
  text-shadow: 0 0 3px ${BG};
}
.jgw-surface-label.jgw-axis-title {
  color: ${FG};
  font-size: var(--jp-ui-font-size1, 13px);
}
.jgw-surface-legend {
  position: absolute;
  left: 8px;
  bottom: 6px;
  display: flex;
  flex-direction: column;
  gap: 3px;
  padding: 4px 6px;
  background: color-mix(in srgb, ${BG} 80%, transparent);
  border: 1px solid ${BORDER};
  border-radius: 3px;
  pointer-events: none;
}
.jgw-surface-legend .jgw-colorbar-row,
.jgw-surface-legend .jgw-clip-note {
  display: flex;
  align-items: center;
  gap: 5px;
  white-space: nowrap;
}
.jgw-surface-legend .jgw-colorbar {
  width: 90px;
  height: 8px;
  border: 1px solid ${BORDER};
}
.jgw-surface-legend .jgw-clip-swatch {
  width: 14px;
  height: 10px;
  border: 1px solid ${BORDER};
  background: ${CAP_HATCH};
}
.jgw-surface-legend .jgw-clip-note[hidden] { display: none; }
.jgw-surface-hint {
  position: absolute;
  right: 6px;
  top: 4px;
  color: ${FG2};
  opacity: 0.8;
  pointer-events: none;
}
.jgw-surface-fallback {
  display: flex;
  align-items: center;
  justify-content: center;
  box-sizing: border-box;
  width: 100%;
  min-height: 120px;
  padding: 16px;
  color: ${FG};
  background: var(--jp-layout-color2, #f3f3f3);
  border: 1px dashed ${BORDER};
  border-radius: 4px;
  font-family: ${FONT};
  font-size: var(--jp-ui-font-size1, 13px);
  text-align: center;
}
`;

/** Add the stylesheet to `doc` once. */
export function ensureSurfaceStyle(doc: Document | undefined = globalThis.document): void {
  if (!doc || doc.getElementById(SURFACE_STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = SURFACE_STYLE_ID;
  style.textContent = SURFACE_CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}
