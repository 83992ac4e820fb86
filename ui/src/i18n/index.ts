import type { Language } from "../bindings";
import { en } from "./en";
import { es, type MessageKey } from "./es";

export type { MessageKey };

export const catalogs: Record<Language, Record<MessageKey, string>> = { es, en };

/** Looks up a message and fills `{name}` placeholders. Falls back to Spanish. */
export function translate(
  lang: Language,
  key: MessageKey,
  params: Record<string, string> = {},
): string {
  const template = catalogs[lang]?.[key] ?? es[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}
