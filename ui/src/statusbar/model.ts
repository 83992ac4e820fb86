// Pure logic of the status bar: what a business's connection state says, and its tone.
import type { IntakeStatus } from "../bindings";
import type { MessageKey } from "../i18n";

export type BarTone = "ok" | "warn" | "bad" | "off";

export interface BarView {
  tone: BarTone;
  key: MessageKey;
  params: Record<string, string>;
}

/** HH:MM in the computer's time zone (24 h, as in Argentina). */
export function hhmm(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "--:--";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The core's reason (English, for logs) as a short message key for people. */
export function reasonKey(lastError: string): MessageKey {
  const e = lastError.toLowerCase();
  if (e.includes("timed out")) return "statusbar.reason.timeout";
  if (e.includes("could not reach")) return "statusbar.reason.unreachable";
  if (e.includes("answered http")) return "statusbar.reason.http";
  if (e.includes("keychain")) return "statusbar.reason.keychain";
  if (e.includes("database") || e.includes("sqlite")) return "statusbar.reason.database";
  return "statusbar.reason.other";
}

/** What the status bar shows for the current business (`null`: not known yet). */
export function barView(status: IntakeStatus | null): BarView {
  const c = status?.connection;
  if (!status || !c) return { tone: "off", key: "statusbar.notConfigured", params: {} };
  switch (c.state) {
    case "connecting":
      return { tone: "warn", key: "statusbar.connecting", params: {} };
    case "connected":
      return status.whatsapp_configured
        ? { tone: "ok", key: "statusbar.connected", params: { time: hhmm(c.since) } }
        : { tone: "warn", key: "statusbar.connectedNoWhatsapp", params: {} };
    case "reconnecting":
      return {
        tone: "warn",
        key: "statusbar.reconnecting",
        params: { time: hhmm(c.since), attempts: String(c.attempts) },
      };
    case "rejected_token":
      return { tone: "bad", key: "statusbar.rejected", params: { time: hhmm(c.since) } };
    case "tenant_in_use":
      return { tone: "bad", key: "statusbar.tenantInUse", params: {} };
    case "stopped":
      return { tone: "off", key: "statusbar.stopped", params: {} };
  }
}
