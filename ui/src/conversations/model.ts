// Pure logic of the Conversaciones page: ticks from a status, the 24 h window countdown, es-AR
// times, links in customer text, the composer's state, and the reducers that keep the list and
// the thread current from the core's events (no polling).
import type {
  ConversationEvent,
  ConversationSummary,
  Language,
  MediaLocation,
  MediaView,
  MessageStatus,
  MessageView,
  SmsMeasure,
} from "../bindings";

// ---------------------------------------------------------------------------------- ticks

export type TickTone = "muted" | "read" | "failed";

export interface Tick {
  /** What is drawn: 🕓 pending, ✓ sent, ✓✓ delivered/read, ⚠ failed; "" for inbound. */
  symbol: string;
  tone: TickTone;
  /** i18n key of its accessible label. */
  label: "ticks.pending" | "ticks.sent" | "ticks.delivered" | "ticks.read" | "ticks.failed" | "";
}

export function tickFor(status: MessageStatus): Tick {
  switch (status) {
    case "received":
      return { symbol: "", tone: "muted", label: "" };
    case "pending":
    case "queued":
      return { symbol: "🕓", tone: "muted", label: "ticks.pending" };
    case "sent":
      return { symbol: "✓", tone: "muted", label: "ticks.sent" };
    case "delivered":
      return { symbol: "✓✓", tone: "muted", label: "ticks.delivered" };
    case "read":
    case "played":
      return { symbol: "✓✓", tone: "read", label: "ticks.read" };
    case "failed":
      return { symbol: "⚠", tone: "failed", label: "ticks.failed" };
  }
}

const RANK: Record<MessageStatus, number> = {
  received: 0,
  pending: 0,
  queued: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  played: 5,
  failed: -1,
};

/**
 * The status to show after `incoming` (same rule as the core): ticks never go backwards; failed
 * is kept unless delivery is proven; a "pending" after failed is a retry and is taken.
 */
export function mergeStatus(current: MessageStatus, incoming: MessageStatus): MessageStatus {
  if (incoming === "received") return current;
  if (current === "failed") {
    return incoming === "pending" || RANK[incoming] >= RANK.delivered ? incoming : current;
  }
  if (incoming === "failed") return RANK[current] >= RANK.delivered ? current : "failed";
  return RANK[incoming] > RANK[current] ? incoming : current;
}

// ---------------------------------------------------------------------------------- window

export interface WindowState {
  open: boolean;
  /** Milliseconds left while open. */
  remainingMs: number;
  /** Shown under 2 h. */
  showCountdown: boolean;
}

const TWO_HOURS = 2 * 3600 * 1000;

export function windowState(openUntil: string | null, now: Date): WindowState {
  if (!openUntil) return { open: false, remainingMs: 0, showCountdown: false };
  const left = Date.parse(openUntil) - now.getTime();
  if (!(left > 0)) return { open: false, remainingMs: 0, showCountdown: false };
  return { open: true, remainingMs: left, showCountdown: left < TWO_HOURS };
}

