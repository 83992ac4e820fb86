// What the window knows about updates, as a pure reducer (tested in state.test.ts). The hook in
// useUpdates.ts feeds it command results and the core's `update-*` events.
import type { AppError, InFlight, UpdateInfo, UpdateProgress, UpdaterStatus } from "../bindings";
import type { MessageKey } from "../i18n";

export type Phase =
  | "idle" // not checked in this session (or the start-up check found nothing)
  | "checking"
  | "up_to_date"
  | "available"
  | "downloading"
  | "ready" // downloaded and verified: "Reiniciar para actualizar"
  | "waiting" // restart requested; sends or invoice submissions still in flight
  | "installing";

export interface UpdateState {
  status: UpdaterStatus | null;
  phase: Phase;
  available: UpdateInfo | null;
  downloaded: number;
  total: number | null;
  inFlight: InFlight | null;
  error: AppError | null;
  /** The start-up banner was closed (or its update was opened in Ajustes). */
  bannerDismissed: boolean;
  /** The update came from the background start-up check (the banner shows only then). */
  fromStartup: boolean;
}

export type UpdateAction =
  | { type: "status"; status: UpdaterStatus }
  | { type: "startup_found"; info: UpdateInfo }
  | { type: "check_started" }
  | { type: "check_done"; info: UpdateInfo | null }
  | { type: "download_started" }
  | { type: "progress"; progress: UpdateProgress }
  | { type: "install_started" }
  | { type: "failed"; error: AppError }
  | { type: "dismiss_banner" };

export const initialUpdateState: UpdateState = {
  status: null,
  phase: "idle",
  available: null,
  downloaded: 0,
  total: null,
  inFlight: null,
  error: null,
  bannerDismissed: false,
  fromStartup: false,
};

export function updateReducer(s: UpdateState, a: UpdateAction): UpdateState {
  switch (a.type) {
    case "status": {
      const st = a.status;
      // Only adopt the core's view when nothing is running here.
      if (s.phase !== "idle" && s.phase !== "up_to_date" && s.phase !== "available" && s.phase !== "ready") {
        return { ...s, status: st };
      }
      if (!st.available) return { ...s, status: st };
      // Known before this window checked anything: the start-up check found it.
      const fromStartup = s.fromStartup || s.phase === "idle";
      return { ...s, status: st, available: st.available, phase: st.downloaded ? "ready" : "available", fromStartup };
    }
    case "startup_found":
      if (s.phase !== "idle") return s;
      return { ...s, phase: "available", available: a.info, fromStartup: true, error: null };
    case "check_started":
      return { ...s, phase: "checking", error: null };
    case "check_done":
      return a.info
        ? { ...s, phase: "available", available: a.info, downloaded: 0, total: null }
        : { ...s, phase: "up_to_date", available: null };
    case "download_started":
      return { ...s, phase: "downloading", downloaded: 0, total: null, error: null };
    case "install_started":
      return { ...s, phase: "installing", error: null, bannerDismissed: true };
    case "progress": {
      const p = a.progress;
      switch (p.state) {
        case "downloading":
          return { ...s, phase: "downloading", downloaded: p.downloaded, total: p.total };
        case "downloaded":
          return { ...s, phase: "ready", total: s.total ?? s.downloaded };
        case "waiting":
          return { ...s, phase: "waiting", inFlight: p.in_flight };
        case "installing":
          return { ...s, phase: "installing", inFlight: null };
      }
      return s;
    }
    case "failed": {
      // Back to the last stable step: a failed download can be retried from "available".
      const phase: Phase =
        s.phase === "checking"
          ? s.available
            ? "available"
            : "idle"
          : s.phase === "downloading"
            ? "available"
            : s.phase === "waiting" || s.phase === "installing"
              ? "ready"
              : s.phase;
      return { ...s, phase, error: a.error, inFlight: null };
    }
    case "dismiss_banner":
      return { ...s, bannerDismissed: true };
  }
}

/** Download progress in percent, or null when the size is unknown. */
export function percent(s: Pick<UpdateState, "downloaded" | "total">): number | null {
  if (!s.total || s.total <= 0) return null;
  return Math.min(100, Math.floor((s.downloaded * 100) / s.total));
}

/** Whether the non-blocking start-up banner shows. */
export function showBanner(s: UpdateState): boolean {
  return s.fromStartup && !s.bannerDismissed && s.available !== null && (s.phase === "available" || s.phase === "ready");
}

/** The message that explains why "Reiniciar para actualizar" is waiting. */
export function waitingMessage(inFlight: InFlight): { key: MessageKey; params: Record<string, string> } {
  const sends = inFlight.outbound_sends;
  const invoices = inFlight.invoice_submissions;
  if (sends > 0 && invoices > 0) {
    return { key: "about.waiting.both", params: { sends: String(sends), invoices: String(invoices) } };
  }
  if (invoices > 0) return { key: "about.waiting.invoices", params: { invoices: String(invoices) } };
  return { key: "about.waiting.sends", params: { sends: String(sends) } };
}

/** Bytes as "12,3 MB" in the UI language. */
export function formatBytes(n: number, lang: "es" | "en"): string {
  const mb = n / (1024 * 1024);
  return `${mb.toLocaleString(lang === "es" ? "es-AR" : "en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 })} MB`;
}
