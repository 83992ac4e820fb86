import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "react";
import { INVOICE_FOR } from "../invoices/events";
import { CustomerPayments } from "../payments/CustomerPayments";
import "./conversations.css";
import type { KeyboardEvent as ReactKeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { convertFileSrc } from "@tauri-apps/api/core";
import { asAppError } from "../api";
import {
  commands,
  events,
  onEvent,
  type AppError,
  type ConversationEvent,
  type ConversationSummary,
  type ListCursor,
  type ListFilter,
  type MediaLocation,
  type MessageView,
  type QuickReply,
  type SearchHit,
  type SmsMeasure,
  type ThreadCursor,
} from "../bindings";
import { TemplatePicker } from "../templates/TemplatePicker";
import { onOpenRequest, takeOpenRequest } from "./openRequests";
import { createBatcher, hasInbound, listApplyAll, listLoaded, threadApplyAll, threadLoaded } from "./batch";
import { followsAfterScroll } from "./follow";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import {
  composerInit,
  composerReduce,
  composesSms,
  daySeparator,
  docTypeName,
  formatBubbleTime,
  formatListTime,
  formatRemaining,
  formatSize,
  isSendKey,
  kindIcon,
  linkify,
  mimeFor,
  previewFor,
  quickReplyQuery,
  smsLine,
  startsDay,
  tickFor,
  windowState,
} from "./model";

const LIST_PAGE = 100;
const THREAD_PAGE = 50;
const ROW_HEIGHT = 64;
/** A bubble's height before it is measured (the thread is virtualized: 5,000 messages stay quick). */
const BUBBLE_ESTIMATE = 72;

const newKey = () => crypto.randomUUID();

/** The inbox: list, thread, composer and customer panel. Real-time by events only. */
export function Conversations({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [filter, setFilter] = useState<ListFilter>({ filter: "all" });
  const [list, setList] = useState<ConversationSummary[]>([]);
  const [next, setNext] = useState<ListCursor | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [focus, setFocus] = useState<{ conversation: number; message: number } | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [searching, setSearching] = useState(false);
  const [labelFilter, setLabelFilter] = useState("");
  const loadingMore = useRef(false);
  // Each load of the first page; an answer to an older one is dropped.
  const listGeneration = useRef(0);
  // Events delivered while the first page is being read: the page may predate them.
  const duringLoad = useRef<ConversationEvent[] | null>(null);

  // Called once the event listener is registered (below), so nothing falls between the two.
  const load = useCallback(() => {
    // The start-up's timeline for scripts/measure-app (the first call is the one it reads).
    performance.mark("mostrador:list-asked");
    const gen = ++listGeneration.current;
    duringLoad.current = [];
    commands
      .conversationsList(orgId, filter, null, LIST_PAGE)
      .then((p) => {
        performance.mark("mostrador:list-answered");
        if (gen !== listGeneration.current) return;
        const during = duringLoad.current ?? [];
        duringLoad.current = null;
        setList(listLoaded(p.conversations, during).filter((c) => matches(c, filter)));
        setNext(p.next);
      })
      .catch((e) => {
        // Nothing waits for this page any more: stop keeping events for it.
        if (gen === listGeneration.current) duringLoad.current = null;
        setError(asAppError(e));
      });
  }, [orgId, filter]);

  // A clicked notification: select its conversation (fetched when the list does not hold it).
  const openConversation = useCallback(
    (id: number) => {
      setSelected(id);
      setFocus(null);
      commands
        .conversationGet(orgId, id)
        .then((c) => c && setList((l) => (l.some((x) => x.id === c.id) ? l : [c, ...l])))
        .catch(() => undefined);
    },
    [orgId],
  );
  useEffect(() => {
    const waiting = takeOpenRequest(orgId);
    if (waiting !== null) openConversation(waiting);
    return onOpenRequest(() => {
      const id = takeOpenRequest(orgId);
      if (id !== null) openConversation(id);
    });
  }, [orgId, openConversation]);

  useEffect(() => {
    // A burst (200 messages at once) is applied once per frame, not once per event.
    const batch = createBatcher<ConversationEvent>((items) => {
      duringLoad.current?.push(...items);
      setList((l) => {
        const next = listApplyAll(l, items);
        // A row that no longer matches the filter leaves the list.
        return next === l ? l : next.filter((c) => matches(c, filter));
      });
    });
    let live = true;
    const off = onEvent(events.conversationEvent, (e) => {
      if (e.org_id === orgId) batch.push(e);
    });
    // The first page is read once events are heard: a customer writing meanwhile is not lost.
    const first = () => live && load();
    off.then(first, first);
    const offReload = onEvent(events.conversationsReload, () => load());
    return () => {
      live = false;
      batch.cancel();
      off.then((f) => f());
      offReload.then((f) => f());
    };
  }, [orgId, filter, load]);

  const more = useCallback(() => {
    if (!next || loadingMore.current) return;
    loadingMore.current = true;
    commands
      .conversationsList(orgId, filter, next, LIST_PAGE)
      .then((p) => {
        setList((l) => [...l, ...p.conversations.filter((c) => !l.some((x) => x.id === c.id))]);
        setNext(p.next);
      })
      .catch((e) => setError(asAppError(e)))
      .finally(() => (loadingMore.current = false));
  }, [orgId, filter, next]);

  // Ctrl+K: search.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setSearching(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const current = list.find((c) => c.id === selected) ?? null;

  return (
    <section className="conversations" id="conversations">
      <div className="conv-list-pane">
        <div className="conv-filters" role="tablist">
          {(["all", "unread", "open", "resolved"] as const).map((f) => (
            <button
              key={f}
              id={`filter-${f}`}
              role="tab"
              aria-selected={filter.filter === f}
              className={filter.filter === f ? "active" : "secondary"}
              onClick={() => setFilter({ filter: f } as ListFilter)}
            >
              {t(`conv.filter.${f}`)}
            </button>
          ))}
          <input
            id="filter-label"
            placeholder={t("conv.filter.label")}
            value={labelFilter}
            onChange={(e) => setLabelFilter(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") setFilter(labelFilter.trim() ? { filter: "label", label: labelFilter.trim() } : { filter: "all" });
            }}
          />
        </div>
        <button className="secondary search-open" id="search-open" onClick={() => setSearching(true)}>
          {t("conv.search.open")}
        </button>
        {searching && (
          <Search
            orgId={orgId}
            onClose={() => setSearching(false)}
            onPick={(hit) => {
              setSearching(false);
              setSelected(hit.conversation_id);
              setFocus(hit.message_id !== null ? { conversation: hit.conversation_id, message: hit.message_id } : null);
            }}
          />
        )}
        {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
        <ConversationList list={list} selected={selected} onSelect={setSelected} onEnd={more} />
      </div>
      {current ? (
        <Thread
          key={current.id}
          orgId={orgId}
          conversation={current}
          focus={focus?.conversation === current.id ? focus.message : null}
        />
      ) : (
        <div className="conv-empty muted">{t("conv.pick")}</div>
      )}
    </section>
  );
}

function matches(c: ConversationSummary, f: ListFilter): boolean {
  switch (f.filter) {
    case "all":
      return true;
    case "unread":
      return c.unread_count > 0;
    case "open":
      return c.status === "abierta";
    case "resolved":
      return c.status === "resuelta";
    case "label":
      return c.labels.includes(f.label);
  }
}

function ConversationList({
  list,
  selected,
  onSelect,
  onEnd,
}: {
  list: ConversationSummary[];
  selected: number | null;
  onSelect: (id: number) => void;
  onEnd: () => void;
}) {
  const lang = useLanguage();
  const t = useT();
  const parent = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({
    count: list.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = v.getVirtualItems();
  useEffect(() => {
    const last = items[items.length - 1];
    if (last && last.index >= list.length - 20) onEnd();
  }, [items, list.length, onEnd]);
  const now = new Date();
  const index = list.findIndex((c) => c.id === selected);

  function onKey(e: ReactKeyboardEvent) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const i = Math.max(0, Math.min(list.length - 1, index + (e.key === "ArrowDown" ? 1 : -1)));
      if (list[i]) {
        onSelect(list[i].id);
        v.scrollToIndex(i);
      }
    } else if (e.key === "Enter" && list[index]) {
      onSelect(list[index].id);
    }
  }

  return (
    <div ref={parent} className="conv-list" id="conv-list" tabIndex={0} onKeyDown={onKey} role="listbox" aria-label={t("nav.conversations")}>
      {list.length === 0 && <p className="muted conv-none">{t("conv.none")}</p>}
      <div style={{ height: v.getTotalSize(), position: "relative" }}>
        {items.map((it) => {
          const c = list[it.index];
          return (
            <div
              key={c.id}
              role="option"
              aria-selected={c.id === selected}
              className={`conv-row${c.id === selected ? " selected" : ""}`}
              data-conversation-id={c.id}
              style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${it.start}px)` }}
              onClick={() => onSelect(c.id)}
            >
              <div className="conv-row-top">
                <span className="conv-name">{c.customer_name}</span>
                <span className="conv-time muted small">{formatListTime(c.last_activity_at, now, lang)}</span>
              </div>
              <div className="conv-row-bottom">
                <span className="conv-preview muted">{c.last_message_preview ?? ""}</span>
                {c.status === "resuelta" && <span className="pill tone-ok">{t("conv.resolved")}</span>}
                {c.unread_count > 0 && (
                  <span className="unread-badge" aria-label={t("conv.unread", { n: String(c.unread_count) })}>
                    {c.unread_count}
                  </span>
                )}
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}

function Search({ orgId, onClose, onPick }: { orgId: string; onClose: () => void; onPick: (h: SearchHit) => void }) {
  const t = useT();
  const [q, setQ] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [i, setI] = useState(0);
  useEffect(() => {
    if (q.trim().length < 2) return setHits([]);
    let live = true;
    const timer = setTimeout(() => {
      commands.conversationsSearch(orgId, q, 50).then((h) => live && (setHits(h), setI(0))).catch(() => undefined);
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [orgId, q]);
  return (
    <div className="conv-search" role="dialog" aria-label={t("conv.search.open")}>
      <input
        id="search-input"
        autoFocus
        placeholder={t("conv.search.placeholder")}
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") onClose();
          if (e.key === "ArrowDown") setI((x) => Math.min(hits.length - 1, x + 1));
          if (e.key === "ArrowUp") setI((x) => Math.max(0, x - 1));
          if (e.key === "Enter" && hits[i]) onPick(hits[i]);
        }}
      />
      <ul className="search-hits">
        {hits.map((h, n) => (
          <li key={`${h.conversation_id}-${h.message_id ?? "c"}`} className={n === i ? "active" : ""} onClick={() => onPick(h)}>
            <strong>{h.customer_name}</strong> <Snippet text={h.snippet ?? ""} />
          </li>
        ))}
      </ul>
    </div>
  );
}

/** FTS snippet with the match between [ and ]: highlighted as text (never HTML). */
function Snippet({ text }: { text: string }) {
  const parts = text.split(/(\[[^\]]*\])/);
  return (
    <span className="muted">
      {parts.map((p, i) => (p.startsWith("[") && p.endsWith("]") ? <mark key={i}>{p.slice(1, -1)}</mark> : <span key={i}>{p}</span>))}
    </span>
  );
}

function Thread({ orgId, conversation, focus }: { orgId: string; conversation: ConversationSummary; focus: number | null }) {
  const t = useT();
  const lang = useLanguage();
  const [messages, setMessages] = useState<MessageView[]>([]);
  const [older, setOlder] = useState<ThreadCursor | null>(null);
  // Set while the thread shown stops before the newest message (opened around a search hit).
  const [newer, setNewer] = useState<ThreadCursor | null>(null);
  const detached = useRef(false);
  detached.current = newer !== null;
  // Each load that replaces the thread; an answer to an older one is dropped.
  const generation = useRef(0);
  // Events delivered while the newest page is being read: the page may predate them.
  const duringLoad = useRef<ConversationEvent[] | null>(null);
  const loadingNewer = useRef(false);
  const [replyTo, setReplyTo] = useState<MessageView | null>(null);
  const [panel, setPanel] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [overlay, setOverlay] = useState<Overlay | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const keepFromBottom = useRef<number | null>(null);
  // Follow new messages only while the owner is at the bottom (reading older ones stays put).
  const atBottom = useRef(true);
  const previousTop = useRef(0);
  const id = conversation.id;

  // Only the bubbles on screen are in the page; each is measured as it renders.
  const v = useVirtualizer({
    count: messages.length,
    getScrollElement: () => box.current,
    estimateSize: () => BUBBLE_ESTIMATE,
    getItemKey: (i) => messages[i].id,
    overscan: 8,
  });
  const toBottom = useCallback(() => {
    if (messages.length > 0) v.scrollToIndex(messages.length - 1, { align: "end" });
  }, [messages.length, v]);
  const scrollToMessage = useCallback(
    (messageId: number) => {
      const i = messages.findIndex((m) => m.id === messageId);
      if (i >= 0) v.scrollToIndex(i, { align: "center" });
    },
    [messages, v],
  );

  /** The newest page (opening the conversation, or "go to the newest" after a jump back). */
  const loadLatest = useCallback(() => {
    const gen = ++generation.current;
    duringLoad.current = [];
    commands
      .conversationThread(orgId, id, null, THREAD_PAGE)
      .then((p) => {
        if (gen !== generation.current) return;
        const during = duringLoad.current ?? [];
        duringLoad.current = null;
        atBottom.current = true;
        setMessages(threadLoaded(p.messages, id, during));
        setOlder(p.older);
        setNewer(null);
      })
      .catch((e) => {
        // Nothing waits for this page any more: stop keeping events for it.
        if (gen === generation.current) duringLoad.current = null;
        setError(asAppError(e));
      });
  }, [orgId, id]);

  useEffect(() => {
    commands.conversationOpen(orgId, id).catch(() => undefined);
    // Events are applied in batches (once per frame): a burst never re-renders per message.
    const batch = createBatcher<ConversationEvent>((items) => {
      // Whether to follow was decided by the owner's scrolling (onScroll), not by where the box
      // is mid-burst.
      if (detached.current) atBottom.current = false;
      duringLoad.current?.push(...items);
      setMessages((m) => threadApplyAll(m, id, items, { detached: detached.current }));
      if (hasInbound(items, id) && document.hasFocus()) {
        commands.conversationOpen(orgId, id).catch(() => undefined);
      }
    });
    let live = true;
    const off = onEvent(events.conversationEvent, (e) => {
      if (e.org_id === orgId) batch.push(e);
    });
    // The newest page is read once events are heard (a search hit's focus effect loads around
    // it instead).
    const first = () => live && focus === null && loadLatest();
    off.then(first, first);
    // The bus dropped events (a burst bigger than it holds): the newest page again, unless the
    // owner is reading far back (that window pages down from the database anyway).
    const offReload = onEvent(events.conversationsReload, () => {
      if (!detached.current) loadLatest();
    });
    return () => {
      live = false;
      batch.cancel();
      off.then((f) => f());
      offReload.then((f) => f());
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [orgId, id]);

  // Upward pagination without jumps: keep the distance from the bottom across the prepend (the
  // new rows count at their estimate until measured; the virtualizer then corrects the offset of
  // rows above the viewport as they are measured).
  useLayoutEffect(() => {
    const el = box.current;
    if (el && keepFromBottom.current !== null) {
      el.scrollTop = el.scrollHeight - keepFromBottom.current;
      keepFromBottom.current = null;
    } else if (atBottom.current) {
      toBottom();
    }
  }, [messages, toBottom]);

  function onScroll() {
    const el = box.current;
    if (el) {
      atBottom.current = followsAfterScroll(atBottom.current, {
        scrollTop: el.scrollTop,
        previousTop: previousTop.current,
        fromBottom: el.scrollHeight - el.scrollTop - el.clientHeight,
        detached: detached.current,
      });
      previousTop.current = el.scrollTop;
    }
    // Below a jump back: the newer messages, page by page, until the newest.
    if (el && newer && !loadingNewer.current && el.scrollHeight - el.scrollTop - el.clientHeight < 200) {
      loadingNewer.current = true;
      const gen = generation.current;
      commands
        .conversationThreadAfter(orgId, id, newer, THREAD_PAGE)
        .then((p) => {
          if (gen !== generation.current) return;
          setMessages((m) => {
            const known = new Set(m.map((y) => y.id));
            return [...m, ...p.messages.filter((x) => !known.has(x.id))];
          });
          setNewer(p.newer);
        })
        .catch((e) => setError(asAppError(e)))
        .finally(() => (loadingNewer.current = false));
    }
    if (!el || !older || el.scrollTop > 200 || keepFromBottom.current !== null) return;
    keepFromBottom.current = el.scrollHeight - el.scrollTop;
    const cursor = older;
    const gen = generation.current;
    setOlder(null);
    commands
      .conversationThread(orgId, id, cursor, THREAD_PAGE)
      .then((p) => {
        // The thread was replaced meanwhile (a jump to a search hit): this page is not its.
        if (gen !== generation.current) return void (keepFromBottom.current = null);
        setMessages((m) => {
          const known = new Set(m.map((y) => y.id));
          return [...p.messages.filter((x) => !known.has(x.id)), ...m];
        });
        setOlder(p.older);
      })
      .catch((e) => {
        keepFromBottom.current = null;
        setError(asAppError(e));
      });
  }

  // A search hit: scroll to it and highlight it. One older than what is loaded loads the thread
  // around it first (a keyset window in core), newer messages then load as the owner scrolls down.
  const focusLoaded = focus !== null && messages.some((m) => m.id === focus);
  // The hit the thread was last loaded around: "go to the newest" leaves it behind for good.
  const jumpedTo = useRef<number | null>(null);
  useEffect(() => {
    if (focus === null || focusLoaded || jumpedTo.current === focus) return;
    jumpedTo.current = focus;
    const gen = ++generation.current;
    commands
      .conversationThreadAround(orgId, id, focus, THREAD_PAGE)
      .then((w) => {
        if (gen !== generation.current) return;
        if (!w) return loadLatest();
        atBottom.current = false;
        setMessages(w.messages);
        setOlder(w.older);
        setNewer(w.newer);
      })
      .catch((e) => setError(asAppError(e)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focus, focusLoaded]);
  useEffect(() => {
    if (focus === null || !focusLoaded) return;
    atBottom.current = false;
    scrollToMessage(focus);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focus, focusLoaded]);

  const byProvider = useMemo(() => new Map(messages.filter((m) => m.provider_id).map((m) => [m.provider_id!, m])), [messages]);
  const now = new Date();

  async function retry(m: MessageView) {
    try {
      await commands.conversationRetry(orgId, m.id);
    } catch (e) {
      setError(asAppError(e));
    }
  }

  async function react(m: MessageView, emoji: string) {
    try {
      await commands.conversationSend(orgId, {
        conversation_id: id,
        client_key: newKey(),
        content: { type: "reaction", message_id: m.id, emoji },
        reply_to_message_id: null,
      });
    } catch (e) {
      setError(asAppError(e));
    }
  }

  return (
    <div className="thread-pane">
      <header className="thread-header">
        <div>
          <h2 id="thread-name">{conversation.customer_name}</h2>
          <span className="muted small">{conversation.customer_phone_display ?? ""}</span>
        </div>
        <div className="thread-actions">
          <button
            className="secondary"
            id="toggle-resolved"
            onClick={() => commands.conversationSetResolved(orgId, id, conversation.status !== "resuelta").catch((e) => setError(asAppError(e)))}
          >
            {conversation.status === "resuelta" ? t("conv.reopen") : t("conv.resolve")}
          </button>
          <button className="secondary" id="toggle-panel" onClick={() => setPanel((p) => !p)}>
            {t("conv.customer")}
          </button>
        </div>
      </header>
      {error && (
        <p className="field-error" role="alert">
          {errorText(error, lang)}
        </p>
      )}
      <div className="thread-body">
        <div
          className="thread"
          ref={box}
          onScroll={onScroll}
          id="thread"
          data-messages={messages.length}
          data-first={messages[0]?.id ?? ""}
          data-last={messages[messages.length - 1]?.id ?? ""}
          data-detached={newer ? "true" : "false"}
        >
          <div style={{ height: v.getTotalSize(), position: "relative", width: "100%" }}>
            {v.getVirtualItems().map((it) => {
              const m = messages[it.index];
              const i = it.index;
              return (
                <div
                  key={it.key}
                  data-index={i}
                  ref={v.measureElement}
                  className="thread-row"
                  style={{ position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${it.start}px)` }}
                >
                  {startsDay(messages, i) && <div className="day-separator">{daySeparator(m.at, now, lang)}</div>}
                  <Bubble
                    orgId={orgId}
                    m={m}
                    quoted={m.reply_to_provider_id ? byProvider.get(m.reply_to_provider_id) ?? null : null}
                    highlighted={m.id === focus}
                    onRetry={() => retry(m)}
                    onReply={() => setReplyTo(m)}
                    onReact={(e) => react(m, e)}
                    onQuoted={scrollToMessage}
                    onEnlarge={setOverlay}
                  />
                </div>
              );
            })}
          </div>
        </div>
        {panel && <CustomerPanel orgId={orgId} conversation={conversation} />}
        {newer && (
          <button className="secondary small thread-latest" id="thread-latest" onClick={loadLatest}>
            {t("conv.toLatest")}
          </button>
        )}
      </div>
      <Composer orgId={orgId} conversation={conversation} replyTo={replyTo} onReplyDone={() => setReplyTo(null)} />
      {overlay && <MediaOverlay overlay={overlay} onClose={() => setOverlay(null)} />}
    </div>
  );
}

