/**
 * The anywidget module of KernelWatch (jaxgrad_widgets/widgets/watch.py): an
 * invisible part of a dashboard without a Player that covers the dashboard should
 * the kernel behind it stop (js/connection.ts).
 */

import { ConnectionWatch } from "./connection";
import { ensureStyle } from "./theme";
import type { ModelLike } from "./types";

interface RenderProps {
  model: ModelLike;
  el: HTMLElement;
  signal?: AbortSignal;
}

function render({ model, el, signal }: RenderProps): () => void {
  ensureStyle(el.ownerDocument);
  el.style.display = "none";
  const watch = new ConnectionWatch(model);
  watch.attach(el);
  const cleanup = (): void => watch.dispose();
  signal?.addEventListener("abort", cleanup);
  return cleanup;
}

export default { render };
