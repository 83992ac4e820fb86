// Pure logic of Ajustes → WhatsApp and Ajustes → Relay: form checks, what changed since the last
// passing test, and labels.
import type { WhatsAppCredentials } from "../bindings";
import type { MessageKey } from "../i18n";

export type WaField = "phone_number_id" | "waba_id" | "access_token" | "app_secret" | "graph_version" | "app_id";

export const emptyCredentials = (): WhatsAppCredentials => ({
  phone_number_id: "",
  waba_id: "",
  access_token: "",
  app_secret: "",
  graph_version: null,
  app_id: null,
});

/** Fields that must be filled before "Probar conexión" (Meta would only say "invalid"). */
export function missingFields(c: WhatsAppCredentials): WaField[] {
  const out: WaField[] = [];
  if (!c.phone_number_id.trim()) out.push("phone_number_id");
  if (!c.waba_id.trim()) out.push("waba_id");
  if (!c.access_token.trim()) out.push("access_token");
  if (!c.app_secret.trim()) out.push("app_secret");
  return out;
}

/** What the form sends: trimmed, an empty version means "the current one", an empty app id none. */
export function normalized(c: WhatsAppCredentials): WhatsAppCredentials {
  const v = c.graph_version?.trim() ?? "";
  const app = c.app_id?.trim() ?? "";
  return {
    phone_number_id: c.phone_number_id.trim(),
    waba_id: c.waba_id.trim(),
    access_token: c.access_token.trim(),
    app_secret: c.app_secret.trim(),
    graph_version: v === "" ? null : v,
    app_id: app === "" ? null : app,
  };
}

/** Whether a test passed for exactly these values ("Guardar" saves only what was tested). The app
 *  id is not part of Meta's test: changing it needs no new test. */
export function sameCredentials(a: WhatsAppCredentials | null, b: WhatsAppCredentials): boolean {
  if (!a) return false;
  const x = normalized(a);
  const y = normalized(b);
  return (
    x.phone_number_id === y.phone_number_id &&
    x.waba_id === y.waba_id &&
    x.access_token === y.access_token &&
    x.app_secret === y.app_secret &&
    x.graph_version === y.graph_version
  );
}

/** The Meta app id as typed: blank is none (`null`), otherwise digits only, like Meta's ids. */
export function appIdInput(typed: string): { ok: true; value: string | null } | { ok: false } {
  const v = typed.trim();
  if (v === "") return { ok: true, value: null };
  return /^\d+$/.test(v) ? { ok: true, value: v } : { ok: false };
}

export function qualityKey(q: string | null): MessageKey {
  switch (q) {
    case "GREEN":
      return "wa.quality.GREEN";
    case "YELLOW":
      return "wa.quality.YELLOW";
    case "RED":
      return "wa.quality.RED";
    default:
      return "wa.quality.NA";
  }
}

export function qualityTone(q: string | null): "ok" | "warn" | "bad" {
  return q === "GREEN" ? "ok" : q === "RED" ? "bad" : "warn";
}
