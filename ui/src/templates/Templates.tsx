// Plantillas page: the business's WhatsApp templates with status, category, quality and language;
// Sincronizar (with progress), Crear (live preview, Meta's limits checked as you type), Crear
// plantillas sugeridas, Eliminar.
import { useCallback, useEffect, useMemo, useState } from "react";
import { asAppError } from "../api";
import {
  commands,
  events,
  onEvent,
  type AppError,
  type ButtonInput,
  type ContextField,
  type NewTemplateInput,
  type SyncProgress,
  type TemplateView,
} from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorField, errorText } from "../i18n/errors";
import { catalogs, type MessageKey } from "../i18n";
import { checkNewTemplate, fill, recategorization, variables } from "./model";

const FIELDS: ContextField[] = [
  "customer_name",
  "business_name",
  "date",
  "time",
  "service",
  "invoice_number",
  "invoice_total",
  "amount",
  "due_date",
  "payment_link",
  "order_number",
];

function known(t: (k: MessageKey, p?: Record<string, string>) => string, prefix: string, value: string | null) {
  if (!value) return "—";
  const key = `${prefix}.${value}`;
  // Meta adds statuses from time to time: an unknown one is shown as Meta names it.
  return key in catalogs.es ? t(key as MessageKey) : value;
}

export function Templates({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [list, setList] = useState<TemplateView[]>([]);
  const [error, setError] = useState<AppError | null>(null);
  const [progress, setProgress] = useState<SyncProgress | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [creating, setCreating] = useState(false);

  const fail = (raw: unknown) => setError(asAppError(raw));
  const reload = useCallback(() => {
    commands.templatesList(orgId).then(setList).catch(fail);
  }, [orgId]);

  useEffect(() => {
    reload();
    const off = onEvent(events.templatesSyncProgress, (p) => {
      if (p.org_id === orgId) setProgress(p.progress);
    });
    // Reviews, re-categorizations and quality changes arrive by webhook: the core says when.
    const offChanged = onEvent(events.templatesChanged, (id) => {
      if (id === orgId) reload();
    });
    return () => {
      off.then((f) => f());
      offChanged.then((f) => f());
    };
  }, [orgId, reload]);

  async function run<T>(what: () => Promise<T>, done: (r: T) => void) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      done(await what());
      reload();
    } catch (raw) {
      fail(raw);
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  const sync = () =>
    run(
      () => commands.templatesSync(orgId),
      (o) => setNotice(t("tpl.synced", { total: String(o.total), added: String(o.added), removed: String(o.removed) })),
    );
  const suggested = () =>
    run(
      () => commands.templatesCreateSuggested(orgId),
      (r) =>
        setNotice(
          t("tpl.suggestedDone", {
            created: String(r.filter((x) => x.outcome === "created").length),
            existing: String(r.filter((x) => x.outcome === "already_there").length),
            failed: String(r.filter((x) => x.outcome === "failed").length),
          }),
        ),
    );
  const remove = (x: TemplateView) => {
    if (!window.confirm(t("tpl.confirmDelete", { name: x.name }))) return;
    run(() => commands.templatesDelete(orgId, x.name, x.language), () => undefined);
  };

  return (
    <section id="templates-page">
      <h2>{t("tpl.title")}</h2>
      <p className="muted">{t("tpl.intro")}</p>
      <div className="actions">
        <button id="templates-sync" disabled={busy} onClick={sync}>
          {t("tpl.sync")}
        </button>
        <button id="templates-suggested" disabled={busy} onClick={suggested}>
          {t("tpl.createSuggested")}
        </button>
        <button id="templates-create" disabled={busy} onClick={() => setCreating(true)}>
          {t("tpl.create")}
        </button>
      </div>
      {progress && !progress.done && (
        <p role="status" id="templates-progress">
          <progress /> {t("tpl.syncing", { fetched: String(progress.fetched) })}
        </p>
      )}
      {notice && (
        <p role="status" id="templates-notice">
          {notice}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert" id="templates-error">
          {errorText(error, lang)}
        </p>
      )}
      {creating && (
        <TemplateForm
          orgId={orgId}
          onDone={() => {
            setCreating(false);
            reload();
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      {list.length === 0 ? (
        <p className="muted">{t("tpl.empty")}</p>
      ) : (
        <table id="templates-list">
          <thead>
            <tr>
              <th>{t("tpl.col.name")}</th>
              <th>{t("tpl.col.language")}</th>
              <th>{t("tpl.col.category")}</th>
              <th>{t("tpl.col.status")}</th>
              <th>{t("tpl.col.quality")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((x) => (
              <tr key={`${x.name}/${x.language}`} data-template={x.name} data-status={x.status ?? ""}>
                <td>{x.name}</td>
                <td>{x.language}</td>
                <td>
                  {known(t, "tpl.category", x.category)}
                  <Recategorized template={x} />
                </td>
                <td>
                  {known(t, "tpl.status", x.status)}
                  {x.reason_es && <div className="small muted">{x.reason_es}</div>}
                </td>
                <td>{known(t, "tpl.quality", x.quality)}</td>
                <td>
                  <button className="link" disabled={busy} onClick={() => remove(x)}>
                    {t("tpl.delete")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Why the category is not the one it was created with (Meta re-categorized it). */
function Recategorized({ template }: { template: TemplateView }) {
  const t = useT();
  const lang = useLanguage();
  const r = recategorization(template);
  if (!r) return null;
  const from = known(t, "tpl.category", r.from);
  const to = known(t, "tpl.category", r.to);
  // A sync tells which category it had, not when it changed (only the webhook does).
  const text = r.at
    ? t("tpl.recategorized", { from, to, date: new Date(r.at).toLocaleDateString(lang === "es" ? "es-AR" : "en") })
    : t("tpl.recategorizedUndated", { from, to });
  return (
    <div className="small muted template-recategorized" data-from={r.from}>
      {text}
    </div>
  );
}

type HeaderKind = "none" | "text" | "document" | "image";

function TemplateForm({ orgId, onDone, onCancel }: { orgId: string; onDone: () => void; onCancel: () => void }) {
  const t = useT();
  const lang = useLanguage();
  const [name, setName] = useState("");
  const [category, setCategory] = useState("UTILITY");
  const [headerKind, setHeaderKind] = useState<HeaderKind>("none");
  const [headerText, setHeaderText] = useState("");
  const [headerFile, setHeaderFile] = useState("");
  const [body, setBody] = useState("");
  const [examples, setExamples] = useState<Record<string, string>>({});
  const [mapping, setMapping] = useState<Record<string, ContextField>>({});
  const [footer, setFooter] = useState("");
  const [buttons, setButtons] = useState<ButtonInput[]>([]);
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  const vars = variables(body);
  const input: NewTemplateInput = {
    name,
    language: "es_AR",
    category,
    header:
      headerKind === "text"
        ? { type: "text", text: headerText, example: null }
        : headerKind === "none"
          ? null
          : { type: "media", format: headerKind, file: headerFile },
    body,
    examples: vars.map((v) => [v, examples[v] ?? ""] as [string, string]),
    named: vars.some((v) => !/^\d+$/.test(v)),
    footer: footer || null,
    buttons,
    mapping: Object.fromEntries(Object.entries(mapping).map(([v, f]) => [`body.${v}`, f])),
  };
  const problem = useMemo(() => checkNewTemplate(input), [JSON.stringify(input)]); // eslint-disable-line react-hooks/exhaustive-deps
  const serverField = error ? errorField(error) : null;
  const bad = (field: string) => problem?.field === field || serverField === field;

  async function submit() {
    if (problem) return;
    setBusy(true);
    setError(null);
    try {
      await commands.templatesCreate(orgId, input);
      onDone();
    } catch (raw) {
      setError(asAppError(raw));
    } finally {
      setBusy(false);
    }
  }

  const setButton = (i: number, b: ButtonInput) => setButtons((bs) => bs.map((x, j) => (j === i ? b : x)));

  return (
    <form
      id="template-form"
      className="card"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor="tpl-name">{t("tpl.form.name")}</label>
      <input id="tpl-name" value={name} aria-invalid={bad("name")} onChange={(e) => setName(e.target.value)} />
      <label htmlFor="tpl-category">{t("tpl.form.category")}</label>
      <select id="tpl-category" value={category} onChange={(e) => setCategory(e.target.value)}>
        {["UTILITY", "MARKETING"].map((c) => (
          <option key={c} value={c}>
            {t(`tpl.category.${c}` as MessageKey)}
          </option>
        ))}
      </select>
      <label htmlFor="tpl-header">{t("tpl.form.header")}</label>
      <select id="tpl-header" value={headerKind} onChange={(e) => setHeaderKind(e.target.value as HeaderKind)}>
        <option value="none">{t("tpl.form.headerNone")}</option>
        <option value="text">{t("tpl.form.headerText")}</option>
        <option value="document">{t("tpl.form.headerDocument")}</option>
        <option value="image">{t("tpl.form.headerImage")}</option>
      </select>
      {headerKind === "text" && (
        <input id="tpl-header-text" value={headerText} aria-invalid={bad("components.HEADER.text")} onChange={(e) => setHeaderText(e.target.value)} />
      )}
      {(headerKind === "document" || headerKind === "image") && (
        <input id="tpl-header-file" placeholder={t("tpl.form.headerFile")} value={headerFile} onChange={(e) => setHeaderFile(e.target.value)} />
      )}
      <label htmlFor="tpl-body">{t("tpl.form.body")}</label>
      <textarea id="tpl-body" rows={4} value={body} aria-invalid={bad("components.BODY.text")} onChange={(e) => setBody(e.target.value)} />
      {vars.map((v) => (
        <div key={v} className="field row">
          <label htmlFor={`tpl-example-${v}`}>{t("tpl.form.example", { variable: `{{${v}}}` })}</label>
          <input id={`tpl-example-${v}`} value={examples[v] ?? ""} onChange={(e) => setExamples((x) => ({ ...x, [v]: e.target.value }))} />
          <label htmlFor={`tpl-field-${v}`}>{t("tpl.form.field")}</label>
          <select
            id={`tpl-field-${v}`}
            value={mapping[v] ?? ""}
            onChange={(e) =>
              setMapping((m) => {
                const next = { ...m };
                if (e.target.value) next[v] = e.target.value as ContextField;
                else delete next[v];
                return next;
              })
            }
          >
            <option value="">{t("tpl.form.fieldNone")}</option>
            {FIELDS.map((f) => (
              <option key={f} value={f}>
                {t(`tpl.field.${f}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
      ))}
      <label htmlFor="tpl-footer">{t("tpl.form.footer")}</label>
      <input id="tpl-footer" value={footer} aria-invalid={bad("components.FOOTER.text")} onChange={(e) => setFooter(e.target.value)} />
      <fieldset>
        <legend>{t("tpl.form.buttons")}</legend>
        {buttons.map((b, i) => (
          <div key={i} className="row">
            {b.type !== "copy_code" && (
              <input placeholder={t("tpl.form.buttonText")} value={b.text} onChange={(e) => setButton(i, { ...b, text: e.target.value })} />
            )}
            {b.type === "url" && <input placeholder={t("tpl.form.buttonUrl")} value={b.url} onChange={(e) => setButton(i, { ...b, url: e.target.value })} />}
            {b.type === "phone_number" && (
              <input placeholder={t("tpl.form.buttonPhone")} value={b.phone_number} onChange={(e) => setButton(i, { ...b, phone_number: e.target.value })} />
            )}
            {b.type === "copy_code" && (
              <input placeholder={t("tpl.form.buttonCode")} value={b.example} onChange={(e) => setButton(i, { ...b, example: e.target.value })} />
            )}
            <button type="button" className="link" onClick={() => setButtons((bs) => bs.filter((_, j) => j !== i))}>
              {t("tpl.form.remove")}
            </button>
          </div>
        ))}
        <div className="actions">
          <button type="button" onClick={() => setButtons((bs) => [...bs, { type: "quick_reply", text: "" }])}>{t("tpl.form.addQuickReply")}</button>
          <button type="button" onClick={() => setButtons((bs) => [...bs, { type: "url", text: "", url: "https://", example: null }])}>{t("tpl.form.addUrl")}</button>
          <button type="button" onClick={() => setButtons((bs) => [...bs, { type: "phone_number", text: "", phone_number: "+549" }])}>{t("tpl.form.addPhone")}</button>
          <button type="button" onClick={() => setButtons((bs) => [...bs, { type: "copy_code", example: "" }])}>{t("tpl.form.addCopyCode")}</button>
        </div>
      </fieldset>
      <div className="template-preview" id="template-form-preview" aria-label={t("tpl.form.preview")}>
        {headerKind === "text" && <strong>{fill(headerText, () => undefined)}</strong>}
        <p>{fill(body, (v) => examples[v])}</p>
        {footer && <small className="muted">{footer}</small>}
        {buttons.map((b, i) => (
          <div key={i} className="small">
            ▸ {b.type === "copy_code" ? b.example : b.text}
          </div>
        ))}
      </div>
      {problem && (
        <p className="field-error" id="template-form-problem" data-field={problem.field}>
          {t(`tpl.problem.${problem.key}` as MessageKey, problem.params)}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {errorText(error, lang)}
        </p>
      )}
      <div className="actions">
        <button type="button" className="link" onClick={onCancel}>
          {t("tpl.form.cancel")}
        </button>
        <button type="submit" id="template-form-submit" disabled={Boolean(problem) || busy}>
          {t("tpl.form.submit")}
        </button>
      </div>
    </form>
  );
}
