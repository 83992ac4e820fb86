import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "react";
import { INVOICE_FOR } from "../invoices/events";
import "./conversations.css";
import type { KeyboardEvent as ReactKeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { asAppError } from "../api";
import {
  commands,
  events,
  onEvent,
  type AppError,
  type ConversationSummary,
  type ListCursor,
  type ListFilter,
  type MessageView,
  type QuickReply,
  type SearchHit,
  type ThreadCursor,
} from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { TemplatePicker } from "../templates";
import {
  composerInit,
  composerReduce,
  daySeparator,
  formatBubbleTime,
  formatListTime,
  formatRemaining,
  formatSize,
  isSendKey,
  kindIcon,
  linkify,
  listApply,
  mimeFor,
  quickReplyQuery,
  startsDay,
  threadApply,
  tickFor,
  windowState,
} from "./model";

const LIST_PAGE = 100;
const THREAD_PAGE = 50;
const ROW_HEIGHT = 64;

const newKey = () => crypto.randomUUID();
const SOUND_KEY = "mostrador.conversations.sound";

/** A short soft tone for a new customer message while the window is in the background. */
function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
    osc.onended = () => ctx.close();
  } catch {
    // No audio device: silence is fine.
  }
}

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

  const load = useCallback(() => {
    commands
      .conversationsList(orgId, filter, null, LIST_PAGE)
      .then((p) => {
        setList(p.conversations);
        setNext(p.next);
      })
      .catch((e) => setError(asAppError(e)));
  }, [orgId, filter]);

  useEffect(load, [load]);

  const [sound, setSound] = useState(() => localStorage.getItem(SOUND_KEY) === "on");
  const soundRef = useRef(sound);
  soundRef.current = sound;

  useEffect(() => {
    const off = onEvent(events.conversationEvent, (e) => {
      if (e.org_id !== orgId) return;
      if (soundRef.current && e.kind === "new_message" && e.message.direction === "in" && !document.hasFocus()) beep();
      setList((l) => {
        const next = listApply(l, e);
        // A row that no longer matches the filter leaves the list.
        return next.filter((c) => matches(c, filter));
      });
    });
    const offReload = onEvent(events.conversationsReload, () => load());
    return () => {
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
        <label className="check small sound-toggle">
          <input
            type="checkbox"
            checked={sound}
            onChange={(e) => {
              setSound(e.target.checked);
              localStorage.setItem(SOUND_KEY, e.target.checked ? "on" : "off");
            }}
          />
          {t("conv.sound")}
        </label>
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
  const [replyTo, setReplyTo] = useState<MessageView | null>(null);
  const [panel, setPanel] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const keepFromBottom = useRef<number | null>(null);
  const id = conversation.id;

  useEffect(() => {
    commands
      .conversationThread(orgId, id, null, THREAD_PAGE)
      .then((p) => {
        setMessages(p.messages);
        setOlder(p.older);
        requestAnimationFrame(() => box.current?.scrollTo({ top: box.current.scrollHeight }));
      })
      .catch((e) => setError(asAppError(e)));
    commands.conversationOpen(orgId, id).catch(() => undefined);
    const off = onEvent(events.conversationEvent, (e) => {
      if (e.org_id !== orgId) return;
      setMessages((m) => threadApply(m, id, e));
      if (e.kind === "new_message" && e.message.conversation_id === id && e.message.direction === "in" && document.hasFocus()) {
        commands.conversationOpen(orgId, id).catch(() => undefined);
      }
    });
    return () => {
      off.then((f) => f());
    };
  }, [orgId, id]);

  // Upward pagination without jumps: keep the distance from the bottom across the prepend.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && keepFromBottom.current !== null) {
      el.scrollTop = el.scrollHeight - keepFromBottom.current;
      keepFromBottom.current = null;
    }
  }, [messages]);

  function onScroll() {
    const el = box.current;
    if (!el || !older || el.scrollTop > 200 || keepFromBottom.current !== null) return;
    keepFromBottom.current = el.scrollHeight - el.scrollTop;
    const cursor = older;
    setOlder(null);
    commands
      .conversationThread(orgId, id, cursor, THREAD_PAGE)
      .then((p) => {
        setMessages((m) => [...p.messages.filter((x) => !m.some((y) => y.id === x.id)), ...m]);
        setOlder(p.older);
      })
      .catch((e) => setError(asAppError(e)));
  }

  // A search hit: scroll to it and highlight it.
  useEffect(() => {
    if (focus === null) return;
    const el = document.getElementById(`msg-${focus}`);
    el?.scrollIntoView({ block: "center" });
  }, [focus, messages]);

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
        <div className="thread" ref={box} onScroll={onScroll} id="thread">
          {messages.map((m, i) => (
            <div key={m.id}>
              {startsDay(messages, i) && <div className="day-separator">{daySeparator(m.at, now, lang)}</div>}
              <Bubble
                m={m}
                quoted={m.reply_to_provider_id ? byProvider.get(m.reply_to_provider_id) ?? null : null}
                highlighted={m.id === focus}
                onRetry={() => retry(m)}
                onReply={() => setReplyTo(m)}
                onReact={(e) => react(m, e)}
              />
            </div>
          ))}
        </div>
        {panel && <CustomerPanel orgId={orgId} conversation={conversation} />}
      </div>
      <Composer orgId={orgId} conversation={conversation} replyTo={replyTo} onReplyDone={() => setReplyTo(null)} />
    </div>
  );
}

