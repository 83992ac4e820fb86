import { describe, expect, it } from "vitest";
import type { UpdateInfo, UpdaterStatus } from "../bindings";
import { translate } from "../i18n";
import { formatBytes, initialUpdateState, percent, showBanner, updateReducer, waitingMessage, type UpdateAction, type UpdateState } from "./state";

const info: UpdateInfo = { version: "0.2.0", current_version: "0.1.0", notes: "Arreglos", pub_date: null };
const status = (over: Partial<UpdaterStatus> = {}): UpdaterStatus => ({
  current_version: "0.1.0",
  channel: "stable",
  check_on_startup: true,
  endpoint_override: null,
  available: null,
  downloaded: false,
  in_flight: { outbound_sends: 0, invoice_submissions: 0 },
  ...over,
});
const run = (...actions: UpdateAction[]): UpdateState => actions.reduce(updateReducer, initialUpdateState);
const appError = { code: "UPDATE_SIGNATURE_INVALID" as const, message: "rechazada", details: null };

describe("update state", () => {
  it("goes check → available → downloading → ready → waiting → installing", () => {
    let s = run({ type: "check_started" });
    expect(s.phase).toBe("checking");
    s = updateReducer(s, { type: "check_done", info });
    expect(s.phase).toBe("available");
    s = updateReducer(s, { type: "download_started" });
    s = updateReducer(s, { type: "progress", progress: { state: "downloading", downloaded: 512, total: 1024 } });
    expect(s.phase).toBe("downloading");
    expect(percent(s)).toBe(50);
    s = updateReducer(s, { type: "progress", progress: { state: "downloaded", version: "0.2.0" } });
    expect(s.phase).toBe("ready");
    s = updateReducer(s, { type: "install_started" });
    s = updateReducer(s, {
      type: "progress",
      progress: { state: "waiting", in_flight: { outbound_sends: 1, invoice_submissions: 0 } },
    });
    expect(s.phase).toBe("waiting");
    expect(s.inFlight?.outbound_sends).toBe(1);
    s = updateReducer(s, { type: "progress", progress: { state: "installing" } });
    expect(s.phase).toBe("installing");
    expect(s.inFlight).toBeNull();
  });

  it("says when there is no update", () => {
    expect(run({ type: "check_started" }, { type: "check_done", info: null }).phase).toBe("up_to_date");
  });

  it("a rejected download goes back to 'available' with the error, ready to retry", () => {
    const s = run({ type: "check_done", info }, { type: "download_started" }, { type: "failed", error: appError });
    expect(s.phase).toBe("available");
    expect(s.error).toEqual(appError);
    expect(updateReducer(s, { type: "download_started" }).error).toBeNull();
  });

  it("a failed check keeps what was known", () => {
    expect(run({ type: "check_started" }, { type: "failed", error: appError }).phase).toBe("idle");
    expect(run({ type: "check_done", info }, { type: "check_started" }, { type: "failed", error: appError }).phase).toBe(
      "available",
    );
  });

  it("a failed install goes back to 'ready'", () => {
    const s = run({ type: "check_done", info }, { type: "progress", progress: { state: "downloaded", version: "0.2.0" } }, { type: "install_started" }, { type: "failed", error: appError });
    expect(s.phase).toBe("ready");
  });

  it("adopts a downloaded update from the core's status", () => {
    expect(run({ type: "status", status: status({ available: info, downloaded: true }) }).phase).toBe("ready");
    expect(run({ type: "status", status: status({ available: info }) }).phase).toBe("available");
    expect(run({ type: "status", status: status() }).phase).toBe("idle");
  });

  it("does not let a status refresh interrupt a download", () => {
    const s = run({ type: "check_done", info }, { type: "download_started" }, { type: "status", status: status({ channel: "beta" }) });
    expect(s.phase).toBe("downloading");
    expect(s.status?.channel).toBe("beta");
  });
});

describe("start-up banner", () => {
  it("shows for an update found at start-up, until dismissed", () => {
    const s = run({ type: "startup_found", info });
    expect(showBanner(s)).toBe(true);
    expect(showBanner(updateReducer(s, { type: "dismiss_banner" }))).toBe(false);
  });

  it("shows when the start-up check finished before the window listened", () => {
    expect(showBanner(run({ type: "status", status: status({ available: info }) }))).toBe(true);
  });

  it("does not show for an update the user checked for in Ajustes", () => {
    expect(showBanner(run({ type: "check_started" }, { type: "check_done", info }))).toBe(false);
  });
});

describe("helpers", () => {
  it("percent is null when the size is unknown", () => {
    expect(percent({ downloaded: 10, total: null })).toBeNull();
    expect(percent({ downloaded: 2048, total: 1024 })).toBe(100);
  });

  it("names what the update waits for", () => {
    const both = waitingMessage({ outbound_sends: 2, invoice_submissions: 1 });
    expect(translate("es", both.key, both.params)).toContain("2 envío(s) y 1 factura(s)");
    const invoices = waitingMessage({ outbound_sends: 0, invoice_submissions: 3 });
    expect(translate("es", invoices.key, invoices.params)).toContain("AFIP/ARCA responda 3 factura(s)");
    const sends = waitingMessage({ outbound_sends: 1, invoice_submissions: 0 });
    expect(translate("en", sends.key, sends.params)).toContain("1 message(s)");
  });

  it("formats sizes per language", () => {
    expect(formatBytes(1.5 * 1024 * 1024, "es")).toBe("1,5 MB");
    expect(formatBytes(1.5 * 1024 * 1024, "en")).toBe("1.5 MB");
  });
});
