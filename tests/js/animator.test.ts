import { afterEach, describe, expect, it, vi } from "vitest";

import { Animator, findAnimator } from "../../js/animator";
import widget from "../../js/index";
import type { TrackSpec } from "../../js/types";
import {
  FakeMark,
  FakeModel,
  FakeScheduler,
  flush,
  ModelMark,
  packed,
  pathModel,
  proxyOf,
  slowMark,
  startAnimator,
  wire,
  withDebugLog,
} from "./fakes";

// A little over 1/60 s, so float rounding never lands just under a whole frame.
const FRAME_MS = 17;

interface Setup {
  model: FakeModel;
  path: FakeMark;
  point: FakeMark;
  scheduler: FakeScheduler;
  animator: Animator;
  resolved: string[];
}

async function setup(model: FakeModel = pathModel()): Promise<Setup> {
  const path = new FakeMark();
  const point = new FakeMark();
  const { animator, scheduler, resolved } = await startAnimator(model, { path, point });
  return { model, path, point, scheduler, animator, resolved };
}

const live: Animator[] = [];
afterEach(() => {
  for (const a of live.splice(0)) a.dispose();
});

describe("targets and the first draw", () => {
  it("resolves IPY_MODEL_ references by id and draws the current frame once", async () => {
    const s = await setup();
    live.push(s.animator);
    expect(s.resolved).toEqual(["path", "point"]);
    expect(s.path.calls.length).toBe(1);
    expect(s.path.last!.x).toEqual([0, 1, 2, 3, 4]);
    expect(s.path.last!.y).toEqual([0, 10, 20, 30, 40]);
    expect(s.point.last!.x).toEqual([4]);
    expect(s.point.last!.y).toEqual([40]);
    expect(s.model.saves).toBe(0);
  });

  it("uses model.widget_manager.get_model by default", async () => {
    const model = pathModel();
    const path = new FakeMark();
    const point = new FakeMark();
    const asked: string[] = [];
    model.widget_manager = {
      get_model: async (id: string) => {
        asked.push(id);
        return id === "path" ? path : point;
      },
    };
    const animator = new Animator(model, { scheduler: new FakeScheduler() });
    live.push(animator);
    await animator.ready;
    await flush();
    expect(asked).toEqual(["path", "point"]);
    expect(path.last!.x).toEqual([0, 1, 2, 3, 4]);
  });

  it("survives a target that cannot be found", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const model = pathModel();
    const point = new FakeMark();
    const animator = new Animator(model, {
      scheduler: new FakeScheduler(),
      resolve: (id) => (id === "point" ? point : Promise.reject(new Error("gone"))),
    });
    live.push(animator);
    await animator.ready;
    await flush();
    expect(point.last!.x).toEqual([4]);
    expect(warn).toHaveBeenCalled();
  });
});

