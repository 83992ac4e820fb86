import { describe, expect, it } from "vitest";
import type { ConversationSummary, MessageView } from "../bindings";
import {
  checkAttachment,
  composerInit,
  composerReduce,
  daySeparator,
  formatListTime,
  formatRemaining,
  isSendKey,
  linkify,
  listApply,
  mergeStatus,
  quickReplyQuery,
  startsDay,
  threadApply,
  tickFor,
  windowState,
} from "./model";

describe("ticks", () => {
  it("draws each status", () => {
    expect(tickFor("pending").symbol).toBe("🕓");
    expect(tickFor("sent")).toEqual({ symbol: "✓", tone: "muted", label: "ticks.sent" });
    expect(tickFor("delivered")).toEqual({ symbol: "✓✓", tone: "muted", label: "ticks.delivered" });
    expect(tickFor("read")).toEqual({ symbol: "✓✓", tone: "read", label: "ticks.read" });
    expect(tickFor("failed")).toEqual({ symbol: "⚠", tone: "failed", label: "ticks.failed" });
    expect(tickFor("received").symbol).toBe("");
  });

  it("never go backwards; failed needs proof of delivery to move; a retry restarts", () => {
    expect(mergeStatus("read", "delivered")).toBe("read");
    expect(mergeStatus("sent", "delivered")).toBe("delivered");
    expect(mergeStatus("failed", "sent")).toBe("failed");
    expect(mergeStatus("failed", "read")).toBe("read");
    expect(mergeStatus("delivered", "failed")).toBe("delivered");
    expect(mergeStatus("sent", "failed")).toBe("failed");
    expect(mergeStatus("failed", "pending")).toBe("pending");
  });
});

describe("window countdown", () => {
  const now = new Date("2026-11-29T12:00:00Z");
  it("is open until the end, with a countdown only under 2 h", () => {
    expect(windowState("2026-11-29T20:00:00.000Z", now)).toEqual({
      open: true,
      remainingMs: 8 * 3600 * 1000,
      showCountdown: false,
    });
    const soon = windowState("2026-11-29T13:05:00.000Z", now);
    expect(soon.open && soon.showCountdown).toBe(true);
    expect(formatRemaining(soon.remainingMs, "es")).toBe("1 h 05 min");
    expect(formatRemaining(12 * 60000 + 500, "es")).toBe("12 min");
    expect(formatRemaining(30000, "es")).toBe("menos de 1 min");
  });
  it("is closed at the end and when there is no window", () => {
    expect(windowState("2026-11-29T12:00:00.000Z", now).open).toBe(false);
    expect(windowState(null, now).open).toBe(false);
  });
});

describe("es-AR times", () => {
  // Local times: the test builds dates in the machine's zone.
  const now = new Date(2026, 10, 29, 18, 0);
  it("hoy 14:32 / ayer / 12/11", () => {
    expect(formatListTime(new Date(2026, 10, 29, 14, 32).toISOString(), now, "es")).toBe("hoy 14:32");
    expect(formatListTime(new Date(2026, 10, 28, 9, 5).toISOString(), now, "es")).toBe("ayer");
    expect(formatListTime(new Date(2026, 10, 12, 9, 5).toISOString(), now, "es")).toBe("12/11");
    expect(formatListTime(new Date(2025, 10, 12, 9, 5).toISOString(), now, "es")).toBe("12/11/2025");
    expect(formatListTime(new Date(2026, 10, 12, 9, 5).toISOString(), now, "en")).toBe("11/12");
    expect(formatListTime(new Date(2026, 10, 29, 0, 1).toISOString(), now, "en")).toBe("today 00:01");
  });
  it("day separators", () => {
    expect(daySeparator(new Date(2026, 10, 29, 8).toISOString(), now, "es")).toBe("Hoy");
    expect(daySeparator(new Date(2026, 10, 28, 8).toISOString(), now, "es")).toBe("Ayer");
    expect(daySeparator(new Date(2026, 10, 10, 8).toISOString(), now, "es")).toMatch(/10 de noviembre/);
    const msgs = [
      { at: new Date(2026, 10, 28, 23, 59).toISOString() },
      { at: new Date(2026, 10, 29, 0, 0).toISOString() },
      { at: new Date(2026, 10, 29, 9, 0).toISOString() },
    ];
    expect([0, 1, 2].map((i) => startsDay(msgs, i))).toEqual([true, true, false]);
  });
});

describe("links in customer text", () => {
  it("only http(s), shown by host, the rest stays text", () => {
    expect(linkify("mirá https://www.mercadolibre.com.ar/item/123, javascript:alert(1)")).toEqual([
      { kind: "text", text: "mirá " },
      { kind: "link", href: "https://www.mercadolibre.com.ar/item/123", host: "www.mercadolibre.com.ar" },
      { kind: "text", text: ", javascript:alert(1)" },
    ]);
    expect(linkify("<b>hola</b>")).toEqual([{ kind: "text", text: "<b>hola</b>" }]);
    expect(linkify("file:///etc/passwd")).toEqual([{ kind: "text", text: "file:///etc/passwd" }]);
  });
});

