import { describe, expect, it } from "vitest";
import { catalogs, translate } from "./index";
import { errorField, errorText } from "./errors";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("catalogs", () => {
  it("have the same keys, no empty texts, and the same placeholders", () => {
    const esKeys = Object.keys(catalogs.es).sort();
    expect(Object.keys(catalogs.en).sort()).toEqual(esKeys);
    for (const key of esKeys) {
      const k = key as keyof typeof catalogs.es;
      expect(catalogs.es[k].trim(), key).not.toBe("");
      expect(catalogs.en[k].trim(), key).not.toBe("");
      expect(placeholders(catalogs.en[k]), key).toEqual(placeholders(catalogs.es[k]));
    }
  });

  it("fills placeholders and keeps unknown ones visible", () => {
    expect(translate("es", "errors.INVALID_CUIT.checkDigit", { expected: "6", found: "9" })).toBe(
      "El dígito verificador no coincide: debería ser 6, no 9. Revisá el número.",
    );
    expect(translate("en", "errors.INVALID_CUIT.checkDigit", { expected: "6" })).toContain("{found}");
  });

  it("defaults to Spanish texts", () => {
    expect(translate("es", "setup.title")).toBe("Creá tu negocio");
    expect(translate("en", "setup.title")).toBe("Create your business");
  });
});

describe("errors", () => {
  const cuitError = {
    code: "INVALID_CUIT" as const,
    message: "El dígito verificador no coincide: para 20-12345678 debería ser 6, no 9. Revisá el número.",
    details: { field: "cuit", expected_check_digit: 6, found_check_digit: 9 },
  };

  it("names the check digit in both languages", () => {
    expect(errorText(cuitError, "es")).toContain("debería ser 6, no 9");
    expect(errorText(cuitError, "en")).toContain("it should be 6, not 9");
    expect(errorField(cuitError)).toBe("cuit");
  });

  it("uses the core's Spanish message and an English text per code", () => {
    const err = { code: "DATABASE_CORRUPT" as const, message: "La base de datos está dañada", details: null };
    expect(errorText(err, "es")).toBe("La base de datos está dañada");
    expect(errorText(err, "en")).toMatch(/damaged/);
    expect(errorField(err)).toBeNull();
  });
});