describe("playback", () => {
  it("plays from Python with one set of x and y per mark per frame and no kernel messages", async () => {
    const s = await setup(pathModel({ frame: 0 }));
    live.push(s.animator);
    s.path.calls.length = 0;
    s.point.calls.length = 0;

    s.model.fromKernel({ playing: true });
    expect(s.animator.playing).toBe(true);
    expect(s.scheduler.pending).toBe(1);

    s.scheduler.frame(); // first animation frame starts the clock
    expect(s.animator.frame).toBe(0);
    s.scheduler.frame(FRAME_MS);
    expect(s.animator.frame).toBe(1);
    expect(s.path.last!.x).toEqual([0, 1]);
    expect(s.point.last!.y).toEqual([10]);
    s.scheduler.frames(2, FRAME_MS);
    expect(s.animator.frame).toBe(3);
    expect(s.model.saves).toBe(0);
    expect(s.model.get("frame")).toBe(0);

    for (const call of [...s.path.calls, ...s.point.calls]) expect(call.keys).toEqual(["x", "y"]);
    expect(s.path.calls.length).toBe(3);
    expect(s.point.calls.length).toBe(3);
    // Every write is a fresh array, so bqplot's change detection fires.
    expect(s.path.calls[1].rawX).not.toBe(s.path.calls[2].rawX);

    s.scheduler.frame(FRAME_MS); // frame 4 = the last
    expect(s.animator.playing).toBe(false);
    expect(s.model.saves).toBe(1);
    expect(s.model.sent[0]).toEqual({ frame: 4, playing: false });
    expect(s.model.get("playing")).toBe(false);
    expect(s.path.last!.x).toEqual([0, 1, 2, 3, 4]);
    expect(s.scheduler.pending).toBe(0);
    expect(s.animator.framesDrawn).toBe(5);
  });

  it("advances by speed times elapsed time and skips unchanged frames", async () => {
    const model = pathModel({ frame: 0, n_frames: 5, speed: 30 });
    const s = await setup(model);
    live.push(s.animator);
    s.path.calls.length = 0;
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    s.scheduler.frame(FRAME_MS); // half a frame at 30 fps
    expect(s.animator.frame).toBe(0);
    expect(s.path.calls.length).toBe(0);
    s.scheduler.frame(FRAME_MS);
    expect(s.animator.frame).toBe(1);
    expect(s.path.calls.length).toBe(1);

    s.model.fromKernel({ speed: 120 });
    s.scheduler.frame(FRAME_MS);
    expect(s.animator.frame).toBe(3);
  });

  it("does not rewrite a mark whose track is past its valid length", async () => {
    const model = pathModel({ frame: 0 });
    model.attrs.tracks = [{ target: 0, kind: "prefix", x: "px", y: "py", row: 0, length: 2 }] as TrackSpec[];
    const s = await setup(model);
    live.push(s.animator);
    s.path.calls.length = 0;
    s.model.fromKernel({ playing: true });
    s.scheduler.frames(6, FRAME_MS);
    expect(s.animator.playing).toBe(false);
    // Frame 1 shows the whole valid path; frames 2..4 change nothing.
    expect(s.path.calls.length).toBe(1);
    expect(s.path.last!.x).toEqual([0, 1]);
  });

  it("restarts from 0 when asked to play on the last frame", async () => {
    const s = await setup();
    live.push(s.animator);
    s.model.fromKernel({ playing: true });
    expect(s.animator.frame).toBe(0);
    expect(s.path.last!.x).toEqual([0]);
  });

  it("loops without ending", async () => {
    const s = await setup(pathModel({ frame: 3, loop: true }));
    live.push(s.animator);
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    s.scheduler.frames(2, FRAME_MS);
    expect(s.animator.frame).toBe(0);
    expect(s.animator.playing).toBe(true);
    expect(s.model.saves).toBe(0);
  });

  it("handles a single frame: playback ends at once with one message", async () => {
    const s = await setup(pathModel({ n_frames: 1, frame: 0 }));
    live.push(s.animator);
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    expect(s.animator.playing).toBe(false);
    expect(s.model.saves).toBe(1);
    expect(s.model.sent[0]).toEqual({ playing: false });
    expect(s.path.last!.x).toEqual([0]);
  });

  it("stops when Python pauses and sends the frame back once", async () => {
    const s = await setup(pathModel({ frame: 0 }));
    live.push(s.animator);
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    s.scheduler.frames(2, FRAME_MS);
    s.model.fromKernel({ playing: false });
    expect(s.animator.playing).toBe(false);
    expect(s.scheduler.pending).toBe(0);
    expect(s.model.saves).toBe(1);
    expect(s.model.sent[0]).toEqual({ frame: 2 });
  });

  it("clamps a huge time step (a hidden tab) to maxTickMs", async () => {
    const model = pathModel({ frame: 0, n_frames: 5, speed: 10 });
    const s = await setup(model);
    live.push(s.animator);
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    s.scheduler.frame(60_000);
    expect(s.animator.frame).toBe(2); // 250 ms at 10 fps
  });
});

