/**
 * The WebGL check of the surface view and the message shown where it fails.
 */

export const FALLBACK_TEXT = "3-D view unavailable: this browser has no WebGL";

const CONTEXT_ATTRIBUTES: WebGLContextAttributes = {
  alpha: true,
  antialias: true,
  depth: true,
  stencil: false,
  premultipliedAlpha: true,
  preserveDrawingBuffer: false,
  powerPreference: "default",
};

/** A WebGL 2 context on a fresh canvas, or null (three.js needs WebGL 2). */
export function createContext(doc: Document): { canvas: HTMLCanvasElement; context: WebGL2RenderingContext } | null {
  const canvas = doc.createElement("canvas");
  let context: WebGL2RenderingContext | null = null;
  try {
    context = canvas.getContext("webgl2", CONTEXT_ATTRIBUTES) as WebGL2RenderingContext | null;
  } catch {
    context = null;
  }
  return context ? { canvas, context } : null;
}

/** The message shown instead of the view. */
export function renderFallback(el: HTMLElement, detail = ""): HTMLElement {
  const div = el.ownerDocument.createElement("div");
  div.className = "jgw-surface-fallback";
  div.dataset.testid = "jgw-surface-fallback";
  div.setAttribute("role", "note");
  div.textContent = FALLBACK_TEXT;
  if (detail) div.title = detail;
  el.appendChild(div);
  return div;
}

