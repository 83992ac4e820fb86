import { describe, expect, it } from "vitest";
import type { MessageView } from "../bindings";
import { clip, FEED_SIZE, FEED_TEXT_MAX, preview, pushFeed } from "./model";

function msg(id: number, kind: string, text: string | null, data: Record<string, unknown> | null = null): MessageView {
  return {
    id, conversation_id: 1, provider_id: `wamid.${id}`, direction: "in", kind, text, filename: null,
    media: null, reply_to_provider_id: null, data, status: "received", error_code: null,
    error_reason: null, at: "2026-11-29T17:00:00.000Z", reactions: [],
  } as unknown as MessageView;
}

describe("demo feed", () => {
  it("keeps the newest first, once each, bounded", () => {
    let feed: MessageView[] = [];
    for (let i = 1; i <= FEED_SIZE + 3; i++) feed = pushFeed(feed, msg(i, "text", `m${i}`));
    feed = pushFeed(feed, msg(FEED_SIZE + 3, "text", "again"));
    expect(feed).toHaveLength(FEED_SIZE);
    expect(feed[0].text).toBe("again");
    expect(feed.filter((m) => Number(m.id) === FEED_SIZE + 3)).toHaveLength(1);
  });

  it("names media and places", () => {
    expect(preview(msg(1, "voice", null)).key).toBe("demo.kind.audio");
    expect(preview(msg(2, "location", null, { name: "Casa" }))).toEqual({ key: "demo.kind.location", text: "Casa" });
    expect(preview(msg(3, "image", "¿Tienen este?"))).toEqual({ key: "demo.kind.image", text: "¿Tienen este?" });
  });

  it("cuts a long message with an ellipsis, never inside an emoji", () => {
    const long = "a".repeat(4096);
    const shown = preview(msg(4, "text", long)).text!;
    expect(Array.from(shown)).toHaveLength(FEED_TEXT_MAX);
    expect(shown.endsWith("…")).toBe(true);
    expect(preview(msg(5, "text", "hola")).text).toBe("hola");
    expect(clip("🧉🧉🧉🧉", 3)).toBe("🧉🧉…");
    expect(clip("🧉🧉🧉", 3)).toBe("🧉🧉🧉");
  });
});
