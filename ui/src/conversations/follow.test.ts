import { describe, expect, it } from "vitest";
import { followsAfterScroll } from "./follow";

describe("followsAfterScroll", () => {
  it("keeps following while new bubbles grow the content under an unchanged position", () => {
    // A burst: 2,000 px of new bubbles below, the scroll to them not done yet.
    expect(followsAfterScroll(true, { scrollTop: 5000, previousTop: 5000, fromBottom: 2000, detached: false })).toBe(true);
    expect(followsAfterScroll(true, { scrollTop: 6000, previousTop: 5000, fromBottom: 1000, detached: false })).toBe(true);
  });

  it("stops when the owner scrolls up, and starts again at the bottom", () => {
    const up = followsAfterScroll(true, { scrollTop: 4000, previousTop: 5000, fromBottom: 1000, detached: false });
    expect(up).toBe(false);
    // Scrolling down a little is still reading.
    expect(followsAfterScroll(up, { scrollTop: 4200, previousTop: 4000, fromBottom: 800, detached: false })).toBe(false);
    expect(followsAfterScroll(up, { scrollTop: 4990, previousTop: 4200, fromBottom: 10, detached: false })).toBe(true);
  });

  it("never follows a thread opened around an older search hit", () => {
    expect(followsAfterScroll(true, { scrollTop: 5000, previousTop: 4000, fromBottom: 0, detached: true })).toBe(false);
  });
});
