/**
 * Families: the run at other values of one control (the learning-rate slider),
 * drawn in the browser as soon as the control moves, with no kernel round trip.
 */

import { afterEach, describe, expect, it } from "vitest";

import type { Animator } from "../../js/animator";
import { FakeMark, FakeModel, FakeScheduler, flush, packed, packedFamily, slowMark, startAnimator, withDebugLog } from "./fakes";

const FRAME_MS = 17;
const STEPS = [0, 1, 2, 3, 4];

/** The run's y: row r is 10 r + i. A member's: 100 (m + 1) + 10 r + i. */
const runY = (r: number): number[] => STEPS.map((i) => 10 * r + i);
const memberY = (m: number, r: number): number[] => STEPS.map((i) => 100 * (m + 1) + 10 * r + i);

function familyModel(extra: Record<string, unknown> = {}): FakeModel {
  // A track layout as Python sends it: slot references, resolved in the browser.
  const tracks = [
    { target: 0, kind: "lines", x: "px", y: "py", lengths: { $: "lengths" } },
    { target: 1, kind: "points", x: "px", y: "py", lengths: { $: "lengths" } },
    { target: 2, kind: "vline", low: { $: "low" }, high: { $: "high" } },
  ];
  return new FakeModel({
    targets: ["IPY_MODEL_paths", "IPY_MODEL_marker", "IPY_MODEL_loss"],
    ...packed({ px: [[1, 5], STEPS], py: [[2, 5], [...runY(0), ...runY(1)]] }),
    track_layout: tracks,
    track_values: { lengths: [5, 5], low: 0, high: 1 },
    n_frames: 5,
    frame: 4,
    run_key: 7,
    run_value: 0.15,
    family_control: "IPY_MODEL_lr",
    family_values: [0.1, 0.2, 0.3],
    ...packedFamily({ py: [[3, 2, 5], [0, 1, 2].flatMap((m) => [...memberY(m, 0), ...memberY(m, 1)])] }),
    family_track_values: [{}, { lengths: [3, 5], high: 2 }, {}],
    family_key: 7,
    ...extra,
  });
}

interface Setup {
  model: FakeModel;
  control: FakeModel;
  paths: FakeMark;
  marker: FakeMark;
  loss: FakeMark;
  scheduler: FakeScheduler;
  animator: Animator;
  resolved: string[];
  models: Record<string, unknown>;
}

const live: Animator[] = [];
afterEach(() => {
  for (const a of live.splice(0)) a.dispose();
});

async function setup(model: FakeModel = familyModel(), value = 0.15): Promise<Setup> {
  const control = new FakeModel({ value });
  const [paths, marker, loss] = [new FakeMark(), new FakeMark(), new FakeMark()];
  const models: Record<string, unknown> = { paths, marker, loss, lr: control };
  const { animator, scheduler, resolved } = await startAnimator(model, models);
  live.push(animator);
  return { model, control, paths, marker, loss, scheduler, animator, resolved, models };
}

/** What the browser does when the slider moves: the control's own model changes. */
function move(s: Setup, value: number): void {
  s.control.set("value", value);
}

function modelWrites(model: FakeModel): number {
  return model.log.filter((e) => e.type !== "kernel").length;
}

describe("choosing what to show", () => {
  it("shows the run while the control is at run_value, found through the resolver", async () => {
    const s = await setup();
    expect(s.resolved).toContain("lr");
    expect(s.animator.member).toBe(-1);
    expect(s.animator.familySize).toBe(3);
    expect(s.paths.last!.ys).toEqual([runY(0), runY(1)]);
  });

  it("draws the member at the control's value within a microtask, sending nothing", async () => {
    const s = await setup();
    const before = s.paths.calls.length;
    move(s, 0.2);
    await Promise.resolve(); // one microtask: no animation frame, no kernel
    expect(s.paths.calls.length).toBe(before + 1);
    expect(s.animator.member).toBe(1);
    // Member 1's buffers and values: row 0 only 3 frames long.
    expect(s.paths.last!.ys).toEqual([memberY(1, 0).slice(0, 3), memberY(1, 1)]);
    expect(s.marker.last!.y).toEqual([memberY(1, 0)[2], memberY(1, 1)[4]]);
    expect(s.scheduler.pending).toBe(0);
    expect(s.model.saves).toBe(0);
    expect(modelWrites(s.model)).toBe(0);
    expect(s.control.saves).toBe(0);
  });

  it("merges a member's values over the run's", async () => {
    const s = await setup();
    move(s, 0.2);
    await flush();
    expect(s.loss.last!.y).toEqual([0, 2]); // low from the run, high from member 1
    move(s, 0.1); // member 0 has no values of its own
    await flush();
    expect(s.animator.member).toBe(0);
    expect(s.paths.last!.ys).toEqual([memberY(0, 0), memberY(0, 1)]);
    expect(s.loss.last!.y).toEqual([0, 1]);
  });

  it("matches values within a relative 1e-9, and falls back to the run off the family", async () => {
    const s = await setup();
    move(s, 0.2 * (1 + 1e-12));
    await flush();
    expect(s.animator.member).toBe(1);
    move(s, 0.25);
    await flush();
    expect(s.animator.member).toBe(-1);
    expect(s.paths.last!.ys).toEqual([runY(0), runY(1)]);
    move(s, 0.3 * (1 + 1e-6));
    await flush();
    expect(s.animator.member).toBe(-1);
    move(s, 0.3);
    await flush();
    expect(s.animator.member).toBe(2);
  });

  it("shows the run when the value is run_value, even if a member has it too", async () => {
    const s = await setup(familyModel({ family_values: [0.1, 0.15, 0.2] }), 0.15);
    expect(s.animator.member).toBe(-1);
    expect(s.paths.last!.ys).toEqual([runY(0), runY(1)]);
    s.model.fromKernel({ run_value: null }); // no value for the run: the member is it
    await flush();
    expect(s.animator.member).toBe(1);
  });

  it("ignores a family whose key is not the run's, until it is", async () => {
    const s = await setup(familyModel({ family_key: 6 }), 0.2);
    expect(s.animator.familySize).toBe(0);
    expect(s.animator.member).toBe(-1);
    expect(s.paths.last!.ys).toEqual([runY(0), runY(1)]);
    s.model.fromKernel({ family_key: 7 });
    await flush();
    expect(s.animator.familySize).toBe(3);
    expect(s.animator.member).toBe(1);
    s.model.fromKernel({ run_key: 8 }); // a run for other inputs
    await flush();
    expect(s.animator.member).toBe(-1);
    expect(s.animator.familySize).toBe(0);
  });

  it("ignores an empty family", async () => {
    const s = await setup(familyModel({ family_values: [] }), 0.2);
    expect(s.animator.familySize).toBe(0);
    expect(s.animator.member).toBe(-1);
  });
});

