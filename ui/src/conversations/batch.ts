// A burst of events (200 customer messages at once, a relay draining after a day offline) is
// applied to the list and the thread in batches: events are buffered and applied together once
// per frame, each batch in one pass with a single sort, so the window keeps answering clicks.
import type { ConversationEvent, ConversationSummary, MessageView } from "../bindings";
import { mergeStatus } from "./model";

function byActivity(a: ConversationSummary, b: ConversationSummary): number {
  if (a.last_activity_at !== b.last_activity_at) return a.last_activity_at < b.last_activity_at ? 1 : -1;
  return b.id - a.id;
}

function byTime(a: MessageView, b: MessageView): number {
  return a.at === b.at ? a.id - b.id : a.at < b.at ? -1 : 1;
}

/** Each conversation's latest row among the events. */
function updatedRows(events: ConversationEvent[]): Map<number, ConversationSummary> {
  const rows = new Map<number, ConversationSummary>();
  for (const e of events) if (e.kind === "conversation_updated") rows.set(e.conversation.id, e.conversation);
  return rows;
}

/** `list` with `rows` in place of their old versions (or added); one sort. */
function withRows(list: ConversationSummary[], rows: Map<number, ConversationSummary>): ConversationSummary[] {
  if (rows.size === 0) return list;
  const next = list.filter((c) => !rows.has(c.id));
  next.push(...rows.values());
  return next.sort(byActivity);
}

/** The list after a batch of events: each changed row (its latest version) replaces its old one; one sort. */
export function listApplyAll(list: ConversationSummary[], events: ConversationEvent[]): ConversationSummary[] {
  return withRows(list, updatedRows(events));
}

/**
 * A freshly read page of the list, with the events delivered while it was being read. The page
 * may have been read before some of them (a customer's first message: the row is missing) or after
 * (the row is newer than the event's): the newer version of each row wins, ties to the event.
 */
export function listLoaded(page: ConversationSummary[], during: ConversationEvent[]): ConversationSummary[] {
  const rows = updatedRows(during);
  for (const c of page) {
    const r = rows.get(c.id);
    if (r && c.last_activity_at > r.last_activity_at) rows.delete(c.id);
  }
  return withRows(page, rows);
}

/**
 * A freshly read page of the thread, with the events delivered while it was being read: messages
 * the page missed are added and statuses, media and reactions move forward; a message the page
 * already has is not replaced by its (possibly older) version from an event.
 */
export function threadLoaded(
  page: MessageView[],
  conversationId: number,
  during: ConversationEvent[],
): MessageView[] {
  const known = new Set(page.map((m) => m.id));
  const events = during.filter((e) => !(e.kind === "new_message" && known.has(e.message.id)));
  return threadApplyAll(page, conversationId, events);
}

export type ThreadApplyOptions = {
  /**
   * The thread shown does not reach the newest message (opened around a search hit): new
   * messages are not appended after the gap; they load when the owner scrolls down to them.
   */
  detached?: boolean;
};

/**
 * The open thread after a batch of events, in one pass (other conversations' events change
 * nothing). Returns the same array when nothing changed, so React skips the render.
 */
export function threadApplyAll(
  thread: MessageView[],
  conversationId: number,
  events: ConversationEvent[],
  opts: ThreadApplyOptions = {},
): MessageView[] {
  let next: MessageView[] | null = null;
  // Positions are the same in `thread` and `next` (messages are only appended before the sort).
  let index: Map<number, number> | null = null;
  let unsorted = false;
  const at = () => (index ??= new Map(thread.map((m, i) => [m.id, i])));
  const list = () => (next ??= thread.slice());
  const update = (id: number, f: (m: MessageView) => MessageView) => {
    const i = at().get(id);
    if (i === undefined) return;
    const l = list();
    l[i] = f(l[i]);
  };
  for (const e of events) {
    switch (e.kind) {
      case "new_message": {
        const m = e.message;
        if (m.conversation_id !== conversationId || m.kind === "reaction") break;
        const i = at().get(m.id);
        if (i !== undefined) {
          list()[i] = m;
        } else if (!opts.detached) {
          const l = list();
          const last = l[l.length - 1];
          if (last && byTime(last, m) > 0) unsorted = true;
          at().set(m.id, l.length);
          l.push(m);
        }
        break;
      }
      case "status_changed":
        if (e.conversation_id !== conversationId) break;
        update(e.message_id, (x) => ({
          ...x,
          status: mergeStatus(x.status, e.status),
          error_code: e.status === "failed" ? e.error_code : e.status === "pending" ? null : x.error_code,
          error_reason: e.status === "failed" ? e.error_reason : e.status === "pending" ? null : x.error_reason,
        }));
        break;
      case "media_changed":
        if (e.conversation_id !== conversationId) break;
        update(e.message_id, (x) => ({ ...x, media: e.media }));
        break;
      case "reaction_changed":
        if (e.conversation_id !== conversationId) break;
        update(e.message_id, (x) => {
          const others = x.reactions.filter((r) => r.reactor !== e.reactor);
          return { ...x, reactions: e.emoji ? [...others, { reactor: e.reactor, emoji: e.emoji }] : others };
        });
        break;
      default:
        break;
    }
  }
  const out = next as MessageView[] | null;
  if (!out) return thread;
  if (unsorted) out.sort(byTime);
  return out;
}

/** Whether a batch holds a customer's new message in this conversation (read it while open). */
export function hasInbound(events: ConversationEvent[], conversationId: number): boolean {
  return events.some((e) => e.kind === "new_message" && e.message.conversation_id === conversationId && e.message.direction === "in");
}

/**
 * Buffers items and hands them over together, once per scheduled tick (a frame by default).
 * `cancel` drops what is buffered (the view went away).
 */
export function createBatcher<T>(
  flush: (items: T[]) => void,
  schedule: (run: () => void) => unknown = (run) =>
    // A hidden window gets no frames: a short timer still delivers there.
    typeof document !== "undefined" && document.visibilityState === "visible" && typeof requestAnimationFrame === "function"
      ? requestAnimationFrame(run)
      : setTimeout(run, 16),
): { push: (item: T) => void; cancel: () => void } {
  let buffer: T[] = [];
  let pending = false;
  let live = true;
  return {
    push(item: T) {
      if (!live) return;
      buffer.push(item);
      if (pending) return;
      pending = true;
      schedule(() => {
        pending = false;
        if (!live || buffer.length === 0) return;
        const items = buffer;
        buffer = [];
        flush(items);
      });
    },
    cancel() {
      live = false;
      buffer = [];
    },
  };
}
