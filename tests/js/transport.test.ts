import { afterEach, describe, expect, it, vi } from "vitest";

import { Animator } from "../../js/animator";
import widget from "../../js/index";
import { SPEEDS, renderTransport, type TransportElements } from "../../js/transport";
import { FakeMark, FakeModel, FakeScheduler, flush, packed, packedFamily, pathModel, proxyOf, startAnimator } from "./fakes";

interface View {
  model: FakeModel;
  path: FakeMark;
  scheduler: FakeScheduler;
  animator: Animator;
  el: HTMLElement;
  ui: TransportElements;
  cleanup: () => void;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  document.body.innerHTML = "";
});

/** A bar over an animator of `model`; `others` are more models by id (a family control). */
async function view(model: FakeModel = pathModel(), others: Record<string, unknown> = {}): Promise<View> {
  const path = new FakeMark();
  const point = new FakeMark();
  const { animator, scheduler } = await startAnimator(model, { path, point, ...others });
  const el = document.createElement("div");
  document.body.appendChild(el);
  const { elements: ui, cleanup } = renderTransport(model, el, animator);
  cleanups.push(cleanup, () => animator.dispose());
  return { model, path, scheduler, animator, el, ui, cleanup };
}

interface TwoViews {
  el1: HTMLElement;
  el2: HTMLElement;
  stop1: () => void;
  stop2: () => void;
  stopModel: () => void;
}

/**
 * Two views of one widget (the same widget shown by two cells), through the
 * widget's own initialize and render, with animation frames from `scheduler`.
 */
function twoViews(model: FakeModel, scheduler: FakeScheduler): TwoViews {
  vi.stubGlobal("requestAnimationFrame", (cb: FrameRequestCallback) => scheduler.request(cb));
  vi.stubGlobal("cancelAnimationFrame", (id: number) => scheduler.cancel(id));
  const stopModel = widget.initialize({ model: proxyOf(model) });
  const el1 = document.createElement("div");
  const el2 = document.createElement("div");
  document.body.append(el1, el2);
  const stop1 = widget.render({ model: proxyOf(model), el: el1 });
  const stop2 = widget.render({ model: proxyOf(model), el: el2 });
  cleanups.push(stop1, stop2, stopModel);
  return { el1, el2, stop1, stop2, stopModel };
}

function byTestId(el: HTMLElement, id: string): HTMLElement {
  const found = el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`no ${id}`);
  return found;
}

function key(target: HTMLElement, init: KeyboardEventInit): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(event);
  return event;
}

describe("the bar", () => {
  it("has every control with its test id, and a readout", async () => {
    const v = await view();
    for (const id of [
      "jgw-transport",
      "jgw-reset",
      "jgw-step-back",
      "jgw-play",
      "jgw-step",
      "jgw-scrubber",
      "jgw-frame-readout",
      "jgw-speed",
    ]) {
      expect(byTestId(v.el, id)).toBeTruthy();
    }
    const root = byTestId(v.el, "jgw-transport");
    expect(root.tabIndex).toBe(0);
    expect(root.classList.contains("jgw-transport")).toBe(true);
    expect(byTestId(v.el, "jgw-frame-readout").textContent).toBe("step 4 / 4");
    const scrubber = byTestId(v.el, "jgw-scrubber") as HTMLInputElement;
    expect(scrubber.type).toBe("range");
    expect(scrubber.min).toBe("0");
    expect(scrubber.max).toBe("4");
    expect(scrubber.value).toBe("4");
    const speed = byTestId(v.el, "jgw-speed") as HTMLSelectElement;
    expect(Array.from(speed.options).map((o) => Number(o.value))).toEqual([...SPEEDS]);
    expect(speed.value).toBe("60");
    expect(byTestId(v.el, "jgw-play").getAttribute("aria-pressed")).toBe("false");
    expect(root.dataset.playing).toBe("false");
  });

  it("uses frame_label and follows n_frames", async () => {
    const v = await view(pathModel({ frame_label: "epoch" }));
    expect(v.ui.readout.textContent).toBe("epoch 4 / 4");
    v.model.fromKernel({ frame_label: "iteration" });
    expect(v.ui.readout.textContent).toBe("iteration 4 / 4");
    v.model.fromKernel({ n_frames: 3, frame: 2 });
    await flush();
    expect(v.ui.scrubber.max).toBe("2");
    expect(v.ui.readout.textContent).toBe("iteration 2 / 2");
  });
});

