import { createContext, useContext } from "react";
import type { Language } from "../bindings";
import { translate, type MessageKey } from "./index";

export const LanguageContext = createContext<Language>("es");

/** `t(key)` in the current language. */
export function useT() {
  const lang = useContext(LanguageContext);
  return (key: MessageKey, params?: Record<string, string>) => translate(lang, key, params);
}

export function useLanguage(): Language {
  return useContext(LanguageContext);
}
