/**
 * When the computation behind a dashboard stops, the dashboard says so.
 *
 * A dashboard's controls answer through its Python kernel. When that kernel dies
 * (or is restarted: a new kernel knows nothing of the dashboard), the widgets stay
 * on the page but nothing they send is heard. `ConnectionWatch` notices, from the
 * two signals a host gives: the widget model's `comm_live_update` event (Jupyter
 * widgets' managers mark every model's connection dead when the kernel restarts or
 * dies) and, where the host exposes it, the kernel's own status ("dead",
 * "restarting", "autorestarting"). It then covers every dashboard it was attached
 * to with an overlay that says what happened and how to start again (reload the
 * page in Voilà, run the cell again in a notebook) and makes the controls under it
 * inert: they no longer pretend to work.
 */

import type { ModelLike } from "./types";

/** Kernel states after which the dashboard's widgets are gone. */
export const LOST_STATES: ReadonlySet<string> = new Set(["dead", "restarting", "autorestarting"]);

/** The class of a dashboard's outermost box (the Python side adds it). */
export const ROOT_CLASS = "jgw-root";
export const OVERLAY_CLASS = "jgw-lost";

type Slot<T> = (sender: unknown, value: T) => void;

interface SignalLike<T> {
  connect(slot: Slot<T>): unknown;
  disconnect(slot: Slot<T>): unknown;
}

/** The part of a Jupyter kernel connection the watch reads (Lab, Notebook 7, Voilà). */
export interface KernelLike {
  status?: string;
  statusChanged?: SignalLike<string>;
}

function kernelOf(model: ModelLike): KernelLike | null {
  const manager = (model as { widget_manager?: { kernel?: unknown } }).widget_manager;
  const kernel = manager?.kernel as KernelLike | null | undefined;
  return kernel && typeof kernel === "object" ? kernel : null;
}

/** Whether the page is a Voilà dashboard (there, reloading starts a new kernel). */
export function servedByVoila(doc: Document): boolean {
  const config = doc.getElementById("jupyter-config-data");
  if (!config?.textContent) return false;
  try {
    const appUrl = (JSON.parse(config.textContent) as { appUrl?: unknown }).appUrl;
    return typeof appUrl === "string" && /^\/?voila/.test(appUrl);
  } catch {
    return false;
  }
}

/** The outermost dashboard box around `el`, or null when `el` is not in one. */
export function dashboardOf(el: HTMLElement): HTMLElement | null {
  let root = el.closest<HTMLElement>(`.${ROOT_CLASS}`);
  for (let up = root?.parentElement?.closest<HTMLElement>(`.${ROOT_CLASS}`); up; ) {
    root = up;
    up = up.parentElement?.closest<HTMLElement>(`.${ROOT_CLASS}`);
  }
  return root;
}

/** How long a view's element may take to enter the page before it is covered alone. */
const CONNECT_TRIES = 50;
const CONNECT_WAIT_MS = 100;

/**
 * Cover the dashboard around `el` (or `el` itself outside one) with the overlay,
 * once, and make everything else in it inert. An element not in the page yet (a
 * view being rendered) is covered once it is, or alone after about 5 s.
 */
export function showLost(el: HTMLElement, tries = CONNECT_TRIES): void {
  if (!el.isConnected && tries > 0) {
    setTimeout(() => showLost(el, tries - 1), CONNECT_WAIT_MS);
    return;
  }
  const root = dashboardOf(el) ?? el;
  if (root.querySelector(`:scope > .${OVERLAY_CLASS}`)) return;
  const doc = root.ownerDocument;
  for (const child of Array.from(root.children)) child.setAttribute("inert", "");
  const overlay = doc.createElement("div");
  overlay.className = OVERLAY_CLASS;
  overlay.setAttribute("role", "alert");
  overlay.dataset.testid = "jgw-lost";
  const box = doc.createElement("div");
  box.className = "jgw-lost-box";
  const title = doc.createElement("strong");
  title.textContent = "The computation behind this dashboard stopped.";
  const why = doc.createElement("p");
  why.textContent = "Its Python kernel died or was restarted, so its controls no longer answer.";
  box.append(title, why);
  if (servedByVoila(doc)) {
    const again = doc.createElement("p");
    again.textContent = "Reload the page to start again.";
    const reload = doc.createElement("button");
    reload.type = "button";
    reload.className = "jgw-lost-reload";
    reload.textContent = "Reload";
    reload.addEventListener("click", () => doc.defaultView?.location.reload());
    box.append(again, reload);
  } else {
    const again = doc.createElement("p");
    again.textContent = "Run its cell again to start over.";
    box.append(again);
  }
  overlay.append(box);
  root.classList.add("jgw-root-lost");
  root.append(overlay);
}

/**
 * Watches the kernel behind one widget model; the dashboards of the elements
 * attached to it get the overlay when it is gone (at once for an element attached
 * after that).
 */
export class ConnectionWatch {
  private gone = false;
  private readonly elements = new Set<HTMLElement>();
  private readonly kernel: KernelLike | null;
  private readonly onCommLive = (): void => this.lose();
  private readonly onStatus: Slot<string> = (_sender, status) => {
    if (LOST_STATES.has(status)) this.lose();
  };

  constructor(private readonly model: ModelLike) {
    // After the model is made, its connection's state only ever changes to dead.
    model.on("comm_live_update", this.onCommLive);
    this.kernel = kernelOf(model);
    this.kernel?.statusChanged?.connect(this.onStatus);
    if (this.kernel?.status !== undefined && LOST_STATES.has(this.kernel.status)) this.lose();
  }

  /** Whether the computation is gone. */
  get lost(): boolean {
    return this.gone;
  }

  /** A view's element; returns the function that detaches it. */
  attach(el: HTMLElement): () => void {
    this.elements.add(el);
    if (this.gone) showLost(el);
    return () => {
      this.elements.delete(el);
    };
  }

  dispose(): void {
    this.model.off("comm_live_update", this.onCommLive);
    this.kernel?.statusChanged?.disconnect(this.onStatus);
    this.elements.clear();
  }

  private lose(): void {
    if (this.gone) return;
    this.gone = true;
    for (const el of this.elements) showLost(el);
  }
}