describe("actions from a view", () => {
  it("play sends playing once at the start and the frame once at the end", async () => {
    const s = await setup();
    live.push(s.animator);
    s.animator.play();
    expect(s.model.saves).toBe(1);
    expect(s.model.sent[0]).toEqual({ frame: 0, playing: true });
    s.scheduler.frame();
    s.scheduler.frames(3, FRAME_MS);
    expect(s.model.saves).toBe(1);
    s.scheduler.frame(FRAME_MS);
    expect(s.model.saves).toBe(2);
    expect(s.model.sent[1]).toEqual({ frame: 4, playing: false });
  });

  it("pause commits the frame", async () => {
    const s = await setup(pathModel({ frame: 0 }));
    live.push(s.animator);
    s.animator.toggle();
    s.scheduler.frame();
    s.scheduler.frame(FRAME_MS);
    s.animator.toggle();
    expect(s.animator.playing).toBe(false);
    expect(s.model.lastSent).toEqual({ frame: 1, playing: false });
    expect(s.model.saves).toBe(2);
  });

  it("step, step back and reset move one frame and commit it", async () => {
    const s = await setup(pathModel({ frame: 2 }));
    live.push(s.animator);
    s.animator.step(1);
    expect(s.animator.frame).toBe(3);
    expect(s.path.last!.x).toEqual([0, 1, 2, 3]);
    expect(s.model.lastSent).toEqual({ frame: 3 });
    s.animator.step(-1);
    s.animator.step(-1);
    expect(s.model.get("frame")).toBe(1);
    s.animator.reset();
    expect(s.model.get("frame")).toBe(0);
    expect(s.path.last!.x).toEqual([0]);
    expect(s.model.saves).toBe(4);
    s.animator.step(-1); // already at 0: nothing to send
    expect(s.model.saves).toBe(4);
  });

  it("step while playing stops there with one message", async () => {
    const s = await setup(pathModel({ frame: 0 }));
    live.push(s.animator);
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    s.scheduler.frame(FRAME_MS);
    s.animator.step(1);
    expect(s.animator.playing).toBe(false);
    expect(s.animator.frame).toBe(2);
    expect(s.model.saves).toBe(1);
    expect(s.model.sent[0]).toEqual({ frame: 2, playing: false });
  });

  it("scrubbing draws without messages and commits on release", async () => {
    const s = await setup();
    live.push(s.animator);
    s.animator.seek(1, false);
    s.animator.seek(2, false);
    expect(s.path.last!.x).toEqual([0, 1, 2]);
    expect(s.model.saves).toBe(0);
    expect(s.model.get("frame")).toBe(4);
    s.animator.seek(2, true);
    expect(s.model.saves).toBe(1);
    expect(s.model.sent[0]).toEqual({ frame: 2 });
  });

  it("setSpeed saves the speed and keeps the place", async () => {
    const s = await setup(pathModel({ frame: 0 }));
    live.push(s.animator);
    s.animator.setSpeed(120);
    expect(s.model.get("speed")).toBe(120);
    expect(s.model.sent[0]).toEqual({ speed: 120 });
    s.animator.setSpeed(-1);
    expect(s.model.saves).toBe(1);
  });
});

