import { afterEach, describe, expect, it, vi } from "vitest";

import { ConnectionWatch, dashboardOf, servedByVoila, showLost, type KernelLike } from "../../js/connection";
import watchModule from "../../js/watch";
import { FakeModel } from "./fakes";

type Slot = (sender: unknown, value: string) => void;

/** A kernel connection whose status the test sets, with a Lumino-like signal. */
class FakeKernel implements KernelLike {
  slots: Slot[] = [];
  statusChanged = {
    connect: (slot: Slot) => this.slots.push(slot),
    disconnect: (slot: Slot) => {
      this.slots = this.slots.filter((s) => s !== slot);
    },
  };
  constructor(public status = "idle") {}
  become(status: string): void {
    this.status = status;
    for (const slot of this.slots.slice()) slot(this, status);
  }
}

function modelWith(kernel?: FakeKernel): FakeModel {
  const model = new FakeModel();
  (model as unknown as { widget_manager: unknown }).widget_manager = { kernel, get_model: async () => null };
  return model;
}

/** A dashboard in the page: an outer root holding a control and a view's element. */
function dashboard(): { root: HTMLElement; control: HTMLElement; view: HTMLElement } {
  const root = document.createElement("div");
  root.className = "jgw-root";
  const control = document.createElement("input");
  const view = document.createElement("div");
  root.append(control, view);
  document.body.append(root);
  return { root, control, view };
}

function setPageConfig(appUrl: string | null): void {
  document.getElementById("jupyter-config-data")?.remove();
  if (appUrl === null) return;
  const config = document.createElement("script");
  config.id = "jupyter-config-data";
  config.type = "application/json";
  config.textContent = JSON.stringify({ appUrl, baseUrl: "/" });
  document.body.append(config);
}

afterEach(() => {
  document.body.innerHTML = "";
  vi.useRealTimers();
});

describe("ConnectionWatch", () => {
  it("covers the dashboard when the model's connection goes dead, and makes its controls inert", () => {
    const model = modelWith();
    const { root, control, view } = dashboard();
    const watch = new ConnectionWatch(model);
    watch.attach(view);
    expect(root.querySelector(".jgw-lost")).toBeNull();
    model.trigger("comm_live_update");
    expect(watch.lost).toBe(true);
    const overlay = root.querySelector<HTMLElement>(":scope > .jgw-lost")!;
    expect(overlay.getAttribute("role")).toBe("alert");
    expect(overlay.textContent).toContain("The computation behind this dashboard stopped.");
    expect(overlay.textContent).toContain("Run its cell again to start over.");
    expect(control.hasAttribute("inert")).toBe(true);
    expect(overlay.hasAttribute("inert")).toBe(false);
    expect(root.classList.contains("jgw-root-lost")).toBe(true);
  });

  it("reads the kernel's status: a restart or a death is lost, a busy kernel is not", () => {
    const kernel = new FakeKernel();
    const model = modelWith(kernel);
    const { root, view } = dashboard();
    new ConnectionWatch(model).attach(view);
    kernel.become("busy");
    kernel.become("idle");
    expect(root.querySelector(".jgw-lost")).toBeNull();
    kernel.become("autorestarting");
    expect(root.querySelectorAll(".jgw-lost")).toHaveLength(1);
    model.trigger("comm_live_update"); // the same loss: one overlay
    expect(root.querySelectorAll(".jgw-lost")).toHaveLength(1);
  });

  it("knows at once when the kernel is already dead, and covers views attached later", () => {
    const model = modelWith(new FakeKernel("dead"));
    const { root, view } = dashboard();
    const watch = new ConnectionWatch(model);
    expect(watch.lost).toBe(true);
    watch.attach(view);
    expect(root.querySelector(".jgw-lost")).not.toBeNull();
  });

  it("lets go of the model and the kernel when disposed", () => {
    const kernel = new FakeKernel();
    const model = modelWith(kernel);
    const { root, view } = dashboard();
    const watch = new ConnectionWatch(model);
    watch.attach(view);
    watch.dispose();
    expect(kernel.slots).toHaveLength(0);
    model.trigger("comm_live_update");
    kernel.become("dead");
    expect(root.querySelector(".jgw-lost")).toBeNull();
  });

  it("offers a reload in Voilà, where reloading starts a new kernel", () => {
    setPageConfig("voila/");
    expect(servedByVoila(document)).toBe(true);
    const { root, view } = dashboard();
    showLost(view);
    const reload = root.querySelector<HTMLButtonElement>(".jgw-lost-reload")!;
    expect(reload.textContent).toBe("Reload");
    expect(root.querySelector(".jgw-lost")!.textContent).toContain("Reload the page to start again.");
    setPageConfig("/lab");
    expect(servedByVoila(document)).toBe(false);
    setPageConfig(null);
    expect(servedByVoila(document)).toBe(false);
  });
});

describe("showLost", () => {
  it("covers the outermost dashboard once (a dashboard inside a formula box)", () => {
    const outer = document.createElement("div");
    outer.className = "jgw-root";
    const { root: inner, view } = dashboard();
    outer.append(inner);
    document.body.append(outer);
    expect(dashboardOf(view)).toBe(outer);
    showLost(view);
    showLost(inner);
    expect(document.querySelectorAll(".jgw-lost")).toHaveLength(1);
    expect(outer.querySelector(":scope > .jgw-lost")).not.toBeNull();
    expect(inner.hasAttribute("inert")).toBe(true);
  });

  it("waits for a view's element to enter the page", () => {
    vi.useFakeTimers();
    const root = document.createElement("div");
    root.className = "jgw-root";
    const view = document.createElement("div");
    root.append(view);
    showLost(view);
    expect(root.querySelector(".jgw-lost")).toBeNull();
    document.body.append(root);
    vi.advanceTimersByTime(150);
    expect(root.querySelector(":scope > .jgw-lost")).not.toBeNull();
  });

  it("covers an element outside any dashboard by itself", () => {
    const lone = document.createElement("div");
    document.body.append(lone);
    showLost(lone);
    expect(lone.querySelector(".jgw-lost")).not.toBeNull();
  });
});

describe("the KernelWatch module", () => {
  it("renders nothing visible and covers its dashboard when the kernel stops", () => {
    const model = modelWith();
    const { root, view } = dashboard();
    const cleanup = watchModule.render({ model, el: view });
    expect(view.style.display).toBe("none");
    model.trigger("comm_live_update");
    expect(root.querySelector(".jgw-lost")).not.toBeNull();
    cleanup();
  });
});
