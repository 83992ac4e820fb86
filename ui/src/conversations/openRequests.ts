// "Open this conversation" from a clicked OS notification. The event can arrive while another
// page is shown (Conversaciones not mounted): the request waits here until the inbox takes it.
import { events, onEvent, type OpenConversation } from "../bindings";

let pending: OpenConversation | null = null;
const listeners = new Set<(o: OpenConversation) => void>();

/** Starts listening (once, at start-up); `onOpen` lets the app switch business and page. */
export function listenOpenRequests(onOpen: (o: OpenConversation) => void): () => void {
  const off = onEvent(events.openConversation, (o) => {
    pending = o;
    onOpen(o);
    listeners.forEach((f) => f(o));
  });
  return () => {
    off.then((f) => f());
  };
}

/** The waiting request for this business, taken (so it opens once). */
export function takeOpenRequest(orgId: string): number | null {
  if (!pending || pending.org_id !== orgId) return null;
  const id = pending.conversation_id;
  pending = null;
  return id;
}

/** Calls `f` on each request while the inbox is mounted. */
export function onOpenRequest(f: (o: OpenConversation) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