describe("changes from Python", () => {
  it("re-renders the current frame when buffers, tracks, revision or frame change", async () => {
    const s = await setup();
    live.push(s.animator);
    const before = s.path.calls.length;

    s.model.fromKernel({
      buffers: { px: wire([1, 5], [5, 6, 7, 8, 9]), py: wire([1, 5], [1, 1, 1, 1, 1]) },
      revision: 1,
    });
    await flush();
    expect(s.path.calls.length).toBe(before + 1); // one draw for the whole message
    expect(s.path.last!.x).toEqual([5, 6, 7, 8, 9]);

    s.model.fromKernel({ frame: 1 });
    await flush();
    expect(s.path.last!.x).toEqual([5, 6]);
    expect(s.model.saves).toBe(0);

    s.model.fromKernel({ tracks: [{ target: 0, kind: "vline", low: 0, high: 3 }] });
    await flush();
    expect(s.path.last!.x).toEqual([1, 1]);
    expect(s.path.last!.y).toEqual([0, 3]);

    const count = s.path.calls.length;
    s.model.fromKernel({ revision: 2 });
    await flush();
    expect(s.path.calls.length).toBe(count + 1);
  });

  it("reads the packed traits the Python Player sends, decoding once per message", async () => {
    const layout = [
      { target: 0, kind: "prefix", x: "px", y: "py", row: 0, length: { $: "length" } },
      { target: 1, kind: "vline", low: { $: "low" }, high: { $: "high" } },
    ];
    const model = new FakeModel({
      targets: ["IPY_MODEL_path", "IPY_MODEL_point"],
      ...packed({ px: [[1, 4], [0, 1, 2, 3]], py: [[1, 4], [5, 6, 7, 8]] }),
      track_layout: layout,
      track_values: { length: 3, low: 0, high: 2 },
      n_frames: 4,
      frame: 3,
    });
    const s = await setup(model);
    live.push(s.animator);
    expect(s.path.last!.x).toEqual([0, 1, 2]); // length 3 from the values
    expect(s.point.last!.y).toEqual([0, 2]);

    const before = s.path.calls.length;
    s.model.fromKernel({ ...packed({ px: [[1, 4], [9, 9, 9, 9]], py: [[1, 4], [1, 2, 3, 4]] }), revision: 1 });
    await flush();
    expect(s.path.calls.length).toBe(before + 1);
    expect(s.path.last!.y).toEqual([1, 2, 3]);

    s.model.fromKernel({ track_values: { length: 4, low: -1, high: 1 } }); // only the numbers change
    await flush();
    expect(s.path.last!.y).toEqual([1, 2, 3, 4]);
    expect(s.point.last!.y).toEqual([-1, 1]);

    s.model.fromKernel({ track_values: { length: null, high: 5 } }); // null and missing: absent
    await flush();
    expect(s.path.last!.y).toEqual([1, 2, 3, 4]); // no length: every frame
    expect(s.point.last!.y).toEqual([0, 5]); // vline's defaults: low 0
  });

  it("does not write a mark again while it still holds equal data", async () => {
    const [path, point, model] = [new ModelMark(), new ModelMark(), pathModel()];
    const { animator } = await startAnimator(model, { path, point });
    live.push(animator);
    expect(path.calls.length).toBe(1);

    // A new run where only the point's row changed: the path is left alone.
    model.fromKernel({ buffers: { px: wire([1, 5], [0, 1, 2, 3, 4]), py: wire([1, 5], [0, 10, 20, 30, 40]) }, revision: 1 });
    await flush();
    expect(path.calls.length).toBe(1);
    expect(point.calls.length).toBe(1);

    // Someone else wrote the mark: equal data is written again.
    path.attrs.x = new Float64Array([0]);
    model.fromKernel({ revision: 2 });
    await flush();
    expect(path.calls.length).toBe(2);
    model.fromKernel({ buffers: { px: wire([1, 5], [0, 1, 2, 3, 5]), py: wire([1, 5], [0, 10, 20, 30, 40]) } });
    await flush();
    expect(path.calls.length).toBe(3);
    expect(point.last!.x).toEqual([5]);
  });

  it("past its frame budget leaves the remaining marks to the next animation frame", async () => {
    let time = 0;
    const slow = (): FakeMark => slowMark(() => (time += 5)); // bqplot redrawing the mark
    const [path, point] = [slow(), slow()];
    const scheduler = new FakeScheduler();
    const model = pathModel();
    const animator = new Animator(model, {
      scheduler,
      resolve: (id) => (id === "path" ? path : point),
      frameBudgetMs: 4,
      clock: () => time,
    });
    live.push(animator);
    await animator.ready;
    await flush();
    const [paths, points] = [path.calls.length, point.calls.length];

    model.fromKernel({ buffers: { px: wire([1, 5], [5, 6, 7, 8, 9]), py: wire([1, 5], [1, 1, 1, 1, 1]) } });
    await flush();
    expect(path.calls.length).toBe(paths + 1); // the first target at once
    expect(point.calls.length).toBe(points); // the budget is spent
    expect(scheduler.pending).toBe(1);
    scheduler.frame();
    expect(point.calls.length).toBe(points + 1);
    expect(point.last!.x).toEqual([9]);
    expect(path.calls.length).toBe(paths + 1); // not written twice
    expect(scheduler.pending).toBe(0);
  });

  it("follows a new load while playing (frame set to the last frame)", async () => {
    const s = await setup(pathModel({ frame: 0 }));
    live.push(s.animator);
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    s.model.fromKernel({ n_frames: 3, frame: 2 });
    await flush();
    expect(s.animator.frame).toBe(2);
    expect(s.path.last!.x).toEqual([0, 1, 2]);
  });

  it("looks up new targets", async () => {
    const s = await setup();
    live.push(s.animator);
    s.model.fromKernel({ targets: ["IPY_MODEL_point", "IPY_MODEL_path"] });
    await s.animator.ready;
    await flush();
    // Target 0 is now the point mark: it gets the path.
    expect(s.point.last!.x).toEqual([0, 1, 2, 3, 4]);
    expect(s.path.last!.x).toEqual([4]);
  });
});

