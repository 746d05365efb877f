import { describe, expect, it } from "vitest";

import * as entry from "../../js/index";

describe("the anywidget module", () => {
  it("exports only a default {initialize, render} object", () => {
    // A named `render` export makes anywidget take the deprecated path and skip initialize.
    expect(Object.keys(entry).sort()).toEqual(["default"]);
    expect(typeof entry.default.initialize).toBe("function");
    expect(typeof entry.default.render).toBe("function");
  });
});