describe("buttons", () => {
  it("play toggles to pause, moves the scrubber and counts drawn frames", async () => {
    const v = await view(pathModel({ frame: 0 }));
    v.ui.play.click();
    expect(v.ui.play.getAttribute("aria-pressed")).toBe("true");
    expect(v.ui.play.textContent).toContain("Pause");
    expect(v.ui.root.dataset.playing).toBe("true");
    expect(v.model.saves).toBe(1);
    expect(v.model.sent[0]).toEqual({ playing: true });

    v.scheduler.frame();
    v.scheduler.frames(2);
    expect(v.ui.scrubber.value).toBe("2");
    expect(v.ui.readout.textContent).toBe("step 2 / 4");
    expect(v.ui.root.dataset.framesDrawn).toBe("3");
    expect(v.model.saves).toBe(1);

    v.ui.play.click();
    expect(v.ui.play.getAttribute("aria-pressed")).toBe("false");
    expect(v.ui.play.textContent).toContain("Play");
    expect(v.model.saves).toBe(2);
    expect(v.model.sent[1]).toEqual({ frame: 2, playing: false });
  });

  it("playing to the end leaves the button on Play and sends one message", async () => {
    const v = await view(pathModel({ frame: 0 }));
    v.model.fromKernel({ playing: true });
    expect(v.ui.play.getAttribute("aria-pressed")).toBe("true");
    v.scheduler.frame();
    v.scheduler.frames(4);
    expect(v.ui.play.getAttribute("aria-pressed")).toBe("false");
    expect(v.ui.readout.textContent).toBe("step 4 / 4");
    expect(v.ui.root.dataset.framesDrawn).toBe("5");
    expect(v.model.saves).toBe(1);
  });

  it("step, step back and reset", async () => {
    const v = await view(pathModel({ frame: 2 }));
    v.ui.step.click();
    expect(v.ui.readout.textContent).toBe("step 3 / 4");
    expect(v.path.last!.x).toEqual([0, 1, 2, 3]);
    expect(v.model.get("frame")).toBe(3);
    v.ui.stepBack.click();
    v.ui.stepBack.click();
    expect(v.ui.scrubber.value).toBe("1");
    v.ui.reset.click();
    expect(v.model.get("frame")).toBe(0);
    expect(v.path.last!.x).toEqual([0]);
    expect(v.model.saves).toBe(4);
  });

  it("scrubbing writes marks live and sends the frame on release", async () => {
    const v = await view();
    v.ui.scrubber.value = "1";
    v.ui.scrubber.dispatchEvent(new Event("input", { bubbles: true }));
    expect(v.path.last!.x).toEqual([0, 1]);
    expect(v.ui.readout.textContent).toBe("step 1 / 4");
    v.ui.scrubber.value = "2";
    v.ui.scrubber.dispatchEvent(new Event("input", { bubbles: true }));
    expect(v.model.saves).toBe(0);
    v.ui.scrubber.dispatchEvent(new Event("change", { bubbles: true }));
    expect(v.model.saves).toBe(1);
    expect(v.model.sent[0]).toEqual({ frame: 2 });
  });

  it("scrubbing while playing pauses", async () => {
    const v = await view(pathModel({ frame: 0 }));
    v.ui.play.click();
    v.scheduler.frame();
    v.ui.scrubber.value = "3";
    v.ui.scrubber.dispatchEvent(new Event("input", { bubbles: true }));
    expect(v.animator.playing).toBe(false);
    expect(v.ui.play.getAttribute("aria-pressed")).toBe("false");
    expect(v.scheduler.pending).toBe(0);
    v.ui.scrubber.dispatchEvent(new Event("change", { bubbles: true }));
    expect(v.model.lastSent).toEqual({ frame: 3, playing: false });
  });

  it("speed: the select sets it, Python's value shows, odd values get an option", async () => {
    const v = await view();
    v.ui.speed.value = "240";
    v.ui.speed.dispatchEvent(new Event("change", { bubbles: true }));
    expect(v.model.get("speed")).toBe(240);
    expect(v.model.sent[0]).toEqual({ speed: 240 });
    v.model.fromKernel({ speed: 15 });
    expect(v.ui.speed.value).toBe("15");
    v.model.fromKernel({ speed: 1000 });
    expect(v.ui.speed.value).toBe("1000");
    expect(v.ui.speed.options.length).toBe(SPEEDS.length + 1);
    expect(v.ui.speed.options[v.ui.speed.options.length - 1].value).toBe("1000");
    v.model.fromKernel({ speed: 30 });
    expect(v.ui.speed.options.length).toBe(SPEEDS.length);
  });
});

describe("keyboard", () => {
  it("Space toggles play; arrows step; the notebook sees none of them", async () => {
    const v = await view(pathModel({ frame: 2 }));
    const outside = vi.fn();
    document.body.addEventListener("keydown", outside);
    try {
      const space = key(v.ui.root, { key: " ", code: "Space" });
      expect(space.defaultPrevented).toBe(true);
      expect(v.animator.playing).toBe(true);
      key(v.ui.play, { key: " ", code: "Space" });
      expect(v.animator.playing).toBe(false);

      const right = key(v.ui.root, { key: "ArrowRight" });
      expect(right.defaultPrevented).toBe(true);
      expect(v.ui.readout.textContent).toBe("step 3 / 4");
      key(v.ui.step, { key: "ArrowLeft" });
      key(v.ui.root, { key: "ArrowLeft" });
      expect(v.animator.frame).toBe(1);
      key(v.ui.root, { key: "End" });
      expect(v.animator.frame).toBe(4);
      key(v.ui.root, { key: "Home" });
      expect(v.animator.frame).toBe(0);
      expect(outside).not.toHaveBeenCalled();
    } finally {
      document.body.removeEventListener("keydown", outside);
    }
  });

  it("leaves arrows on the scrubber and the speed list to them, and a held Space toggles once", async () => {
    const v = await view(pathModel({ frame: 2 }));
    const onScrubber = key(v.ui.scrubber, { key: "ArrowRight" });
    expect(onScrubber.defaultPrevented).toBe(false);
    expect(v.animator.frame).toBe(2);
    const onSpeed = key(v.ui.speed, { key: "ArrowLeft" });
    expect(onSpeed.defaultPrevented).toBe(false);
    expect(v.animator.frame).toBe(2);
    key(v.ui.root, { key: " ", code: "Space", repeat: true });
    expect(v.animator.playing).toBe(false);
  });
});

