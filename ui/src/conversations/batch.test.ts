import { describe, expect, it } from "vitest";
import type { ConversationEvent, ConversationSummary, MessageView } from "../bindings";
import { createBatcher, hasInbound, listApplyAll, listLoaded, threadApplyAll, threadLoaded } from "./batch";
import { listApply, threadApply } from "./model";

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

function msg(id: number, at: string, direction = "in", conversation_id = 1): MessageView {
  return {
    id,
    conversation_id,
    provider_id: null,
    direction,
    kind: "text",
    text: "x",
    filename: null,
    media: null,
    reply_to_provider_id: null,
    data: null,
    status: direction === "in" ? "received" : "pending",
    error_code: null,
    error_reason: null,
    at,
    reactions: [],
  };
}

const at = (s: number) => new Date(Date.UTC(2026, 10, 29, 10, 0, s)).toISOString();
const newMessage = (m: MessageView): ConversationEvent => ({ kind: "new_message", org_id: "o", message: m });
const updated = (c: ConversationSummary): ConversationEvent => ({ kind: "conversation_updated", org_id: "o", conversation: c });

describe("a burst applied in one batch", () => {
  it("the list ends as event-by-event would, with each row once", () => {
    const list = [row(1, at(0)), row(2, at(1)), row(3, at(2))];
    const events: ConversationEvent[] = [];
    for (let i = 0; i < 200; i++) events.push(updated(row((i % 4) + 1, at(10 + i), i)));
    const oneByOne = events.reduce(listApply, list);
    const batched = listApplyAll(list, events);
    expect(batched).toEqual(oneByOne);
    expect(batched.map((c) => c.id)).toEqual([4, 3, 2, 1]);
    expect(batched[0].unread_count).toBe(199);
    // Nothing for the list: the same array (no render).
    expect(listApplyAll(list, [newMessage(msg(9, at(0)))])).toBe(list);
  });

  it("the thread gets all 200 in order, statuses and reactions land, others' events are ignored", () => {
    const thread = [msg(1, at(0), "out"), msg(2, at(1))];
    const events: ConversationEvent[] = [];
    for (let i = 0; i < 200; i++) events.push(newMessage(msg(100 + i, at(10 + i))));
    // One arrives late with an older time; one is another conversation's; one is repeated.
    events.push(newMessage(msg(50, at(5))));
    events.push(newMessage(msg(51, at(6), "in", 2)));
    events.push(newMessage(msg(100, at(10))));
    events.push({ kind: "status_changed", org_id: "o", conversation_id: 1, message_id: 1, status: "read", error_code: null, error_reason: null });
    events.push({ kind: "reaction_changed", org_id: "o", conversation_id: 1, message_id: 150, reactor: "customer", emoji: "👍" });
    const oneByOne = events.reduce((t, e) => threadApply(t, 1, e), thread);
    const batched = threadApplyAll(thread, 1, events);
    expect(batched).toEqual(oneByOne);
    expect(batched.length).toBe(203);
    expect(batched.map((m) => m.id).slice(0, 4)).toEqual([1, 2, 50, 100]);
    expect(batched[0].status).toBe("read");
    expect(batched.find((m) => m.id === 150)?.reactions).toEqual([{ reactor: "customer", emoji: "👍" }]);
    // The input is never changed.
    expect(thread.length).toBe(2);
    expect(thread[0].status).toBe("pending");
  });

  it("a thread opened around an old message takes updates but does not append after the gap", () => {
    const thread = [msg(1, at(0)), msg(2, at(1))];
    const events: ConversationEvent[] = [
      newMessage(msg(3, at(9))),
      { kind: "reaction_changed", org_id: "o", conversation_id: 1, message_id: 2, reactor: "business", emoji: "❤️" },
    ];
    const t = threadApplyAll(thread, 1, events, { detached: true });
    expect(t.map((m) => m.id)).toEqual([1, 2]);
    expect(t[1].reactions).toEqual([{ reactor: "business", emoji: "❤️" }]);
    expect(threadApplyAll(thread, 1, [newMessage(msg(4, at(9), "in", 2))])).toBe(thread);
  });

  it("knows when a batch brings her a message", () => {
    expect(hasInbound([newMessage(msg(3, at(9), "out"))], 1)).toBe(false);
    expect(hasInbound([newMessage(msg(3, at(9), "in", 2))], 1)).toBe(false);
    expect(hasInbound([newMessage(msg(3, at(9)))], 1)).toBe(true);
  });
});

describe("the batcher", () => {
  it("hands over everything pushed before its tick at once, then starts again; cancel drops the rest", () => {
    const ticks: (() => void)[] = [];
    const got: number[][] = [];
    const b = createBatcher<number>((items) => got.push(items), (run) => ticks.push(run));
    for (let i = 0; i < 200; i++) b.push(i);
    expect(ticks.length).toBe(1);
    ticks.shift()!();
    expect(got).toEqual([Array.from({ length: 200 }, (_, i) => i)]);
    b.push(7);
    expect(ticks.length).toBe(1);
    b.cancel();
    ticks.shift()!();
    expect(got.length).toBe(1);
  });
});

describe("a page read while events arrive", () => {
  it("keeps a customer's first conversation that the page was read too early to hold", () => {
    const page = [row(1, at(5)), row(2, at(1))];
    const got = listLoaded(page, [updated(row(9, at(7), 1))]);
    expect(got.map((c) => c.id)).toEqual([9, 1, 2]);
  });

  it("keeps the newer version of a row either way", () => {
    const page = [row(1, at(5), 3), row(2, at(1), 0)];
    // Row 1's event is older than the page (read after it); row 2's is newer (read before it).
    const got = listLoaded(page, [updated(row(1, at(4), 2)), updated(row(2, at(6), 1))]);
    expect(got.map((c) => [c.id, c.unread_count])).toEqual([
      [2, 1],
      [1, 3],
    ]);
    expect(listLoaded(page, [])).toBe(page);
  });

  it("adds the thread's messages the page missed without taking back what it knows", () => {
    const sent = { ...msg(2, at(2), "out"), status: "delivered" as const };
    const page = [msg(1, at(1)), sent];
    const stale = { ...msg(2, at(2), "out"), status: "pending" as const };
    const got = threadLoaded(page, 1, [newMessage(stale), newMessage(msg(3, at(3)))]);
    expect(got.map((m) => [m.id, m.status])).toEqual([
      [1, "received"],
      [2, "delivered"],
      [3, "received"],
    ]);
  });
});
