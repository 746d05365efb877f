/**
 * The anywidget module of the Player (jaxgrad_widgets/widgets/player.py).
 *
 * `initialize` runs once per widget model and owns playback (one animator per
 * model, so two views of one widget do not both drive the marks) and the raster
 * (js/raster.ts); `render` runs once per view and draws that view's transport bar,
 * and covers its dashboard should the kernel behind it stop (js/connection.ts).
 */

import { Animator, findAnimator, type AnimatorOptions } from "./animator";
import { ConnectionWatch } from "./connection";
import { RasterLayer } from "./raster";
import { ensureStyle } from "./theme";
import { renderTransport } from "./transport";
import type { ModelLike } from "./types";

interface InitializeProps {
  model: ModelLike;
  signal?: AbortSignal;
}

interface RenderProps {
  model: ModelLike;
  el: HTMLElement;
  signal?: AbortSignal;
}

/** Stops `cleanup` from running twice when both a signal and anywidget call it. */
function once(cleanup: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    cleanup();
  };
}

function initialize({ model, signal }: InitializeProps, options: AnimatorOptions = {}): () => void {
  if (typeof document !== "undefined") ensureStyle(document);
  const animator = new Animator(model, options);
  const raster = new RasterLayer(model, { resolve: options.resolve });
  const cleanup = once(() => {
    animator.dispose();
    raster.dispose();
  });
  signal?.addEventListener("abort", cleanup);
  return cleanup;
}

function render({ model, el, signal }: RenderProps): () => void {
  ensureStyle(el.ownerDocument);
  // The model's animator comes from `initialize`. Should a host skip it, this
  // view makes its own and ends it with the view.
  let own: Animator | undefined;
  let animator = findAnimator(model);
  if (!animator) {
    console.warn("[jaxgrad_widgets] Player: no animator from initialize; this view makes its own");
    own = new Animator(model);
    animator = own;
  }
  const { cleanup: removeBar } = renderTransport(model, el, animator);
  const watch = new ConnectionWatch(model);
  watch.attach(el);
  const cleanup = once(() => {
    removeBar();
    watch.dispose();
    own?.dispose();
  });
  signal?.addEventListener("abort", cleanup);
  return cleanup;
}

// Only the default export: anywidget treats a module-level `render` export as the
// deprecated API and would then skip `initialize`.
export default { initialize, render };
