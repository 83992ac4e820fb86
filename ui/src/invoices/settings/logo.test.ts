import { describe, expect, it } from "vitest";
import type { AppError } from "../../bindings";
import { logoRefusal, logoSummary } from "./logo";

describe("logo", () => {
  it("summarizes the chosen logo", () => {
    expect(logoSummary({ file: "ab.jpg", path: "/d/logos/ab.jpg", format: "jpeg", width: 120, height: 40 })).toBe("JPEG · 120 × 40 px");
  });

  it("reads the core's refusal reason only for the logo field", () => {
    const err = (details: AppError["details"]): AppError => ({ code: "INVALID_SETTING", message: "x", details });
    expect(logoRefusal(err({ field: "logo", reason: "too_large" }))).toBe("too_large");
    expect(logoRefusal(err({ field: "logo", reason: "unreadable" }))).toBe("unreadable");
    expect(logoRefusal(err({ field: "logo", reason: "something new" }))).toBeNull();
    expect(logoRefusal(err({ field: "address", reason: "too_large" }))).toBeNull();
    expect(logoRefusal(err(null))).toBeNull();
  });
});