describe("switching keeps the frame", () => {
  it("paused in the middle: the member is drawn at the same frame", async () => {
    const s = await setup(familyModel({ frame: 2 }));
    expect(s.paths.last!.xs).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    move(s, 0.1);
    await flush();
    expect(s.animator.frame).toBe(2);
    expect(s.paths.last!.ys).toEqual([memberY(0, 0).slice(0, 3), memberY(0, 1).slice(0, 3)]);
    expect(s.marker.last!.y).toEqual([memberY(0, 0)[2], memberY(0, 1)[2]]);
    expect(s.model.get("frame")).toBe(2);
    expect(s.model.saves).toBe(0);
  });

  it("while playing: playback goes on from the frame it was at, with the member's data", async () => {
    const s = await setup(familyModel({ frame: 0 }));
    s.model.fromKernel({ playing: true });
    s.scheduler.frame();
    s.scheduler.frames(2, FRAME_MS);
    expect(s.animator.frame).toBe(2);
    move(s, 0.3);
    await flush();
    expect(s.animator.playing).toBe(true);
    expect(s.animator.frame).toBe(2);
    expect(s.paths.last!.ys).toEqual([memberY(2, 0).slice(0, 3), memberY(2, 1).slice(0, 3)]);
    s.scheduler.frame(FRAME_MS);
    expect(s.animator.frame).toBe(3);
    expect(s.paths.last!.ys).toEqual([memberY(2, 0).slice(0, 4), memberY(2, 1).slice(0, 4)]);
    s.scheduler.frame(FRAME_MS);
    expect(s.animator.playing).toBe(false);
    expect(s.model.saves).toBe(1); // the end of playback, as always
    expect(s.model.sent[0]).toEqual({ frame: 4, playing: false });
  });
});

describe("changes from the kernel", () => {
  it("a new family re-evaluates and redraws the member shown", async () => {
    const s = await setup();
    move(s, 0.2);
    await flush();
    const before = s.paths.calls.length;
    const ys = [0, 1, 2].flatMap((m) => [...memberY(m + 5, 0), ...memberY(m + 5, 1)]);
    s.model.fromKernel({ ...packedFamily({ py: [[3, 2, 5], ys] }), family_track_values: [{}, {}, {}] });
    await flush();
    expect(s.paths.calls.length).toBe(before + 1);
    expect(s.animator.member).toBe(1);
    expect(s.paths.last!.ys).toEqual([memberY(6, 0), memberY(6, 1)]);
  });

  it("a family arriving at the control's value is drawn at once", async () => {
    const s = await setup(familyModel({ family_values: [], family_key: -1 }), 0.3);
    expect(s.animator.member).toBe(-1);
    s.model.fromKernel({ family_values: [0.1, 0.2, 0.3], family_key: 7 });
    await flush();
    expect(s.animator.member).toBe(2);
    expect(s.paths.last!.ys).toEqual([memberY(2, 0), memberY(2, 1)]);
  });

  it("a new family while the run is shown writes nothing", async () => {
    const s = await setup();
    const before = s.paths.calls.length;
    s.model.fromKernel(packedFamily({ py: [[1, 2, 5], [...memberY(0, 0), ...memberY(0, 1)]] }));
    await flush();
    expect(s.paths.calls.length).toBe(before);
  });

  it("the kernel's answer (a new run at the control's value) replaces the member", async () => {
    const s = await setup();
    move(s, 0.2);
    await flush();
    expect(s.animator.member).toBe(1);
    const answer = [...memberY(9, 0), ...memberY(9, 1)];
    s.model.fromKernel({ ...packed({ px: [[1, 5], STEPS], py: [[2, 5], answer] }), run_value: 0.2, revision: 1 });
    await flush();
    expect(s.animator.member).toBe(-1);
    expect(s.paths.last!.ys).toEqual([memberY(9, 0), memberY(9, 1)]);
  });

  it("a member keeps the run's buffers the family does not replace", async () => {
    const s = await setup();
    move(s, 0.2);
    await flush();
    s.model.fromKernel({ ...packed({ px: [[1, 5], [5, 6, 7, 8, 9]], py: [[2, 5], [...runY(0), ...runY(1)]] }) });
    await flush();
    expect(s.animator.member).toBe(1);
    expect(s.paths.last!.xs).toEqual([
      [5, 6, 7],
      [5, 6, 7, 8, 9],
    ]);
    expect(s.paths.last!.ys).toEqual([memberY(1, 0).slice(0, 3), memberY(1, 1)]);
  });
});