describe("a multi-line mark", () => {
  /** Two starts in one Lines mark (the paths) and their loss curves shown whole. */
  function linesModel(extra: Record<string, unknown> = {}): FakeModel {
    return new FakeModel({
      targets: ["IPY_MODEL_path", "IPY_MODEL_point"],
      ...packed({
        px: [[2, 4], [0, 1, 2, 3, 10, 11, 12, 13]],
        py: [[2, 4], [0, 1, 4, 9, 5, 6, 7, 8]],
        steps: [[1, 4], "arange"],
      }),
      track_layout: [
        { target: 0, kind: "lines", x: "px", y: "py", lengths: { $: "lengths" } },
        { target: 1, kind: "lines", x: "steps", y: "py", lengths: { $: "lengths" }, whole: true },
      ],
      track_values: { lengths: [4, 2] },
      n_frames: 4,
      frame: 3,
      ...extra,
    });
  }

  it("writes {x, y} as plain Arrays of Float64Array, one per line", async () => {
    const s = await setup(linesModel());
    live.push(s.animator);
    expect(s.path.calls.length).toBe(1);
    const call = s.path.last!;
    expect(call.keys).toEqual(["x", "y"]);
    expect(Array.isArray(call.rawX)).toBe(true);
    expect((call.rawX as unknown[])[0]).toBeInstanceOf(Float64Array);
    expect(call.xs).toEqual([
      [0, 1, 2, 3],
      [10, 11],
    ]);
    expect(call.ys).toEqual([
      [0, 1, 4, 9],
      [5, 6],
    ]);
    expect(s.point.last!.xs).toEqual([
      [0, 1, 2, 3],
      [0, 1],
    ]);
  });

  it("rewrites during playback only when a line changes, and never a whole curve", async () => {
    const s = await setup(linesModel({ frame: 0 }));
    live.push(s.animator);
    expect(s.path.last!.xs).toEqual([[0], [10]]);
    const [paths, curves] = [s.path.calls.length, s.point.calls.length];
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    s.scheduler.frames(3, FRAME_MS);
    expect(s.animator.playing).toBe(false);
    // Frames 1, 2, 3 change row 0; row 1 stops at frame 1. The loss curves never change.
    expect(s.path.calls.length).toBe(paths + 3);
    expect(s.path.calls.map((c) => c.xs![1].length)).toEqual([1, 2, 2, 2]);
    expect(s.point.calls.length).toBe(curves);
    // Every write is a fresh outer Array.
    expect(s.path.calls[1].rawX).not.toBe(s.path.calls[2].rawX);
  });

  it("does not write equal lines again, comparing row by row", async () => {
    const [path, point, model] = [new ModelMark(), new ModelMark(), linesModel()];
    const { animator } = await startAnimator(model, { path, point });
    live.push(animator);
    expect(path.calls.length).toBe(1);

    // A new run, equal where it is drawn (row 1 differs past its length only).
    model.fromKernel({
      ...packed({
        px: [[2, 4], [0, 1, 2, 3, 10, 11, 99, 99]],
        py: [[2, 4], [0, 1, 4, 9, 5, 6, 99, 99]],
        steps: [[1, 4], "arange"],
      }),
      revision: 1,
    });
    await flush();
    expect(path.calls.length).toBe(1);

    model.fromKernel({ track_values: { lengths: [4, 3] } }); // row 1 grows
    await flush();
    expect(path.calls.length).toBe(2);
    expect(path.last!.xs).toEqual([
      [0, 1, 2, 3],
      [10, 11, 99],
    ]);
  });

  it("logs the points of every line in the debug log", async () => {
    await withDebugLog(async (log) => {
      const s = await setup(linesModel());
      live.push(s.animator);
      const marks = log.filter((e) => e.event === "mark");
      expect(marks.find((e) => e.target === 0)!.points).toBe(6);
      expect(marks.find((e) => e.target === 1)!.points).toBe(6);
    });
  });

  it("leaves a mark alone while it has no finite point", async () => {
    const model = linesModel({
      ...packed({ px: [[1, 2], [Number.NaN, Number.NaN]], py: [[1, 2], [1, 2]], steps: [[1, 2], "arange"] }),
      track_values: { lengths: [2] },
      n_frames: 2,
      frame: 1,
    });
    const s = await setup(model);
    live.push(s.animator);
    expect(s.path.calls.length).toBe(0);
    expect(s.point.last!.xs).toEqual([[0, 1]]);
  });
});

