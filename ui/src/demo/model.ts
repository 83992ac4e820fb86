import type { MessageView } from "../bindings";
import type { MessageKey } from "../i18n";

/** How many received messages the "actividad" feed keeps. */
export const FEED_SIZE = 8;

/** A feed line: what the customer sent, in a few words. */
export function preview(m: MessageView): { key: MessageKey; text: string | null } {
  switch (m.kind) {
    case "image":
      return { key: "demo.kind.image", text: m.text };
    case "audio":
    case "voice":
      return { key: "demo.kind.audio", text: null };
    case "location": {
      const name = m.data && typeof m.data["name"] === "string" ? (m.data["name"] as string) : null;
      return { key: "demo.kind.location", text: name ?? m.text };
    }
    default:
      return { key: "demo.kind.text", text: m.text };
  }
}

/** Newest first, without duplicates, at most FEED_SIZE lines. */
export function pushFeed(feed: MessageView[], m: MessageView): MessageView[] {
  return [m, ...feed.filter((x) => x.id !== m.id)].slice(0, FEED_SIZE);
}
