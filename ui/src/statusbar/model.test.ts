import { describe, expect, it } from "vitest";
import type { IntakeStatus } from "../bindings";
import { translate } from "../i18n";
import { barView, hhmm, reasonKey } from "./model";

const org = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const at = new Date(2026, 10, 29, 9, 5).toISOString();

function text(s: IntakeStatus | null, reason = "") {
  const v = barView(s);
  return { tone: v.tone, es: translate("es", v.key, { ...v.params, reason }) };
}

describe("status bar", () => {
  it("says not configured without a relay", () => {
    expect(text(null).tone).toBe("off");
    expect(text({ org_id: org, connection: null, whatsapp_configured: true }).es).toContain("sin configurar");
  });

  it("says connected only when WhatsApp is connected too", () => {
    const on = text({ org_id: org, connection: { state: "connected", since: at }, whatsapp_configured: true });
    expect(on).toEqual({ tone: "ok", es: "Conectado" });
    const half = text({ org_id: org, connection: { state: "connected", since: at }, whatsapp_configured: false });
    expect(half.tone).toBe("warn");
    expect(half.es).toContain("WhatsApp");
  });

  it("says since when it is reconnecting, and why, in Spanish", () => {
    const s: IntakeStatus = {
      org_id: org,
      connection: { state: "reconnecting", since: at, last_error: "could not reach the relay: refused", attempts: 3 },
      whatsapp_configured: true,
    };
    const reason = translate("es", reasonKey("could not reach the relay: refused"));
    const v = text(s, reason);
    expect(v.tone).toBe("warn");
    expect(v.es).toBe(`Reconectando desde las 09:05: ${reason}`);
    expect(reasonKey("the relay request timed out")).toBe("statusbar.reason.timeout");
    expect(reasonKey("the relay answered HTTP 502")).toBe("statusbar.reason.http");
    expect(reasonKey("something else")).toBe("statusbar.reason.other");
  });

  it("says the token was rejected", () => {
    const v = text({ org_id: org, connection: { state: "rejected_token", since: at }, whatsapp_configured: true });
    expect(v.tone).toBe("bad");
    expect(v.es).toContain("Token rechazado");
  });

  it("formats HH:MM and survives a bad date", () => {
    expect(hhmm(at)).toBe("09:05");
    expect(hhmm("nope")).toBe("--:--");
  });
});
