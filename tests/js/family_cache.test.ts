/**
 * A member's buffers are sliced once while its family lasts: the caches of
 * tracks.ts (simplification, first points) are keyed by buffer identity.
 */

import { afterEach, describe, expect, it, vi } from "vitest";

import { Animator } from "../../js/animator";
import * as tracks from "../../js/tracks";
import { FakeMark, FakeModel, flush, packed, packedFamily, startAnimator } from "./fakes";

vi.mock("../../js/tracks", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../js/tracks")>();
  return { ...original, memberBuffers: vi.fn(original.memberBuffers) };
});

const live: Animator[] = [];
afterEach(() => {
  for (const a of live.splice(0)) a.dispose();
});

describe("member buffer maps", () => {
  it("are made once per member and family, whatever the frames and switches", async () => {
    const made = vi.mocked(tracks.memberBuffers);
    made.mockClear();
    const steps = [0, 1, 2, 3];
    const model = new FakeModel({
      targets: ["IPY_MODEL_path"],
      ...packed({ px: [[1, 4], steps], py: [[1, 4], steps] }),
      track_layout: [{ target: 0, kind: "lines", x: "px", y: "py", tolerance: [0.5, 0.5] }],
      track_values: {},
      n_frames: 4,
      frame: 0,
      run_key: 0,
      run_value: 1,
      family_control: "IPY_MODEL_lr",
      family_values: [2, 3],
      ...packedFamily({ py: [[2, 1, 4], [0, 2, 4, 6, 0, 3, 6, 9]] }),
      family_track_values: [{}, {}],
      family_key: 0,
    });
    const control = new FakeModel({ value: 2 });
    const path = new FakeMark();
    const { animator, scheduler } = await startAnimator(model, { lr: control, path });
    live.push(animator);
    expect(animator.member).toBe(0);
    model.fromKernel({ playing: true });
    scheduler.frame();
    scheduler.frames(3, 17);
    for (const value of [3, 2, 1, 3, 2]) {
      control.set("value", value);
      await flush();
    }
    animator.seek(1, false);
    expect(path.last!.ys).toEqual([[0, 2]]);
    expect(made.mock.calls.map((call) => call[2])).toEqual([0, 1]);

    model.fromKernel(packedFamily({ py: [[2, 1, 4], [1, 2, 3, 4, 5, 6, 7, 8]] }));
    await flush();
    expect(path.last!.ys).toEqual([[1, 2]]);
    expect(made.mock.calls.map((call) => call[2])).toEqual([0, 1, 0]);
  });
});
