// The template picker the Conversaciones composer hosts when the 24 h window is closed: choose an
// approved template, see each variable with the context field that fills it, a live preview, and
// a Send button that stays disabled while any value would be refused by WhatsApp.
import { useEffect, useMemo, useRef, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type ContextField, type SentTemplate, type TemplateView } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorField, errorText } from "../i18n/errors";
import type { MessageKey } from "../i18n";
import { mimeFor } from "../conversations/model";
import { initialValues, newSendKey, pickerFields, preview, problems } from "./model";

export type TemplatePickerProps = {
  orgId: string;
  /** The customer the template goes to (`customers.id`). */
  customerId: number;
  /** What the app knows about this customer/notice: fills the mapped variables. */
  context?: Partial<Record<ContextField, string>>;
  /** Only approved templates are offered; pass the list if the host already has it. */
  templates?: TemplateView[];
  /** Called once the message and its send are queued (the thread shows it by event). */
  onSent?: (sent: SentTemplate) => void;
  onCancel?: () => void;
};

export function TemplatePicker({ orgId, customerId, context = {}, templates, onSent, onCancel }: TemplatePickerProps) {
  const t = useT();
  const lang = useLanguage();
  const [list, setList] = useState<TemplateView[]>(templates ?? []);
  const [chosen, setChosen] = useState<string>("");
  const [values, setValues] = useState<Record<string, string>>({});
  // The header's file on this computer (a path, like the composer's attach-by-path): core checks
  // it against the template's header format and the send job uploads it.
  const [headerPath, setHeaderPath] = useState("");
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per intent: a double click or a retry after a lost answer sends once.
  const key = useRef(newSendKey());

  useEffect(() => {
    if (templates) return setList(templates);
    commands.templatesList(orgId).then(setList).catch((raw) => setError(asAppError(raw)));
  }, [orgId, templates]);

  const approved = list.filter((x) => x.sendable);
  const template = approved.find((x) => `${x.name}/${x.language}` === chosen) ?? null;
  const contextKey = JSON.stringify(context);

  useEffect(() => {
    if (template) setValues(initialValues(template, context));
    key.current = newSendKey();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [chosen, contextKey]);

  const issues = useMemo(() => (template ? problems(template, values) : {}), [template, values]);
  const needsMedia = template?.shape.header && ["image", "video", "document"].includes(template.shape.header.format);
  const headerMime = headerPath.trim() ? mimeFor(headerPath.trim()) : null;
  const blocked = !template || Object.keys(issues).length > 0 || (needsMedia && !headerMime) || busy;
  const shown = template ? preview(template, values) : null;
  const serverField = error ? errorField(error) : null;

  async function send() {
    if (!template || blocked) return;
    setBusy(true);
    setError(null);
    try {
      const sent = await commands.templatesSend(orgId, {
        customer_id: customerId,
        name: template.name,
        language: template.language,
        params: values,
        context,
        header_media_id: null,
        header_file: needsMedia && headerMime ? { path: headerPath.trim(), mime_type: headerMime } : null,
        header_filename: null,
        idempotency_key: key.current,
      });
      key.current = newSendKey();
      onSent?.(sent);
    } catch (raw) {
      setError(asAppError(raw));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="template-picker" id="template-picker" aria-label={t("tpl.picker.title")}>
      <label htmlFor="template-picker-choose">{t("tpl.picker.choose")}</label>
      {approved.length === 0 ? (
        <p className="muted">{t("tpl.picker.none")}</p>
      ) : (
        <select id="template-picker-choose" value={chosen} onChange={(e) => setChosen(e.target.value)}>
          <option value="" />
          {approved.map((x) => (
            <option key={`${x.name}/${x.language}`} value={`${x.name}/${x.language}`}>
              {x.name} ({x.language})
            </option>
          ))}
        </select>
      )}
      {template &&
        pickerFields(template).map((f) => {
          const id = `tpl-param-${f.key.replace(/\W/g, "-")}`;
          const issue = issues[f.key];
          const label = f.field ? t(`tpl.field.${f.field}` as MessageKey) : t("tpl.picker.variable", { variable: `{{${f.variable.variable}}}` });
          return (
            <div key={f.key} className="field">
              <label htmlFor={id}>{label}</label>
              <input
                id={id}
                data-key={f.key}
                value={values[f.key] ?? ""}
                placeholder={f.variable.example ?? ""}
                aria-invalid={Boolean(issue) || serverField === f.key}
                onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
              />
              {issue && <span className="field-error">{t(`tpl.issue.${issue}` as MessageKey)}</span>}
            </div>
          );
        })}
      {template && needsMedia && (
        <div className="field">
          <label htmlFor="tpl-param-media">{t("tpl.picker.media")}</label>
          <input
            id="tpl-param-media"
            spellCheck={false}
            placeholder={t("conv.attach.pathPlaceholder")}
            value={headerPath}
            aria-invalid={(Boolean(headerPath.trim()) && !headerMime) || serverField === "header"}
            onChange={(e) => setHeaderPath(e.target.value)}
          />
          {headerPath.trim() && !headerMime && <span className="field-error">{t("attach.badType")}</span>}
        </div>
      )}
      {shown && (
        <div className="template-preview" id="template-preview" aria-live="polite">
          {shown.header && <strong>{shown.header}</strong>}
          <p>{shown.body}</p>
          {shown.footer && <small className="muted">{shown.footer}</small>}
        </div>
      )}
      {error && (
        <p className="field-error" role="alert">
          {errorText(error, lang)}
        </p>
      )}
      <div className="actions">
        {onCancel && (
          <button className="link" onClick={onCancel}>
            {t("tpl.form.cancel")}
          </button>
        )}
        <button id="template-picker-send" disabled={blocked} onClick={send}>
          {busy ? t("tpl.picker.sending") : t("tpl.picker.send")}
        </button>
      </div>
    </section>
  );
}
