import { describe, expect, it } from "vitest";
import { asAppError } from "./api";

describe("asAppError", () => {
  it("keeps the core's error shape", () => {
    const e = asAppError({ code: "INVALID_NAME", message: "Ingresá el nombre", details: { field: "name" } });
    expect(e).toEqual({ code: "INVALID_NAME", message: "Ingresá el nombre", details: { field: "name" } });
  });

  it("wraps anything else as INTERNAL with its text", () => {
    expect(asAppError("command foo not found")).toEqual({
      code: "INTERNAL",
      message: "command foo not found",
      details: null,
    });
  });
});