function Bubble({
  m,
  quoted,
  highlighted,
  onRetry,
  onReply,
  onReact,
}: {
  m: MessageView;
  quoted: MessageView | null;
  highlighted: boolean;
  onRetry: () => void;
  onReply: () => void;
  onReact: (emoji: string) => void;
}) {
  const t = useT();
  const lang = useLanguage();
  const tick = tickFor(m.status);
  const cls = m.kind === "note" ? "note" : m.direction === "in" ? "in" : "out";
  return (
    <div id={`msg-${m.id}`} className={`bubble ${cls}${highlighted ? " highlighted" : ""}`} data-status={m.status} data-kind={m.kind}>
      {quoted && (
        <button
          className="quoted link"
          onClick={() => document.getElementById(`msg-${quoted.id}`)?.scrollIntoView({ block: "center" })}
        >
          {kindIcon(quoted.kind)} {(quoted.text ?? quoted.filename ?? "").slice(0, 80)}
        </button>
      )}
      {m.kind === "note" && <div className="note-label small">{t("conv.note")}</div>}
      <BubbleBody m={m} />
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
      {m.media?.size_bytes ? <span className="muted small">{formatSize(m.media.size_bytes, lang)}</span> : null}
    </div>
  );
}

/** A message's content by type; customer text is always text (React escapes it), never HTML. */
function BubbleBody({ m }: { m: MessageView }) {
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
          <div className="media-label">
            {kindIcon(m.kind)} {m.kind === "document" ? m.filename ?? t("conv.kind.document") : t(`conv.kind.${m.kind}` as "conv.kind.image")}
          </div>
          {m.media?.state === "pending" && <div className="muted small">{t("conv.media.pending")}</div>}
          {m.media?.state === "failed" && <div className="muted small">{t("conv.media.failed")}</div>}
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
    case "unsupported":
      return <div className="muted">{t("conv.unsupported")}</div>;
    default:
      return text ? <Text text={text} /> : <div className="muted">{t("conv.unsupported")}</div>;
  }
}

function Text({ text }: { text: string }) {
  const segments = useMemo(() => linkify(text), [text]);
  return (
    <div className="bubble-text">
      {segments.map((s, i) =>
        s.kind === "text" ? (
          <span key={i}>{s.text}</span>
        ) : (
          <a key={i} href={s.href} target="_blank" rel="noopener noreferrer" title={s.href}>
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
  const w = windowState(conversation.window_open_until, now);

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

  const closed = !w.open && !note;
  const optedOut = conversation.customer_opted_out && !note;
  return (
    <div className={`composer${note ? " note-mode" : ""}`} id="composer">
      {closed && (
        <div className="window-closed" id="window-closed" role="status">
          {t(conversation.window_closed_at ? "conv.window.closed" : "conv.window.never", { name: conversation.customer_name })}
          <div id="template-picker-slot">
            <TemplatePicker orgId={orgId} customerId={conversation.customer_id} context={{ customer_name: conversation.customer_name }} />
          </div>
        </div>
      )}
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
      <div className="composer-row">
        <label className="check small">
          <input type="checkbox" checked={note} onChange={(e) => setNote(e.target.checked)} id="note-mode" />
          {t("conv.noteMode")}
        </label>
        <textarea
          id="composer-input"
          rows={2}
          value={s.text}
          disabled={closed || optedOut}
          placeholder={note ? t("conv.notePlaceholder") : t("conv.placeholder")}
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
      {!closed && !note && <p className="hint">{t("conv.attachHint")}</p>}
      {!closed && !optedOut && !note && (
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
        setFirst(c.first_contact_at);
      })
      .catch((e) => setError(asAppError(e)));
  }, [orgId, conversation.customer_id]);
  async function save() {
    try {
      await commands.customerUpdate(orgId, conversation.customer_id, name, notes);
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
            new CustomEvent(INVOICE_FOR, { detail: { id: conversation.customer_id, name: name || conversation.customer_name } }),
          )
        }
      >
        {t("conv.customer.invoice")}
      </button>
      {error && <p className="field-error">{errorText(error, lang)}</p>}
    </aside>
  );
}
