import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type QuickReply } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";

/** Ajustes → Respuestas rápidas: the texts "/" offers in the composer. */
export function QuickRepliesSettings({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [list, setList] = useState<QuickReply[]>([]);
  const [shortcut, setShortcut] = useState("");
  const [body, setBody] = useState("");
  const [error, setError] = useState<AppError | null>(null);
  useEffect(() => {
    commands.quickRepliesList(orgId).then(setList).catch((e) => setError(asAppError(e)));
  }, [orgId]);
  async function save() {
    try {
      const saved = await commands.quickReplySave(orgId, shortcut, body);
      if (!saved) return;
      setList((l) => [...l.filter((r) => r.id !== saved.id), saved].sort((a, b) => a.shortcut.localeCompare(b.shortcut)));
      setShortcut("");
      setBody("");
    } catch (e) {
      setError(asAppError(e));
    }
  }
  async function remove(id: number) {
    try {
      await commands.quickReplyDelete(orgId, id);
      setList((l) => l.filter((r) => r.id !== id));
    } catch (e) {
      setError(asAppError(e));
    }
  }
  return (
    <div id="quick-replies-settings">
      <h2>{t("quick.title")}</h2>
      <p className="hint">{t("quick.hint")}</p>
      <ul className="jobs">
        {list.map((r) => (
          <li key={r.id} className="job">
            <strong>/{r.shortcut}</strong> <span className="notes">{r.body}</span>{" "}
            <button className="link" onClick={() => remove(r.id)}>{t("quick.delete")}</button>
          </li>
        ))}
      </ul>
      <input placeholder={t("quick.shortcut")} value={shortcut} onChange={(e) => setShortcut(e.target.value)} id="quick-shortcut" />
      <textarea placeholder={t("quick.body")} value={body} onChange={(e) => setBody(e.target.value)} rows={3} id="quick-body" />
      <div className="actions left">
        <button onClick={save} disabled={!shortcut.trim() || !body.trim()} id="quick-save">{t("quick.save")}</button>
      </div>
      {error && <p className="field-error">{errorText(error, lang)}</p>}
    </div>
  );
}
