import { describe, expect, it } from "vitest";
import { dateOrNull, dmy, expiryTone, isCaeaPoint, pickedKind, suggestAlias, toBase64, usablePoints, validAlias } from "./model";

describe("AFIP settings model", () => {
  it("warns 30 days before expiry and marks expired certificates", () => {
    expect(expiryTone(400, false)).toBe("ok");
    expect(expiryTone(31, false)).toBe("ok");
    expect(expiryTone(30, false)).toBe("warning");
    expect(expiryTone(0, false)).toBe("warning");
    expect(expiryTone(-1, false)).toBe("expired");
    expect(expiryTone(5, true)).toBe("expired");
  });

  it("encodes bytes as standard base64, also past one chunk", () => {
    expect(toBase64(new Uint8Array([0x4d, 0x6f, 0x73]))).toBe("TW9z");
    const big = new Uint8Array(0x8000 * 2 + 3).fill(0xff);
    const decoded = atob(toBase64(big));
    expect(decoded.length).toBe(big.length);
    expect(decoded.charCodeAt(big.length - 1)).toBe(0xff);
  });

  it("suggests aliases AFIP accepts from any business name", () => {
    expect(suggestAlias("Almacén Ñandú S.A.")).toBe("mostrador-almacen-nandu-s-a");
    expect(suggestAlias("¡¡!!")).toBe("mostrador");
    for (const name of ["Almacén Ñandú S.A.", "x".repeat(200), "  "]) {
      expect(validAlias(suggestAlias(name)), name).toBe(true);
    }
    expect(validAlias("con espacio")).toBe(false);
    expect(validAlias("")).toBe(false);
  });

  it("tells a .p12 and a key from a certificate by name", () => {
    expect(pickedKind("cert.P12")).toBe("p12");
    expect(pickedKind("cert.pfx")).toBe("p12");
    expect(pickedKind("privada.key")).toBe("key");
    expect(pickedKind("mostrador.crt")).toBe("certificate");
    expect(pickedKind("mostrador.pem")).toBe("certificate");
  });

  it("offers only usable points of sale, in order", () => {
    const pts = [
      { number: 3, blocked: false, closed: false },
      { number: 1, blocked: false, closed: false },
      { number: 2, blocked: true, closed: false },
      { number: 4, blocked: false, closed: true },
    ];
    expect(usablePoints(pts).map((p) => p.number)).toEqual([1, 3]);
  });

  it("accepts only full dates", () => {
    expect(dateOrNull("2015-03-01")).toBe("2015-03-01");
    expect(dateOrNull("")).toBeNull();
  });
});

describe("contingency (CAEA)", () => {
  it("tells CAEA points of sale from CAE ones by AFIP's emission type", () => {
    expect(isCaeaPoint({ emission_type: "CAEA - Ri Iva" })).toBe(true);
    expect(isCaeaPoint({ emission_type: " caea " })).toBe(true);
    expect(isCaeaPoint({ emission_type: "CAE - Ri Iva" })).toBe(false);
  });
  it("shows dates day first", () => {
    expect(dmy("2026-11-30")).toBe("30/11/2026");
    expect(dmy("x")).toBe("x");
  });
});
