import { describe, expect, it } from "vitest";
import type { MediaLocation, MediaView, MessageView } from "../bindings";
import { composesSms, docTypeName, linkify, previewFor, smsCostClass, smsLine, threadApply } from "./model";

const media = (state: string, mime: string | null = "image/jpeg"): MediaView => ({
  id: 1,
  mime_type: mime,
  state,
  path: state === "downloaded" ? "media/ab/abcd" : null,
  size_bytes: 1000,
});

const loc = (state: string, mime: string | null, previewable = true): MediaLocation => ({
  message_id: 1,
  state,
  path: state === "downloaded" ? "/data/media/ab/abcd" : null,
  mime_type: mime,
  previewable,
  size_bytes: 1000,
  filename: null,
  error: null,
});

describe("media previews", () => {
  it("previews what the window renders, in place", () => {
    expect(previewFor("image", media("downloaded"), loc("downloaded", "image/jpeg"))).toBe("image");
    expect(previewFor("sticker", media("downloaded", "image/webp"), loc("downloaded", "image/webp"))).toBe("sticker");
    expect(previewFor("video", media("downloaded", "video/mp4"), loc("downloaded", "video/mp4"))).toBe("video");
    expect(previewFor("voice", media("downloaded", "audio/ogg"), loc("downloaded", "audio/ogg; codecs=opus"))).toBe("audio");
    expect(previewFor("audio", media("downloaded", "audio/mpeg"), loc("downloaded", "audio/mpeg"))).toBe("audio");
  });
  it("a pending download says descargando, a failure says so", () => {
    expect(previewFor("image", media("pending"), null)).toBe("pending");
    expect(previewFor("image", media("pending"), loc("pending", "image/jpeg", false))).toBe("pending");
    expect(previewFor("image", media("failed"), loc("failed", "image/jpeg", false))).toBe("failed");
  });
  it("over the limit, unknown types, documents and missing files are file cards", () => {
    expect(previewFor("video", media("too_large", "video/mp4"), loc("too_large", "video/mp4", false))).toBe("file");
    expect(previewFor("image", media("downloaded", "image/heic"), loc("downloaded", "image/heic", false))).toBe("file");
    expect(previewFor("document", media("downloaded", "application/pdf"), loc("downloaded", "application/pdf", false))).toBe("file");
    // Claimed to be an image but stored as something else: never rendered as one.
    expect(previewFor("image", media("downloaded", "text/html"), loc("downloaded", "text/html", true))).toBe("file");
    expect(previewFor("image", media("downloaded"), { ...loc("downloaded", "image/jpeg"), path: null })).toBe("file");
  });
  it("'Abrir' names the type and only for types handed to the OS", () => {
    expect(docTypeName("application/pdf")).toBe("PDF");
    expect(docTypeName("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).toBe("Excel");
    expect(docTypeName("image/jpeg")).toBe("JPG");
    expect(docTypeName("audio/ogg; codecs=opus")).toBe("audio");
    expect(docTypeName("application/x-msdownload")).toBeNull();
    expect(docTypeName("text/html")).toBeNull();
    expect(docTypeName(null)).toBeNull();
  });
  it("a finished download reaches its bubble", () => {
    const m = { id: 5, conversation_id: 1, media: media("pending") } as MessageView;
    const t = threadApply([m], 1, { kind: "media_changed", org_id: "o", conversation_id: 1, message_id: 5, media: media("downloaded") });
    expect(t[0].media?.state).toBe("downloaded");
    expect(threadApply([m], 1, { kind: "media_changed", org_id: "o", conversation_id: 2, message_id: 5, media: media("downloaded") })[0].media?.state).toBe("pending");
  });
});

describe("links", () => {
  it("shows the host (with its port) and keeps a 5,000-character text whole", () => {
    expect(linkify("HTTPS://Example.com:8443/a")).toEqual([{ kind: "link", href: "HTTPS://Example.com:8443/a", host: "example.com:8443" }]);
    expect(linkify("www.example.com")).toEqual([{ kind: "text", text: "www.example.com" }]);
    const long = `${"a".repeat(5000)} https://x.com/ ${"b".repeat(100)}`;
    const s = linkify(long);
    expect(s.map((x) => (x.kind === "text" ? x.text : x.href)).join("")).toBe(long);
    expect(s.filter((x) => x.kind === "link").length).toBe(1);
  });
});

describe("SMS segments", () => {
  const measure = (encoding: string, segments: number) => ({ encoding, segments, characters: 0, remaining: 0, summary_es: "" });
  it("shows the encoding and per-segment size", () => {
    expect(smsLine(measure("gsm7", 1))).toEqual({ segments: 1, encoding: "GSM-7", perSegment: 160, cost: "single" });
    expect(smsLine(measure("ucs2", 1))).toEqual({ segments: 1, encoding: "UCS-2", perSegment: 70, cost: "single" });
    expect(smsLine(measure("gsm7", 2)).perSegment).toBe(153);
    expect(smsLine(measure("ucs2", 3))).toEqual({ segments: 3, encoding: "UCS-2", perSegment: 67, cost: "multi" });
  });
  it("cost classes and when the composer is an SMS one", () => {
    expect([0, 1, 2, 3, 4, 10].map(smsCostClass)).toEqual(["none", "single", "multi", "multi", "long", "long"]);
    expect(composesSms("sms", false)).toBe(true);
    expect(composesSms("whatsapp", true)).toBe(true);
    expect(composesSms("whatsapp", false)).toBe(false);
  });
});