describe("the family", () => {
  function familyModel(): FakeModel {
    return new FakeModel({
      targets: ["IPY_MODEL_path"],
      ...packed({ px: [[1, 3], [0, 1, 2]], py: [[1, 3], [0, 1, 2]] }),
      track_layout: [{ target: 0, kind: "prefix", x: "px", y: "py" }],
      track_values: {},
      n_frames: 3,
      frame: 2,
      run_key: 1,
      run_value: 0.5,
      family_control: "IPY_MODEL_lr",
      family_values: [0.25, 1],
      ...packedFamily({ py: [[2, 1, 3], [5, 6, 7, 8, 9, 10]] }),
      family_track_values: [{}, {}],
      family_key: 1,
    });
  }

  it("writes data-member and data-family-size, only when they change", async () => {
    const control = new FakeModel({ value: 0.5 });
    const { model, path, ui } = await view(familyModel(), { lr: control });
    expect(ui.root.dataset.member).toBe("-1");
    expect(ui.root.dataset.familySize).toBe("2");

    const changed: (string | null)[] = [];
    const observer = new MutationObserver((records) => changed.push(...records.map((r) => r.attributeName)));
    observer.observe(ui.root, { attributes: true, attributeFilter: ["data-member", "data-family-size"] });
    control.set("value", 1);
    await flush();
    expect(ui.root.dataset.member).toBe("1");
    expect(path.last!.y).toEqual([8, 9, 10]);
    ui.step.click();
    ui.stepBack.click();
    control.set("value", 1 + 1e-12);
    await flush();
    changed.push(...observer.takeRecords().map((r) => r.attributeName));
    expect(changed).toEqual(["data-member"]);

    model.fromKernel({ family_key: 2 });
    await flush();
    expect(ui.root.dataset.member).toBe("-1");
    expect(ui.root.dataset.familySize).toBe("0");
    observer.disconnect();
  });

  it("two views of one widget: one listener on the control", async () => {
    const model = familyModel();
    const control = new FakeModel({ value: 0.25 });
    const path = new FakeMark();
    model.widget_manager = { get_model: async (id: string) => (id === "lr" ? control : path) };
    const { el2, stopModel } = twoViews(model, new FakeScheduler());
    await flush();
    expect(control.listenerCount("change:value")).toBe(1);
    expect(byTestId(el2, "jgw-transport").dataset.member).toBe("0");
    expect(path.last!.y).toEqual([5, 6, 7]);
    stopModel();
    expect(control.listenerCount()).toBe(0);
  });
});

describe("views and cleanup", () => {
  it("cleanup removes the bar and every listener it added", async () => {
    const v = await view();
    const before = v.model.listenerCount();
    const withoutView = before - 3;
    v.cleanup();
    expect(v.el.querySelector(".jgw-transport")).toBeNull();
    expect(v.model.listenerCount()).toBe(withoutView);
    v.model.fromKernel({ frame_label: "x", speed: 5, n_frames: 2 });
    await flush();
    expect(v.ui.readout.textContent).toBe("step 4 / 4");
  });

  it("two views of one widget share one animator: marks are written once per frame", async () => {
    const model = pathModel({ frame: 0 });
    const path = new FakeMark();
    const point = new FakeMark();
    model.widget_manager = { get_model: async (id: string) => (id === "path" ? path : point) };
    const scheduler = new FakeScheduler();
    const { el1, el2, stop2, stopModel } = twoViews(model, scheduler);
    await flush();
    path.calls.length = 0;

    byTestId(el1, "jgw-play").click();
    expect(byTestId(el2, "jgw-play").getAttribute("aria-pressed")).toBe("true");
    scheduler.frame();
    scheduler.frames(2);
    expect(path.calls.length).toBe(2);
    expect(path.last!.x).toEqual([0, 1, 2]);
    expect(byTestId(el2, "jgw-frame-readout").textContent).toBe("step 2 / 4");
    expect(byTestId(el1, "jgw-transport").dataset.framesDrawn).toBe("3");
    expect(scheduler.pending).toBe(1);

    stop2();
    expect(el2.querySelector(".jgw-transport")).toBeNull();
    scheduler.frame();
    expect(byTestId(el1, "jgw-frame-readout").textContent).toBe("step 3 / 4");

    stopModel();
    expect(scheduler.pending).toBe(0);
  });
});
