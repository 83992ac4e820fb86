import { describe, expect, it } from "vitest";
import { appIdInput, emptyCredentials, missingFields, normalized, qualityKey, sameCredentials } from "./model";

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

  it("keeps the Meta app id optional, digits only, out of the test", () => {
    expect(normalized({ ...emptyCredentials(), app_id: "  " }).app_id).toBeNull();
    expect(normalized({ ...emptyCredentials(), app_id: " 123 " }).app_id).toBe("123");
    expect(missingFields({ ...emptyCredentials(), phone_number_id: "1", waba_id: "2", access_token: "t", app_secret: "s" })).toEqual([]);
    const tested = { ...emptyCredentials(), phone_number_id: "1", waba_id: "2", access_token: "t", app_secret: "s" };
    expect(sameCredentials(tested, { ...tested, app_id: "99" })).toBe(true);
    expect(appIdInput(" ")).toEqual({ ok: true, value: null });
    expect(appIdInput(" 1234567890 ")).toEqual({ ok: true, value: "1234567890" });
    expect(appIdInput("12a")).toEqual({ ok: false });
  });

  it("labels quality ratings", () => {
    expect(qualityKey("GREEN")).toBe("wa.quality.GREEN");
    expect(qualityKey(null)).toBe("wa.quality.NA");
    expect(qualityKey("PURPLE")).toBe("wa.quality.NA");
  });
});