describe("composer", () => {
  it("keeps the key through a double send and a refusal, and renews it after a send", () => {
    let s = composerInit("k1");
    s = composerReduce(s, { type: "edit", text: "Hola" });
    s = composerReduce(s, { type: "send" });
    expect(s.phase).toBe("sending");
    const again = composerReduce(s, { type: "send" });
    expect(again).toBe(s);
    s = composerReduce(s, { type: "refused", error: { code: "WINDOW_CLOSED", message: "Pasaron más de 24 h…" } });
    expect(s).toMatchObject({ phase: "refused", text: "Hola", key: "k1" });
    s = composerReduce(s, { type: "send" });
    expect(s).toMatchObject({ phase: "sending", key: "k1" });
    s = composerReduce(s, { type: "sent", newKey: "k2" });
    expect(s).toEqual({ phase: "editing", text: "", key: "k2", error: null });
    expect(composerReduce(s, { type: "send" })).toBe(s);
  });
  it("Enter sends, Shift+Enter does not; / opens quick replies", () => {
    expect(isSendKey({ key: "Enter", shiftKey: false })).toBe(true);
    expect(isSendKey({ key: "Enter", shiftKey: true })).toBe(false);
    expect(isSendKey({ key: "Enter", shiftKey: false, isComposing: true })).toBe(false);
    expect(quickReplyQuery("/hor")).toBe("hor");
    expect(quickReplyQuery("/")).toBe("");
    expect(quickReplyQuery("hola /x")).toBe(null);
  });
  it("checks attachments before upload", () => {
    expect(checkAttachment("foto.JPG", 1000)).toBe(null);
    expect(checkAttachment("foto.png", 6 << 20)).toBe("attach.tooBig");
    expect(checkAttachment("virus.exe", 10)).toBe("attach.badType");
    expect(checkAttachment("factura.pdf", 50 << 20)).toBe(null);
  });
});

function row(id: number, at: string, unread = 0): ConversationSummary {
  return {
    id,
    customer_id: id,
    customer_name: `C${id}`,
    customer_wa_id: null,
    customer_username: null,
    customer_phone_display: null,
    channel: "whatsapp",
    status: "abierta",
    labels: [],
    unread_count: unread,
    last_message_preview: null,
    last_activity_at: at,
    last_inbound_at: null,
    window_open_until: null,
    window_closed_at: null,
    customer_opted_out: false,
    customer_opted_out_marketing: false,
  };
}

function msg(id: number, at: string, status: MessageView["status"] = "pending"): MessageView {
  return {
    id,
    conversation_id: 1,
    provider_id: null,
    direction: "out",
    kind: "text",
    text: "x",
    filename: null,
    media: null,
    reply_to_provider_id: null,
    data: null,
    status,
    error_code: null,
    error_reason: null,
    at,
    reactions: [],
  };
}

describe("reducers", () => {
  it("an updated row moves to the top", () => {
    const list = [row(1, "2026-11-29T10:00:00.000Z"), row(2, "2026-11-29T09:00:00.000Z")];
    const next = listApply(list, {
      kind: "conversation_updated",
      org_id: "o",
      conversation: row(2, "2026-11-29T11:00:00.000Z", 1),
    });
    expect(next.map((c) => c.id)).toEqual([2, 1]);
    expect(next[0].unread_count).toBe(1);
  });
  it("statuses and reactions land on their message", () => {
    let t = [msg(1, "2026-11-29T10:00:00.000Z", "sent")];
    t = threadApply(t, 1, {
      kind: "status_changed",
      org_id: "o",
      conversation_id: 1,
      message_id: 1,
      status: "read",
      error_code: null,
      error_reason: null,
    });
    expect(t[0].status).toBe("read");
    t = threadApply(t, 1, {
      kind: "status_changed",
      org_id: "o",
      conversation_id: 1,
      message_id: 1,
      status: "delivered",
      error_code: null,
      error_reason: null,
    });
    expect(t[0].status).toBe("read");
    t = threadApply(t, 1, { kind: "reaction_changed", org_id: "o", conversation_id: 1, message_id: 1, reactor: "customer", emoji: "❤️" });
    expect(t[0].reactions).toEqual([{ reactor: "customer", emoji: "❤️" }]);
    t = threadApply(t, 1, { kind: "new_message", org_id: "o", message: msg(2, "2026-11-29T09:00:00.000Z") });
    expect(t.map((m) => m.id)).toEqual([2, 1]);
    t = threadApply(t, 1, { kind: "new_message", org_id: "o", message: msg(2, "2026-11-29T09:00:00.000Z") });
    expect(t.length).toBe(2);
  });
});
