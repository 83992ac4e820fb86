import type { SearchHit } from "../bindings";

/** Shortest query the customer search answers (its index matches 3 characters or more). */
export const MIN_QUERY = 3;

/** The customers among search hits (not the message matches), once each, in the order found. */
export function customerHits(hits: SearchHit[]): SearchHit[] {
  const seen = new Set<number>();
  return hits.filter((h) => h.message_id === null && !seen.has(h.conversation_id) && seen.add(h.conversation_id));
}