describe("cleanup", () => {
  it("dispose cancels the animation frame and removes every model listener", async () => {
    const s = await setup(pathModel({ frame: 0 }));
    expect(s.model.listenerCount()).toBeGreaterThan(0);
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    const writes = s.path.calls.length;
    s.animator.dispose();
    expect(s.model.listenerCount()).toBe(0);
    expect(s.scheduler.cancelled.length).toBe(1);
    expect(s.scheduler.pending).toBe(0);
    s.model.fromKernel({ frame: 3, revision: 9 });
    await flush();
    expect(s.path.calls.length).toBe(writes);
    expect(s.model.saves).toBe(0);
    expect(findAnimator(s.model)).toBeUndefined();
    s.animator.dispose();
  });

  it("a model 'destroy' event disposes", async () => {
    const s = await setup();
    s.model.trigger("destroy");
    expect(s.animator.isDisposed).toBe(true);
    expect(s.model.listenerCount()).toBe(0);
  });

  it("does not write marks that resolve after dispose", async () => {
    const model = pathModel();
    const mark = new FakeMark();
    const releases: ((m: FakeMark) => void)[] = [];
    const animator = new Animator(model, {
      scheduler: new FakeScheduler(),
      resolve: () => new Promise((resolve) => releases.push(resolve)),
    });
    await flush();
    expect(releases.length).toBe(2);
    animator.dispose();
    for (const release of releases) release(mark);
    await flush();
    expect(mark.calls.length).toBe(0);
  });

  it("initialize returns a cleanup that cancels requestAnimationFrame and removes listeners", async () => {
    let nextId = 1;
    const queued = new Map<number, FrameRequestCallback>();
    const raf = vi.fn((cb: FrameRequestCallback) => {
      queued.set(nextId, cb);
      return nextId++;
    });
    const caf = vi.fn((id: number) => {
      queued.delete(id);
    });
    vi.stubGlobal("requestAnimationFrame", raf);
    vi.stubGlobal("cancelAnimationFrame", caf);

    const model = pathModel({ frame: 0 });
    const path = new FakeMark();
    model.widget_manager = { get_model: async () => path };
    const proxy = proxyOf(model);
    const controller = new AbortController();
    const cleanup = widget.initialize({ model: proxy, signal: controller.signal });
    expect(document.getElementById("jgw-style")).not.toBeNull();
    expect(findAnimator(proxyOf(model))).toBeDefined();

    model.fromKernel({ playing: true });
    expect(raf).toHaveBeenCalledTimes(1);
    const [id, callback] = Array.from(queued.entries())[0];
    callback(0);
    expect(raf).toHaveBeenCalledTimes(2);

    cleanup();
    expect(caf).toHaveBeenCalledWith(id + 1);
    expect(proxy.listenerCount()).toBe(0);
    expect(model.listenerCount()).toBe(0);
    expect(findAnimator(proxyOf(model))).toBeUndefined();
    controller.abort(); // a second cleanup through the signal is harmless
    expect(model.saves).toBe(0);
  });
});
