/**
 * The anywidget module of SurfaceView (jaxgrad_widgets/widgets/surface.py),
 * bundled on its own (jaxgrad_widgets/static/surface.js) so the Player's bundle
 * stays small.
 *
 * Each view gets its own WebGL renderer. Where the browser has no WebGL 2 (or
 * three.js cannot use it) the view says so instead of showing a blank box.
 */

import type { ModelLike } from "../types";
import { createContext, renderFallback } from "./fallback";
import { SurfaceRenderer } from "./renderer";
import { ensureSurfaceStyle } from "./style";

interface RenderProps {
  model: ModelLike;
  el: HTMLElement;
  signal?: AbortSignal;
}

function render({ model, el, signal }: RenderProps): () => void {
  const doc = el.ownerDocument;
  ensureSurfaceStyle(doc);
  const gl = createContext(doc);
  let cleanup: () => void;
  if (!gl) {
    const note = renderFallback(el, "canvas.getContext('webgl2') returned nothing");
    cleanup = () => note.remove();
  } else {
    try {
      const view = new SurfaceRenderer(model, el, gl.canvas, gl.context);
      cleanup = () => view.dispose();
    } catch (error) {
      console.warn("[jaxgrad_widgets] SurfaceView: WebGL renderer failed", error);
      gl.context.getExtension("WEBGL_lose_context")?.loseContext();
      const note = renderFallback(el, String(error));
      cleanup = () => note.remove();
    }
  }
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    cleanup();
  };
  signal?.addEventListener("abort", once);
  return once;
}

// Only the default export (like the Player's module): anywidget reads named
// `render`/`initialize` exports as its deprecated API.
export default { render };