describe("the control listener", () => {
  it("is attached once, moves with family_control and is removed on dispose", async () => {
    const s = await setup();
    expect(s.control.listenerCount("change:value")).toBe(1);
    s.model.fromKernel({ family_values: [0.1, 0.2], family_key: 7, run_key: 7 });
    s.model.fromKernel({ family_control: "IPY_MODEL_lr" }); // the same widget: nothing to do
    await flush();
    expect(s.control.listenerCount("change:value")).toBe(1);
    expect(s.control.listenerCount()).toBe(1);

    const other = new FakeModel({ value: 0.2 });
    s.models.lr2 = other;
    s.model.fromKernel({ family_control: "IPY_MODEL_lr2" });
    await s.animator.ready;
    await flush();
    expect(s.control.listenerCount()).toBe(0);
    expect(other.listenerCount("change:value")).toBe(1);
    expect(s.animator.member).toBe(1); // the new control's value
    move(s, 0.1); // the old control no longer counts
    await flush();
    expect(s.animator.member).toBe(1);

    s.animator.dispose();
    expect(other.listenerCount()).toBe(0);
  });

  it("is removed when the family control goes", async () => {
    const s = await setup(familyModel(), 0.2);
    expect(s.animator.member).toBe(1);
    s.model.fromKernel({ family_control: null });
    await flush();
    expect(s.control.listenerCount()).toBe(0);
    expect(s.animator.member).toBe(-1);
  });

  it("takes a control model given directly", async () => {
    const control = new FakeModel({ value: 0.1 });
    const s = await setup(familyModel({ family_control: control }));
    expect(control.listenerCount("change:value")).toBe(1);
    expect(s.animator.member).toBe(0);
  });
});

describe("what a switch tells", () => {
  it("notifies subscribers and logs a member entry", async () => {
    const s = await setup();
    const seen: number[] = [];
    s.animator.subscribe((a) => seen.push(a.member));
    await withDebugLog(async (log) => {
      move(s, 0.3);
      await flush();
      expect(seen).toContain(2);
      const entries = log.filter((e) => e.event === "member");
      expect(entries.length).toBe(1);
      expect(entries[0].member).toBe(2);
      expect(typeof entries[0].t).toBe("number");
      expect(entries[0].ms).toBeGreaterThanOrEqual(0);
      move(s, 0.3 * (1 + 1e-12)); // the same member: no switch
      await flush();
      expect(log.filter((e) => e.event === "member").length).toBe(1);
    });
  });
});

describe("a member switch is drawn first figure first", () => {
  it("writes the paths in the key press and the other marks on the next frame", async () => {
    let time = 0;
    const slow = (): FakeMark => slowMark(() => (time += 2)); // bqplot taking in a mark's new data
    const control = new FakeModel({ value: 0.15 });
    const [paths, marker, loss] = [slow(), slow(), slow()];
    const models: Record<string, unknown> = { paths, marker, loss, lr: control };
    const { animator, scheduler } = await startAnimator(familyModel(), models, {
      frameBudgetMs: 8,
      switchBudgetMs: 1,
      clock: () => time,
    });
    live.push(animator);
    scheduler.frame();
    const before = [paths.calls.length, marker.calls.length];

    control.set("value", 0.2); // the key press: member 1
    await flush();
    expect(animator.member).toBe(1);
    expect(paths.calls.length).toBe(before[0] + 1); // the paths at once
    expect(paths.last!.ys![0]).toEqual(memberY(1, 0).slice(0, 3));
    expect(marker.calls.length).toBe(before[1]); // the rest waits for the next frame
    scheduler.frame();
    expect(marker.calls.length).toBe(before[1] + 1);
    expect(paths.calls.length).toBe(before[0] + 1); // not written twice
  });
});