/** "1 h 05 min", "12 min", "menos de 1 min". */
export function formatRemaining(ms: number, lang: Language): string {
  const mins = Math.floor(ms / 60000);
  if (mins < 1) return lang === "es" ? "menos de 1 min" : "less than 1 min";
  const h = Math.floor(mins / 60);
  const m = mins % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min`;
}

// ---------------------------------------------------------------------------------- times

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function hhmm(d: Date): string {
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** The list's time: "hoy 14:32", "ayer", "12/11" (local time; en: "today 14:32", "yesterday", "11/12"). */
export function formatListTime(at: string, now: Date, lang: Language): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return "";
  if (sameDay(d, now)) return `${lang === "es" ? "hoy" : "today"} ${hhmm(d)}`;
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return lang === "es" ? "ayer" : "yesterday";
  const dd = String(d.getDate()).padStart(2, "0");
  const mm = String(d.getMonth() + 1).padStart(2, "0");
  const date = lang === "es" ? `${dd}/${mm}` : `${mm}/${dd}`;
  return d.getFullYear() === now.getFullYear() ? date : `${date}/${d.getFullYear()}`;
}

/** A bubble's time: "14:32". */
export function formatBubbleTime(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? "" : hhmm(d);
}

/** The day separator: "Hoy", "Ayer", "martes 12 de noviembre" (es-AR). */
export function daySeparator(at: string, now: Date, lang: Language): string {
  const d = new Date(at);
  if (sameDay(d, now)) return lang === "es" ? "Hoy" : "Today";
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return lang === "es" ? "Ayer" : "Yesterday";
  return d.toLocaleDateString(lang === "es" ? "es-AR" : "en", {
    weekday: "long",
    day: "numeric",
    month: "long",
    ...(d.getFullYear() === now.getFullYear() ? {} : { year: "numeric" }),
  });
}

/** Whether a day separator goes before message `i` (its local day differs from the previous). */
export function startsDay(messages: { at: string }[], i: number): boolean {
  if (i === 0) return true;
  return !sameDay(new Date(messages[i - 1].at), new Date(messages[i].at));
}

// ---------------------------------------------------------------------------------- links

export type Segment = { kind: "text"; text: string } | { kind: "link"; href: string; host: string };

/** Splits customer text into plain text and http(s) links (never anything else, never HTML). */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  const re = /\bhttps?:\/\/[^\s<>"']+/gi;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const raw = m[0].replace(/[.,;:!?)\]]+$/, "");
    let host: string | null = null;
    try {
      const u = new URL(raw);
      if (u.protocol === "http:" || u.protocol === "https:") host = u.host;
    } catch {
      host = null;
    }
    if (!host) continue;
    const start = m.index ?? 0;
    if (start > last) out.push({ kind: "text", text: text.slice(last, start) });
    out.push({ kind: "link", href: raw, host });
    last = start + raw.length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

// ---------------------------------------------------------------------------------- composer

export type ComposerState =
  | { phase: "editing"; text: string; key: string; error: null }
  | { phase: "sending"; text: string; key: string; error: null }
  | { phase: "refused"; text: string; key: string; error: { code: string; message: string } };

export type ComposerAction =
  | { type: "edit"; text: string }
  | { type: "send" }
  | { type: "sent"; newKey: string }
  | { type: "refused"; error: { code: string; message: string } };

export function composerInit(key: string, text = ""): ComposerState {
  return { phase: "editing", text, key, error: null };
}

/**
 * The composer: one idempotency key per composed message, kept across a refusal or a retry of
 * the same text (so a resend is the same message), renewed only after a send succeeded; the
 * text is kept on refusal; a second "send" while sending is ignored.
 */
export function composerReduce(s: ComposerState, a: ComposerAction): ComposerState {
  switch (a.type) {
    case "edit":
      if (s.phase === "sending") return s;
      return { phase: "editing", text: a.text, key: s.key, error: null };
    case "send":
      if (s.phase === "sending" || s.text.trim() === "") return s;
      return { phase: "sending", text: s.text, key: s.key, error: null };
    case "sent":
      return { phase: "editing", text: "", key: a.newKey, error: null };
    case "refused":
      return { phase: "refused", text: s.text, key: s.key, error: a.error };
  }
}

/** Enter sends, Shift+Enter is a new line (and so is Enter while composing with an IME). */
export function isSendKey(e: { key: string; shiftKey: boolean; isComposing?: boolean }): boolean {
  return e.key === "Enter" && !e.shiftKey && !e.isComposing;
}

/** The quick-reply query when the text is "/something" (no spaces yet), else null. */
export function quickReplyQuery(text: string): string | null {
  const m = /^\/(\S*)$/.exec(text);
  return m ? m[1].toLowerCase() : null;
}

export const ATTACH_LIMITS: Record<string, number> = {
  "image/jpeg": 5 << 20,
  "image/png": 5 << 20,
  "video/mp4": 16 << 20,
  "video/3gpp": 16 << 20,
  "audio/aac": 16 << 20,
  "audio/amr": 16 << 20,
  "audio/mpeg": 16 << 20,
  "audio/mp4": 16 << 20,
  "audio/ogg; codecs=opus": 16 << 20,
  "application/pdf": 100 << 20,
  "text/plain": 100 << 20,
  "application/msword": 100 << 20,
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 << 20,
  "application/vnd.ms-excel": 100 << 20,
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 << 20,
  "application/vnd.ms-powerpoint": 100 << 20,
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 << 20,
};

const BY_EXTENSION: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  mp4: "video/mp4",
  "3gp": "video/3gpp",
  aac: "audio/aac",
  amr: "audio/amr",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  ogg: "audio/ogg; codecs=opus",
  opus: "audio/ogg; codecs=opus",
  pdf: "application/pdf",
  txt: "text/plain",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

/** The MIME type WhatsApp will be told, from the file name; null when WhatsApp refuses it. */
export function mimeFor(fileName: string): string | null {
  const ext = fileName.split(".").pop()?.toLowerCase() ?? "";
  return BY_EXTENSION[ext] ?? null;
}

/** Checks an attachment before upload: null when fine, else the i18n key of the problem. */
export function checkAttachment(fileName: string, size: number): "attach.badType" | "attach.tooBig" | null {
  const mime = mimeFor(fileName);
  if (!mime) return "attach.badType";
  if (size <= 0 || size > (ATTACH_LIMITS[mime] ?? 0)) return "attach.tooBig";
  return null;
}

// ---------------------------------------------------------------------------------- reducers

function byActivity(a: ConversationSummary, b: ConversationSummary): number {
  if (a.last_activity_at !== b.last_activity_at) return a.last_activity_at < b.last_activity_at ? 1 : -1;
  return b.id - a.id;
}

/** The list after an event: a changed row replaces its old one and moves to its place. */
export function listApply(list: ConversationSummary[], e: ConversationEvent): ConversationSummary[] {
  if (e.kind !== "conversation_updated") return list;
  const row = e.conversation;
  const next = list.filter((c) => c.id !== row.id);
  next.push(row);
  return next.sort(byActivity);
}

/** The open thread after an event (other conversations' events change nothing). */
export function threadApply(thread: MessageView[], conversationId: number, e: ConversationEvent): MessageView[] {
  switch (e.kind) {
    case "new_message": {
      const m = e.message;
      if (m.conversation_id !== conversationId || m.kind === "reaction") return thread;
      if (thread.some((x) => x.id === m.id)) return thread.map((x) => (x.id === m.id ? m : x));
      const next = [...thread, m];
      next.sort((a, b) => (a.at === b.at ? a.id - b.id : a.at < b.at ? -1 : 1));
      return next;
    }
    case "status_changed": {
      if (e.conversation_id !== conversationId) return thread;
      return thread.map((x) =>
        x.id === e.message_id
          ? {
              ...x,
              status: mergeStatus(x.status, e.status),
              error_code: e.status === "failed" ? e.error_code : e.status === "pending" ? null : x.error_code,
              error_reason: e.status === "failed" ? e.error_reason : e.status === "pending" ? null : x.error_reason,
            }
          : x,
      );
    }
    case "media_changed": {
      // A download finished (or failed, or was over the limit): the bubble shows it now.
      if (e.conversation_id !== conversationId) return thread;
      return thread.map((x) => (x.id === e.message_id ? { ...x, media: e.media } : x));
    }
    case "reaction_changed": {
      if (e.conversation_id !== conversationId) return thread;
      return thread.map((x) => {
        if (x.id !== e.message_id) return x;
        const others = x.reactions.filter((r) => r.reactor !== e.reactor);
        return { ...x, reactions: e.emoji ? [...others, { reactor: e.reactor, emoji: e.emoji }] : others };
      });
    }
    default:
      return thread;
  }
}

/** Type icon for a preview or a bubble header. */
export function kindIcon(kind: string): string {
  switch (kind) {
    case "image":
      return "📷";
    case "video":
      return "🎥";
    case "audio":
      return "🎵";
    case "voice":
      return "🎤";
    case "document":
      return "📄";
    case "sticker":
      return "🏷️";
    case "location":
      return "📍";
    case "contacts":
      return "👤";
    case "order":
      return "🛒";
    case "note":
      return "📝";
    default:
      return "";
  }
}

/** "1,2 MB", "340 KB". */
export function formatSize(bytes: number | null, lang: Language): string {
  if (bytes === null) return "";
  const fmt = (n: number) => n.toLocaleString(lang === "es" ? "es-AR" : "en", { maximumFractionDigits: 1 });
  if (bytes >= 1 << 20) return `${fmt(bytes / (1 << 20))} MB`;
  return `${fmt(Math.max(1, Math.round(bytes / 1024)))} KB`;
}

// ---------------------------------------------------------------------------------- media

/**
 * How a message's media shows in the thread: a preview for what the window can render (image,
 * sticker, video, audio/voice played in place), a file card (name, size, "Abrir") for documents,
 * for media over the size limit and for types we do not render; "descargando" while pending.
 */
export type MediaPreview = "pending" | "failed" | "image" | "sticker" | "video" | "audio" | "file";

export function previewFor(kind: string, media: MediaView | null, loc: MediaLocation | null): MediaPreview {
  const state = loc?.state ?? media?.state ?? "pending";
  if (state === "pending") return "pending";
  if (state === "failed") return "failed";
  // Over the limit (kept as metadata), not on disk, or a type the webview should not render.
  if (state !== "downloaded" || !loc?.path || !loc.previewable) return "file";
  const mime = (loc.mime_type ?? media?.mime_type ?? "").split(";")[0].trim().toLowerCase();
  switch (kind) {
    case "image":
      return mime.startsWith("image/") ? "image" : "file";
    case "sticker":
      return mime.startsWith("image/") ? "sticker" : "file";
    case "video":
      return mime.startsWith("video/") ? "video" : "file";
    case "audio":
    case "voice":
      return mime.startsWith("audio/") ? "audio" : "file";
    default:
      return "file";
  }
}

const DOC_TYPES: Record<string, string> = {
  "application/pdf": "PDF",
  "text/plain": "TXT",
  "text/csv": "CSV",
  "application/msword": "Word",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
  "application/vnd.ms-excel": "Excel",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
  "application/vnd.ms-powerpoint": "PowerPoint",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
  "application/vnd.oasis.opendocument.text": "ODT",
  "application/vnd.oasis.opendocument.spreadsheet": "ODS",
};

/**
 * The type named on "Abrir" ("Abrir PDF"), from the MIME type the provider stated (never from the
 * sender's file name); null when Mostrador does not hand this type to the OS (the Rust side keeps
 * the same list and refuses anything else).
 */
export function docTypeName(mime: string | null): string | null {
  const base = (mime ?? "").split(";")[0].trim().toLowerCase();
  if (DOC_TYPES[base]) return DOC_TYPES[base];
  if (/^image\/(jpeg|png|webp)$/.test(base)) return base.slice(6).toUpperCase().replace("JPEG", "JPG");
  if (/^video\/(mp4|3gpp)$/.test(base)) return base === "video/mp4" ? "MP4" : "3GP";
  if (/^audio\/(ogg|mpeg|mp4|aac|amr)$/.test(base)) return "audio";
  return null;
}

// ---------------------------------------------------------------------------------- SMS

/** What one SMS costs the shop, roughly: one message, a few, or many (each segment is billed). */
export type SmsCostClass = "none" | "single" | "multi" | "long";

export function smsCostClass(segments: number): SmsCostClass {
  if (segments <= 0) return "none";
  if (segments === 1) return "single";
  if (segments <= 3) return "multi";
  return "long";
}

/** The composer's line under an SMS: segments, encoding and characters per segment. */
export function smsLine(m: SmsMeasure): { segments: number; encoding: "GSM-7" | "UCS-2"; perSegment: number; cost: SmsCostClass } {
  const ucs2 = m.encoding === "ucs2";
  const perSegment = m.segments > 1 ? (ucs2 ? 67 : 153) : ucs2 ? 70 : 160;
  return { segments: m.segments, encoding: ucs2 ? "UCS-2" : "GSM-7", perSegment, cost: smsCostClass(m.segments) };
}

/** Whether the composer sends by SMS: an SMS conversation, or the owner picked SMS. */
export function composesSms(channel: string, picked: boolean): boolean {
  return channel === "sms" || picked;
}
