/**
 * The `frame` track kind: the Player writes a target model's own `frame` (the
 * 3-D surface view) instead of a mark's x/y, in the browser only.
 */

import { afterEach, describe, expect, it } from "vitest";

import { Animator } from "../../js/animator";
import { composeTracks, computeTrack, frameValue, trackKey } from "../../js/tracks";
import type { TrackSpec } from "../../js/types";
import { FakeMark, FakeModel, FakeScheduler, flush, wire } from "./fakes";

const FRAME_MS = 17;

describe("frameValue and trackKey for kind 'frame'", () => {
  const track: TrackSpec = { target: 0, kind: "frame" };

  it("is the frame itself", () => {
    expect(frameValue(track, 0)).toBe(0);
    expect(frameValue(track, 7)).toBe(7);
    expect(frameValue(track, 7.9)).toBe(7);
    expect(trackKey(track, 7, new Map())).toBe(7);
  });

  it("never goes below 0 and maps non-finite frames to 0", () => {
    expect(frameValue(track, -3)).toBe(0);
    expect(frameValue(track, Number.NaN)).toBe(0);
  });

  it("clamps to length - 1 when the track has a length", () => {
    const short: TrackSpec = { target: 0, kind: "frame", length: 3 };
    expect(frameValue(short, 1)).toBe(1);
    expect(frameValue(short, 10)).toBe(2);
    expect(trackKey(short, 10, new Map())).toBe(2);
    expect(frameValue({ target: 0, kind: "frame", length: 0 }, 5)).toBe(0);
  });

  it("is null for other kinds, and writes no x/y", () => {
    expect(frameValue({ target: 0, kind: "vline" }, 3)).toBeNull();
    expect(computeTrack(track, 3, new Map())).toBeNull();
    expect(composeTracks([track], 3, new Map())).toBeNull();
  });
});

/** A Player model with a frame track on target 0 (a model) and a prefix on target 1 (a mark). */
function playerModel(extra: Record<string, unknown> = {}): FakeModel {
  const tracks: TrackSpec[] = [
    { target: 0, kind: "frame" },
    { target: 1, kind: "prefix", x: "px", y: "py", row: 0 },
  ];
  return new FakeModel({
    targets: ["IPY_MODEL_surface", "IPY_MODEL_path"],
    buffers: { px: wire([1, 5], [0, 1, 2, 3, 4]), py: wire([1, 5], [0, 1, 4, 9, 16]) },
    tracks,
    n_frames: 5,
    frame: 4,
    ...extra,
  });
}

interface Setup {
  model: FakeModel;
  surface: FakeModel;
  path: FakeMark;
  scheduler: FakeScheduler;
  animator: Animator;
}

const live: Animator[] = [];
afterEach(() => {
  for (const a of live.splice(0)) a.dispose();
});

async function setup(model: FakeModel = playerModel()): Promise<Setup> {
  const surface = new FakeModel({ frame: 0 });
  const path = new FakeMark();
  const targets: Record<string, unknown> = { surface, path };
  const scheduler = new FakeScheduler();
  const animator = new Animator(model, { scheduler, resolve: async (id) => targets[id] });
  live.push(animator);
  await animator.ready;
  await flush();
  return { model, surface, path, scheduler, animator };
}

function frameSets(surface: FakeModel): unknown[] {
  return surface.log.filter((e) => e.type === "set").map((e) => e.values);
}

describe("the animator drives a target's frame", () => {
  it("writes {frame} into the target on the first draw, nothing else", async () => {
    const s = await setup();
    expect(frameSets(s.surface)).toEqual([{ frame: 4 }]);
    expect(s.surface.get("frame")).toBe(4);
    expect(s.path.last!.x).toEqual([0, 1, 2, 3, 4]);
  });

  it("writes every frame change during playback with no kernel messages from anyone", async () => {
    const s = await setup(playerModel({ frame: 0 }));
    s.surface.log.length = 0;
    let changes = 0;
    s.surface.on("change:frame", () => changes++);

    s.model.fromKernel({ playing: true });
    s.scheduler.frame(); // starts the clock
    s.scheduler.frames(3, FRAME_MS);
    expect(s.animator.frame).toBe(3);
    expect(frameSets(s.surface)).toEqual([{ frame: 1 }, { frame: 2 }, { frame: 3 }]);
    expect(changes).toBe(3);
    expect(s.surface.saves).toBe(0);
    expect(s.model.saves).toBe(0);

    s.scheduler.frame(FRAME_MS); // the last frame ends playback
    expect(s.surface.get("frame")).toBe(4);
    expect(s.surface.saves).toBe(0); // the Player commits only its own model
    expect(s.model.saves).toBe(1);
  });

  it("does not rewrite an unchanged frame, and follows scrubbing and Python", async () => {
    const s = await setup();
    s.surface.log.length = 0;
    s.animator.seek(2, false);
    s.animator.seek(2, false);
    expect(frameSets(s.surface)).toEqual([{ frame: 2 }]);
    s.model.fromKernel({ frame: 1 });
    await flush();
    expect(s.surface.get("frame")).toBe(1);
    expect(s.surface.saves).toBe(0);
  });

  it("clamps to the track's length", async () => {
    const model = playerModel({ tracks: [{ target: 0, kind: "frame", length: 2 }] });
    const s = await setup(model);
    expect(s.surface.get("frame")).toBe(1);
    s.surface.log.length = 0;
    s.animator.seek(3, false);
    expect(frameSets(s.surface)).toEqual([]); // still frame 1: nothing to write
  });

  it("writes both frame and x/y when one target has both kinds of tracks", async () => {
    const model = playerModel({
      tracks: [
        { target: 1, kind: "frame" },
        { target: 1, kind: "prefix", x: "px", y: "py", row: 0 },
      ],
    });
    const s = await setup(model);
    const keys = s.path.calls.map((c) => c.keys.join(","));
    expect(keys).toEqual(["frame", "x,y"]);
    expect(s.path.last!.x).toEqual([0, 1, 2, 3, 4]);
  });

  it("redraws the frame after a new load", async () => {
    const s = await setup();
    s.surface.log.length = 0;
    s.model.fromKernel({ revision: 1, n_frames: 3 });
    await flush();
    expect(frameSets(s.surface)).toEqual([{ frame: 2 }]);
  });
});
