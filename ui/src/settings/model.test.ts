import { describe, expect, it } from "vitest";
import { emptyCredentials, missingFields, normalized, qualityKey, sameCredentials } from "./model";

describe("WhatsApp form", () => {
  it("names every missing field", () => {
    expect(missingFields(emptyCredentials())).toEqual(["phone_number_id", "waba_id", "access_token", "app_secret"]);
    const full = { ...emptyCredentials(), phone_number_id: "1", waba_id: "2", access_token: "t", app_secret: " s " };
    expect(missingFields(full)).toEqual([]);
    expect(missingFields({ ...full, access_token: "   " })).toEqual(["access_token"]);
  });

  it("saves only what was tested", () => {
    const tested = { ...emptyCredentials(), phone_number_id: "1", waba_id: "2", access_token: "t", app_secret: "s" };
    expect(sameCredentials(null, tested)).toBe(false);
    expect(sameCredentials(tested, { ...tested, access_token: " t " })).toBe(true);
    expect(sameCredentials(tested, { ...tested, access_token: "u" })).toBe(false);
    expect(sameCredentials(tested, { ...tested, graph_version: "" })).toBe(true);
    expect(sameCredentials(tested, { ...tested, graph_version: "v24.0" })).toBe(false);
  });

  it("sends an empty version as the default", () => {
    expect(normalized({ ...emptyCredentials(), graph_version: "  " }).graph_version).toBeNull();
    expect(normalized({ ...emptyCredentials(), graph_version: " v25.0 " }).graph_version).toBe("v25.0");
  });

  it("labels quality ratings", () => {
    expect(qualityKey("GREEN")).toBe("wa.quality.GREEN");
    expect(qualityKey(null)).toBe("wa.quality.NA");
    expect(qualityKey("PURPLE")).toBe("wa.quality.NA");
  });
});
