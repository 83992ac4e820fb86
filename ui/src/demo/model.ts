import type { MessageView } from "../bindings";
import type { MessageKey } from "../i18n";

/** How many received messages the "actividad" feed keeps. */
export const FEED_SIZE = 8;

/** Longest text of a feed line, in characters: the whole message is in its conversation. */
export const FEED_TEXT_MAX = 140;

/** `text` cut to `max` characters (code points: an emoji is never split), ending in "…". */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max - 1).join("").trimEnd() + "…";
}

/** A feed line: what the customer sent, in a few words. */
export function preview(m: MessageView): { key: MessageKey; text: string | null } {
  const line = (key: MessageKey, text: string | null) => ({ key, text: text === null ? null : clip(text, FEED_TEXT_MAX) });
  switch (m.kind) {
    case "image":
      return line("demo.kind.image", m.text);
    case "audio":
    case "voice":
      return line("demo.kind.audio", null);
    case "location": {
      const name = m.data && typeof m.data["name"] === "string" ? (m.data["name"] as string) : null;
      return line("demo.kind.location", name ?? m.text);
    }
    default:
      return line("demo.kind.text", m.text);
  }
}

/** Newest first, without duplicates, at most FEED_SIZE lines. */
export function pushFeed(feed: MessageView[], m: MessageView): MessageView[] {
  return [m, ...feed.filter((x) => x.id !== m.id)].slice(0, FEED_SIZE);
}