type Overlay = { kind: "image" | "video"; src: string; messageId: number };

/** An image or a video at full size over the window; Escape or a click outside closes it. */
function MediaOverlay({ overlay, onClose }: { overlay: Overlay; onClose: () => void }) {
  const t = useT();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="media-overlay" id="media-overlay" role="dialog" aria-modal="true" onClick={onClose}>
      <div className="media-overlay-body" onClick={(e) => e.stopPropagation()}>
        {overlay.kind === "image" ? (
          <img src={overlay.src} alt={t("conv.kind.image")} />
        ) : (
          <video src={overlay.src} controls autoPlay />
        )}
      </div>
      <button className="media-overlay-close" id="media-overlay-close" onClick={onClose} aria-label={t("conv.media.close")}>
        ×
      </button>
    </div>
  );
}

function Bubble({
  orgId,
  m,
  quoted,
  highlighted,
  onRetry,
  onReply,
  onReact,
  onQuoted,
  onEnlarge,
}: {
  orgId: string;
  m: MessageView;
  quoted: MessageView | null;
  highlighted: boolean;
  onRetry: () => void;
  onReply: () => void;
  onReact: (emoji: string) => void;
  onQuoted: (messageId: number) => void;
  onEnlarge: (o: Overlay) => void;
}) {
  const t = useT();
  const tick = tickFor(m.status);
  const cls = m.kind === "note" ? "note" : m.direction === "in" ? "in" : "out";
  return (
    <div id={`msg-${m.id}`} className={`bubble ${cls}${highlighted ? " highlighted" : ""}`} data-status={m.status} data-kind={m.kind}>
      {quoted && (
        <button className="quoted link" onClick={() => onQuoted(quoted.id)}>
          {kindIcon(quoted.kind)} {(quoted.text ?? quoted.filename ?? "").slice(0, 80)}
        </button>
      )}
      {m.kind === "note" && <div className="note-label small">{t("conv.note")}</div>}
      <BubbleBody orgId={orgId} m={m} onEnlarge={onEnlarge} />
      <div className="bubble-meta small">
        <span className="muted">{formatBubbleTime(m.at)}</span>
        {tick.symbol && (
          <span className={`tick tone-${tick.tone}`} aria-label={tick.label ? t(tick.label) : undefined} title={tick.label ? t(tick.label) : undefined}>
            {tick.symbol}
          </span>
        )}
      </div>
      {m.status === "failed" && (
        <div className="failed-reason" role="alert">
          <span>{m.error_reason ?? t("ticks.failed")}</span>
          <button className="link" onClick={onRetry}>
            {t("conv.retry")}
          </button>
        </div>
      )}
      {m.reactions.length > 0 && (
        <div className="reactions">{m.reactions.map((r) => <span key={r.reactor}>{r.emoji}</span>)}</div>
      )}
      {m.kind !== "note" && m.provider_id && (
        <div className="bubble-tools">
          <button className="link small" onClick={onReply}>
            {t("conv.reply")}
          </button>
          {["👍", "❤️", "😂", "🙏"].map((e) => (
            <button key={e} className="link small" onClick={() => onReact(e)} aria-label={t("conv.react")}>
              {e}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/** A message's content by type; customer text is always text (React escapes it), never HTML. */
function BubbleBody({ orgId, m, onEnlarge }: { orgId: string; m: MessageView; onEnlarge: (o: Overlay) => void }) {
  const t = useT();
  const data = (m.data ?? {}) as Record<string, unknown>;
  const text = m.text ?? "";
  switch (m.kind) {
    case "text":
    case "note":
      return <Text text={text} />;
    case "image":
    case "video":
    case "audio":
    case "voice":
    case "sticker":
    case "document":
      return (
        <div>
          <Media orgId={orgId} m={m} onEnlarge={onEnlarge} />
          {text && <Text text={text} />}
        </div>
      );
    case "location": {
      const lat = Number(data.latitude);
      const lon = Number(data.longitude);
      const ok = Number.isFinite(lat) && Number.isFinite(lon);
      return (
        <div>
          📍 {String(data.name ?? t("conv.kind.location"))}
          {ok && <Text text={` https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}`} />}
        </div>
      );
    }
    case "contacts":
      return <div>👤 {text || t("conv.kind.contacts")}</div>;
    case "button_reply":
    case "list_reply":
    case "flow_reply":
    case "template_button":
      return <div className="interactive">↩︎ {text}</div>;
    case "template":
      // A template with a document header (an invoice's PDF) names the file it carried.
      return (
        <>
          {m.filename && <div className="file-name template-document">📄 {m.filename}</div>}
          <Text text={text} />
        </>
      );
    case "unsupported":
      return <div className="muted">{t("conv.unsupported")}</div>;
    default:
      return text ? <Text text={text} /> : <div className="muted">{t("conv.unsupported")}</div>;
  }
}

/** Where each message's file is (asked once per message and download state, not per render). */
const locations = new Map<string, MediaLocation | null>();

/**
 * A message's media: image, sticker and video previews (image and video open full size),
 * audio and voice notes played in place, otherwise a file card (name, size, "Abrir <tipo>"
 * when the OS may open it); "descargando" while the download is pending.
 */
function Media({ orgId, m, onEnlarge }: { orgId: string; m: MessageView; onEnlarge: (o: Overlay) => void }) {
  const t = useT();
  const lang = useLanguage();
  const state = m.media?.state ?? "pending";
  const cacheKey = `${orgId}/${m.id}/${state}`;
  const [loc, setLoc] = useState<MediaLocation | null | undefined>(() => locations.get(cacheKey));
  const [openError, setOpenError] = useState<AppError | null>(null);
  useEffect(() => {
    if (!m.media || state === "pending" || locations.has(cacheKey)) return setLoc(locations.get(cacheKey));
    let live = true;
    commands
      .messageMedia(orgId, m.id)
      .then((l) => {
        locations.set(cacheKey, l);
        if (live) setLoc(l);
      })
      .catch(() => live && setLoc(null));
    return () => {
      live = false;
    };
  }, [orgId, m.id, state, cacheKey]);

  const label = `${kindIcon(m.kind)} ${m.kind === "document" ? m.filename ?? t("conv.kind.document") : t(`conv.kind.${m.kind}` as "conv.kind.image")}`;
  // Our own files are stored at send time (previewed at once); one sent without a stored copy
  // has no media row: its name only, never "descargando".
  if (!m.media || (state !== "pending" && loc === undefined)) return <div className="media-label">{label}</div>;
  const preview = previewFor(m.kind, m.media, loc ?? null);
  const src = loc?.path ? convertFileSrc(loc.path) : "";
  switch (preview) {
    case "pending":
      return (
        <div className="media-label" id={`media-pending-${m.id}`} data-preview="pending">
          {label} <span className="muted small">{t("conv.media.pending")}</span>
        </div>
      );
    case "image":
      return (
        <button className="media-thumb" id={`media-preview-${m.id}`} data-preview="image" onClick={() => onEnlarge({ kind: "image", src, messageId: m.id })} title={t("conv.media.enlarge")}>
          <img src={src} alt={t("conv.kind.image")} loading="lazy" />
        </button>
      );
    case "sticker":
      return <img className="sticker" id={`media-preview-${m.id}`} data-preview="sticker" src={src} alt={t("conv.kind.sticker")} loading="lazy" />;
    case "video":
      return (
        <button className="media-thumb video" id={`media-preview-${m.id}`} data-preview="video" onClick={() => onEnlarge({ kind: "video", src, messageId: m.id })} title={t("conv.media.enlarge")}>
          <video src={src} preload="metadata" muted />
          <span className="play" aria-hidden="true">▶</span>
        </button>
      );
    case "audio":
      return (
        <div className="media-audio" data-preview="audio">
          <div className="media-label small">{label}</div>
          <audio id={`media-preview-${m.id}`} src={src} controls preload="metadata" />
        </div>
      );
    case "failed":
    case "file": {
      const type = docTypeName(loc?.mime_type ?? m.media?.mime_type ?? null);
      const size = loc?.size_bytes ?? m.media?.size_bytes ?? null;
      const canOpen = preview === "file" && Boolean(loc?.path) && type !== null;
      return (
        <div className="file-card" id={`media-file-${m.id}`} data-preview={preview}>
          <div className="file-name">{m.kind === "document" ? `📄 ${loc?.filename ?? m.filename ?? t("conv.kind.document")}` : label}</div>
          <div className="muted small">
            {[type, size !== null ? formatSize(size, lang) : null].filter(Boolean).join(" · ")}
          </div>
          {preview === "failed" && <div className="muted small">{loc?.error ?? t("conv.media.failed")}</div>}
          {loc?.state === "too_large" && <div className="muted small">{t("conv.media.tooLarge")}</div>}
          {preview === "file" && loc?.path && type === null && <div className="muted small">{t("conv.media.notOpened")}</div>}
          {canOpen && (
            <button
              className="secondary small"
              id={`media-open-${m.id}`}
              onClick={() =>
                commands
                  .openMedia(orgId, m.id)
                  .then(() => setOpenError(null))
                  .catch((e) => setOpenError(asAppError(e)))
              }
            >
              {t("conv.media.open", { type: type ?? "" })}
            </button>
          )}
          {openError && <p className="field-error small">{errorText(openError, lang)}</p>}
        </div>
      );
    }
  }
}

/**
 * Customer text with its http(s) links shown by host: a click opens the system browser (a
 * command that checks the scheme again); there is no href, so the webview never navigates.
 */
function Text({ text }: { text: string }) {
  const segments = useMemo(() => linkify(text), [text]);
  return (
    <div className="bubble-text">
      {segments.map((s, i) =>
        s.kind === "text" ? (
          <span key={i}>{s.text}</span>
        ) : (
          <a
            key={i}
            role="link"
            tabIndex={0}
            className="ext-link"
            data-href={s.href}
            title={s.href}
            onClick={(e) => {
              e.preventDefault();
              commands.openLink(s.href).catch(() => undefined);
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter") commands.openLink(s.href).catch(() => undefined);
            }}
          >
            {s.host}
          </a>
        ),
      )}
    </div>
  );
}

function Composer({
  orgId,
  conversation,
  replyTo,
  onReplyDone,
}: {
  orgId: string;
  conversation: ConversationSummary;
  replyTo: MessageView | null;
  onReplyDone: () => void;
}) {
  const t = useT();
  const lang = useLanguage();
  const [s, dispatch] = useReducer(composerReduce, undefined, () => composerInit(newKey()));
  const [quick, setQuick] = useState<QuickReply[]>([]);
  const [note, setNote] = useState(false);
  const [now, setNow] = useState(() => new Date());
  const [attachError, setAttachError] = useState<string | null>(null);
  const [attachPath, setAttachPath] = useState("");
  const [picker, setPicker] = useState(false);
  const [smsPicked, setSmsPicked] = useState(false);
  const [measure, setMeasure] = useState<SmsMeasure | null>(null);
  const w = windowState(conversation.window_open_until, now);
  const sms = composesSms(conversation.channel, smsPicked) && !note;

  // The SMS measure (core's counter, one source of truth) while typing, after a short pause.
  useEffect(() => {
    if (!sms) return setMeasure(null);
    let live = true;
    const timer = setTimeout(() => {
      commands.measureSms(s.text).then((m) => live && setMeasure(m)).catch(() => undefined);
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [sms, s.text]);

  // The countdown ticks once a minute only while it is shown (a clock, not data polling).
  useEffect(() => {
    if (!w.open) return;
    const timer = setInterval(() => setNow(new Date()), 60_000);
    return () => clearInterval(timer);
  }, [w.open]);

  useEffect(() => {
    commands.quickRepliesList(orgId).then(setQuick).catch(() => undefined);
  }, [orgId]);

  const q = quickReplyQuery(s.text);
  const suggestions = q === null ? [] : quick.filter((r) => r.shortcut.startsWith(q)).slice(0, 8);

  async function send() {
    if (s.phase === "sending" || !s.text.trim()) return;
    dispatch({ type: "send" });
    try {
      if (note) {
        await commands.conversationAddNote(orgId, conversation.id, s.key, s.text);
      } else if (sms) {
        await commands.conversationSendSms(orgId, conversation.customer_id, s.key, s.text);
      } else {
        await commands.conversationSend(orgId, {
          conversation_id: conversation.id,
          client_key: s.key,
          content: { type: "text", body: s.text },
          reply_to_message_id: replyTo?.id ?? null,
        });
        onReplyDone();
      }
      dispatch({ type: "sent", newKey: newKey() });
    } catch (raw) {
      const e = asAppError(raw);
      dispatch({ type: "refused", error: { code: e.code, message: errorText(e, lang) } });
    }
  }

  async function attach(path: string): Promise<boolean> {
    const name = path.split(/[\\/]/).pop() ?? path;
    const mime = mimeFor(name);
    if (!mime) {
      setAttachError(t("attach.badType"));
      return false;
    }
    setAttachError(null);
    try {
      await commands.conversationSend(orgId, {
        conversation_id: conversation.id,
        client_key: newKey(),
        content: { type: "media", path, mime_type: mime, caption: null, filename: name },
        reply_to_message_id: null,
      });
      return true;
    } catch (raw) {
      setAttachError(errorText(asAppError(raw), lang));
      return false;
    }
  }

  // Files dropped on the window arrive with their paths (Tauri's drag-and-drop).
  useEffect(() => {
    let off: (() => void) | undefined;
    import("@tauri-apps/api/webview")
      .then(({ getCurrentWebview }) =>
        getCurrentWebview().onDragDropEvent((e) => {
          if (e.payload.type === "drop" && e.payload.paths[0] && !note) attach(e.payload.paths[0]);
        }),
      )
      .then((f) => (off = f))
      .catch(() => undefined);
    return () => off?.();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [conversation.id, note]);

  // The 24 h window is WhatsApp's: an SMS goes out any time.
  const closed = !w.open && !note && !sms;
  const optedOut = conversation.customer_opted_out && !note && !sms;
  const picker_ = (
    <TemplatePicker
      orgId={orgId}
      customerId={conversation.customer_id}
      context={{ customer_name: conversation.customer_name }}
      onSent={() => setPicker(false)}
      onCancel={closed ? undefined : () => setPicker(false)}
    />
  );
  const line = measure ? smsLine(measure) : null;
  return (
    <div className={`composer${note ? " note-mode" : ""}${sms ? " sms-mode" : ""}`} id="composer">
      {closed && (
        <div className="window-closed" id="window-closed" role="status">
          {t(conversation.window_closed_at ? "conv.window.closed" : "conv.window.never", { name: conversation.customer_name })}
          {/* Plantillas: the only thing WhatsApp accepts now. */}
          <div id="template-picker-slot">{picker_}</div>
        </div>
      )}
      {!closed && picker && !note && !sms && <div id="template-picker-slot-open">{picker_}</div>}
      {optedOut && <div className="window-closed" role="status">{t("conv.optedOut", { name: conversation.customer_name })}</div>}
      {w.open && w.showCountdown && !note && (
        <div className="countdown small" id="window-countdown">
          {t("conv.window.left", { left: formatRemaining(w.remainingMs, lang) })}
        </div>
      )}
      {replyTo && !note && (
        <div className="replying small">
          {t("conv.replyingTo")} “{(replyTo.text ?? replyTo.filename ?? "").slice(0, 60)}”
          <button className="link" onClick={onReplyDone}>×</button>
        </div>
      )}
      {s.phase === "refused" && (
        <p className="field-error" role="alert" id="composer-error">
          {s.error.message}
        </p>
      )}
      {attachError && <p className="field-error" role="alert">{attachError}</p>}
      {suggestions.length > 0 && (
        <ul className="quick-replies">
          {suggestions.map((r) => (
            <li key={r.id} onClick={() => dispatch({ type: "edit", text: r.body })}>
              <strong>/{r.shortcut}</strong> <span className="muted">{r.body.slice(0, 60)}</span>
            </li>
          ))}
        </ul>
      )}
      {line && (
        <div className={`sms-measure small cost-${line.cost}`} id="sms-segments" data-segments={line.segments} data-encoding={measure?.encoding}>
          {t("conv.sms.segments", { n: String(line.segments), encoding: line.encoding, per: String(line.perSegment) })}
          {" · "}
          <span id="sms-cost">{line.cost === "none" ? "" : t(`conv.sms.cost.${line.cost}`, { n: String(line.segments) })}</span>
          {line.encoding === "UCS-2" && <div className="muted">{t("conv.sms.ucs2")}</div>}
        </div>
      )}
      <div className="composer-row">
        <div className="composer-modes">
          <label className="check small">
            <input type="checkbox" checked={note} onChange={(e) => setNote(e.target.checked)} id="note-mode" />
            {t("conv.noteMode")}
          </label>
          {conversation.channel !== "sms" && conversation.customer_phone_display && !note && (
            <label className="check small">
              <input type="checkbox" checked={smsPicked} onChange={(e) => setSmsPicked(e.target.checked)} id="sms-mode" />
              {t("conv.sms.pick")}
            </label>
          )}
          {!closed && !note && !sms && (
            <button className="secondary small" id="template-picker-open" aria-expanded={picker} onClick={() => setPicker((p) => !p)}>
              {t("conv.tpl.open")}
            </button>
          )}
        </div>
        <textarea
          id="composer-input"
          rows={2}
          value={s.text}
          disabled={closed || optedOut}
          placeholder={note ? t("conv.notePlaceholder") : sms ? t("conv.sms.placeholder") : t("conv.placeholder")}
          onChange={(e) => dispatch({ type: "edit", text: e.target.value })}
          onKeyDown={(e) => {
            if (isSendKey({ key: e.key, shiftKey: e.shiftKey, isComposing: e.nativeEvent.isComposing })) {
              e.preventDefault();
              if (suggestions.length > 0) dispatch({ type: "edit", text: suggestions[0].body });
              else send();
            }
          }}
        />
        <button id="composer-send" disabled={closed || optedOut || s.phase === "sending" || !s.text.trim()} onClick={send}>
          {note ? t("conv.saveNote") : t("conv.send")}
        </button>
      </div>
      {/* The keys and how to attach, under the box: in the placeholder they were cut at 1280×800. */}
      {!closed && (
        <p className="hint composer-hint">
          {t("conv.keysHint")}
          {!note && !sms && <> · {t("conv.attachHint")}</>}
        </p>
      )}
      {!closed && !optedOut && !note && !sms && (
        // The file's path typed or pasted: the same send as a file dropped on the window.
        <details className="attach-path small" id="composer-attach">
          <summary>{t("conv.attach.byPath")}</summary>
          <input
            id="composer-attach-path"
            spellCheck={false}
            placeholder={t("conv.attach.pathPlaceholder")}
            value={attachPath}
            onChange={(e) => setAttachPath(e.target.value)}
          />
          <button
            id="composer-attach-send"
            className="secondary small"
            disabled={!attachPath.trim()}
            onClick={() => attach(attachPath.trim()).then((ok) => ok && setAttachPath(""))}
          >
            {t("conv.attach.send")}
          </button>
        </details>
      )}
    </div>
  );
}

function CustomerPanel({ orgId, conversation }: { orgId: string; conversation: ConversationSummary }) {
  const t = useT();
  const lang = useLanguage();
  const [name, setName] = useState("");
  const [notes, setNotes] = useState("");
  const [email, setEmail] = useState("");
  const [first, setFirst] = useState<string | null>(null);
  const [labels, setLabels] = useState(conversation.labels.join(", "));
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  useEffect(() => {
    commands
      .customerGet(orgId, conversation.customer_id)
      .then((c) => {
        if (!c) return;
        setName(c.owner_name ?? c.name ?? "");
        setNotes(c.notes);
        setEmail(c.email ?? "");
        setFirst(c.first_contact_at);
      })
      .catch((e) => setError(asAppError(e)));
  }, [orgId, conversation.customer_id]);
  async function save() {
    try {
      await commands.customerUpdate(orgId, conversation.customer_id, name, notes);
      await commands.customerSetEmail(orgId, conversation.customer_id, email.trim() || null);
      await commands.conversationSetLabels(
        orgId,
        conversation.id,
        labels.split(",").map((l) => l.trim()).filter(Boolean),
      );
      setSaved(true);
    } catch (e) {
      setError(asAppError(e));
    }
  }
  return (
    <aside className="customer-panel" id="customer-panel">
      <label>
        {t("conv.customer.name")}
        <input value={name} onChange={(e) => (setName(e.target.value), setSaved(false))} id="customer-name" />
      </label>
      <p className="small">
        {t("conv.customer.number")}: {conversation.customer_phone_display ?? conversation.customer_username ?? "—"}
      </p>
      <p className="small">
        {t("conv.customer.first")}: {first ? new Date(first).toLocaleDateString(lang === "es" ? "es-AR" : "en") : "—"}
      </p>
      <label>
        {t("conv.customer.email")}
        <input type="email" value={email} onChange={(e) => (setEmail(e.target.value), setSaved(false))} id="customer-email" />
      </label>
      {conversation.customer_opted_out_marketing && <p className="small risk">{t("conv.customer.noMarketing")}</p>}
      <label>
        {t("conv.labels")}
        <input value={labels} onChange={(e) => (setLabels(e.target.value), setSaved(false))} id="customer-labels" />
      </label>
      <label>
        {t("conv.customer.notes")}
        <textarea value={notes} onChange={(e) => (setNotes(e.target.value), setSaved(false))} rows={4} />
      </label>
      <button onClick={save} id="customer-save">{saved ? t("conv.saved") : t("conv.save")}</button>
      {/* Facturas → Nueva with this customer (App switches the page). */}
      <button
        id="customer-invoice"
        onClick={() =>
          window.dispatchEvent(
            new CustomEvent(INVOICE_FOR, { detail: { id: String(conversation.customer_id), name: name || conversation.customer_name } }),
          )
        }
      >
        {t("conv.customer.invoice")}
      </button>
      <CustomerPayments orgId={orgId} customerId={conversation.customer_id} />
      {error && <p className="field-error">{errorText(error, lang)}</p>}
    </aside>
  );
}
