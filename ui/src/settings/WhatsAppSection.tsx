import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type ConnectionTest, type WhatsAppCredentials, type WhatsAppStatus } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorField, errorText } from "../i18n/errors";
import { appIdInput, emptyCredentials, missingFields, normalized, qualityKey, qualityTone, sameCredentials, type WaField } from "./model";

const FIELDS: { field: WaField; secret: boolean }[] = [
  { field: "phone_number_id", secret: false },
  { field: "waba_id", secret: false },
  { field: "access_token", secret: true },
  { field: "app_secret", secret: true },
  { field: "graph_version", secret: false },
  { field: "app_id", secret: false },
];

/** What a passing test found: number, verified name, quality, subscription (with "Suscribir"). */
function TestResult(props: { test: ConnectionTest; busy: boolean; onSubscribe: () => void }) {
  const t = useT();
  const { test } = props;
  return (
    <dl id="wa-test-result" className="result">
      <dt>{t("wa.number")}</dt>
      <dd id="wa-number">{test.display_phone_number}</dd>
      <dt>{t("wa.verifiedName")}</dt>
      <dd id="wa-verified-name">{test.verified_name ?? "—"}</dd>
      <dt>{t("wa.quality")}</dt>
      <dd>
        <span className={`pill tone-${qualityTone(test.quality_rating)}`} id="wa-quality">
          {t(qualityKey(test.quality_rating))}
        </span>
      </dd>
      <dt>{t("wa.subscription")}</dt>
      <dd id="wa-subscription">
        {test.app_subscribed ? (
          t("wa.subscribed")
        ) : (
          <>
            {t("wa.notSubscribed")}{" "}
            <button id="wa-subscribe" className="secondary" disabled={props.busy} onClick={props.onSubscribe}>
              {t("wa.subscribe")}
            </button>
          </>
        )}
      </dd>
    </dl>
  );
}

/** Ajustes → WhatsApp: connect (test, subscribe, save), the configured view, rotate, disconnect. */
export function WhatsAppSection({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [status, setStatus] = useState<WhatsAppStatus | null>(null);
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState<WhatsAppCredentials>(emptyCredentials());
  const [tested, setTested] = useState<WhatsAppCredentials | null>(null);
  const [test, setTest] = useState<ConnectionTest | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [missing, setMissing] = useState<WaField[]>([]);
  const [busy, setBusy] = useState(false);
  const [rotating, setRotating] = useState(false);
  const [newToken, setNewToken] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [appIdEditing, setAppIdEditing] = useState(false);
  const [appIdDraft, setAppIdDraft] = useState("");
  const [appIdBad, setAppIdBad] = useState(false);

  useEffect(() => {
    setStatus(null);
    setEditing(false);
    setTest(null);
    setError(null);
    commands.whatsappStatus(orgId).then(setStatus).catch((raw) => setError(asAppError(raw)));
  }, [orgId]);

  async function run<T>(f: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      return await f();
    } catch (raw) {
      setError(asAppError(raw));
      return undefined;
    } finally {
      setBusy(false);
    }
  }

  function edit(field: WaField, value: string) {
    setForm((f) => ({ ...f, [field]: field === "graph_version" || field === "app_id" ? value || null : value }));
    setMissing((m) => m.filter((x) => x !== field));
  }

  async function probar() {
    const lacking = missingFields(form);
    setMissing(lacking);
    if (lacking.length > 0) return;
    const creds = normalized(form);
    setTest(null);
    const r = await run(() => commands.whatsappTest(creds));
    if (r) {
      setTest(r);
      setTested(creds);
    }
  }

  async function subscribe() {
    const r = await run(() => commands.whatsappSubscribe(orgId, editing || !configured ? normalized(form) : null));
    if (r) setTest(r);
  }

  async function save() {
    const r = await run(() => commands.whatsappSave(orgId, normalized(form)));
    if (r) {
      setStatus(r.status);
      setTest(r.test);
      setEditing(false);
      setForm(emptyCredentials());
      setTested(null);
      setNotice(t("wa.saved"));
    }
  }

  async function testSaved() {
    setTest(null);
    const r = await run(() => commands.whatsappTestSaved(orgId));
    if (r) setTest(r);
  }

  async function rotate() {
    if (!newToken.trim()) return setMissing(["access_token"]);
    const r = await run(() => commands.whatsappRotateToken(orgId, newToken.trim()));
    if (r) {
      setStatus(r.status);
      setTest(r.test);
      setRotating(false);
      setNewToken("");
      setNotice(t("wa.rotated"));
    }
  }

  async function saveAppId() {
    const typed = appIdInput(appIdDraft);
    setAppIdBad(!typed.ok);
    if (!typed.ok) return;
    const r = await run(() => commands.whatsappSetAppId(orgId, typed.value));
    if (r) {
      setStatus(r);
      setAppIdEditing(false);
      setNotice(t("wa.appIdSaved"));
    }
  }

  async function disconnect() {
    const r = await run(() => commands.whatsappDisconnect(orgId));
    setConfirming(false);
    if (r) {
      setStatus(r);
      setTest(null);
      setNotice(t("wa.disconnected"));
    }
  }

  const configured = status?.state === "configured";
  const field = error ? errorField(error) : null;
  const canSave = test !== null && sameCredentials(tested, form) && !busy;
  const errorBox = error && (
    <p className="field-error" role="alert" id="wa-error">
      {errorText(error, lang)}
    </p>
  );

  if (!status) return <section id="settings-whatsapp"><p className="muted">{t("loading")}</p>{errorBox}</section>;

  if (status.state === "configured" && !editing) {
    return (
      <section id="settings-whatsapp">
        <h2>{t("wa.title")}</h2>
        {notice && <p className="notice" id="wa-notice">{notice}</p>}
        <dl id="wa-configured">
          <dt>{t("wa.number")}</dt>
          <dd id="wa-configured-number">{status.display_phone_number ?? "—"}</dd>
          <dt>{t("wa.verifiedName")}</dt>
          <dd>{status.verified_name ?? "—"}</dd>
          <dt>{t("wa.field.phone_number_id")}</dt>
          <dd><code>{status.phone_number_id}</code></dd>
          <dt>{t("wa.field.waba_id")}</dt>
          <dd><code>{status.waba_id}</code></dd>
          <dt>{t("wa.field.graph_version")}</dt>
          <dd>{status.graph_version}</dd>
          <dt>{t("wa.field.app_id")}</dt>
          <dd>
            {appIdEditing ? (
              <span className="inline-form" id="wa-app-id-form">
                <input
                  id="wa-app-id-input"
                  inputMode="numeric"
                  autoComplete="off"
                  spellCheck={false}
                  value={appIdDraft}
                  aria-invalid={appIdBad || field === "app_id"}
                  aria-label={t("wa.field.app_id")}
                  onChange={(e) => (setAppIdDraft(e.target.value), setAppIdBad(false))}
                />
                <button id="wa-app-id-save" className="secondary small" disabled={busy} onClick={saveAppId}>
                  {t("wa.save")}
                </button>
                <button className="link small" onClick={() => setAppIdEditing(false)}>
                  {t("wa.cancel")}
                </button>
                {appIdBad && <span className="field-error">{t("wa.appIdDigits")}</span>}
              </span>
            ) : (
              <>
                <code id="wa-app-id">{status.app_id ?? t("wa.appIdNone")}</code>{" "}
                <button
                  id="wa-app-id-edit"
                  className="link small"
                  disabled={busy}
                  onClick={() => {
                    setAppIdDraft(status.app_id ?? "");
                    setAppIdBad(false);
                    setAppIdEditing(true);
                  }}
                >
                  {t("wa.edit")}
                </button>
              </>
            )}
          </dd>
          <dt>{t("wa.field.access_token")}</dt>
          <dd id="wa-token-hint">
            {!status.token_saved
              ? t("wa.secretMissing")
              : status.token_hint
                ? t("wa.configuredEndsIn", { last4: status.token_hint })
                : t("wa.configured")}
          </dd>
          <dt>{t("wa.field.app_secret")}</dt>
          <dd id="wa-app-secret">{status.app_secret_saved ? t("wa.configured") : t("wa.secretMissing")}</dd>
        </dl>
        <div className="actions">
          <button id="wa-test-saved" className="secondary" disabled={busy} onClick={testSaved}>
            {busy ? t("wa.testing") : t("wa.test")}
          </button>
          <button id="wa-rotate" className="secondary" disabled={busy} onClick={() => setRotating((r) => !r)}>
            {t("wa.rotate")}
          </button>
          <button
            id="wa-edit"
            className="secondary"
            disabled={busy}
            onClick={() => {
              setForm({ ...emptyCredentials(), phone_number_id: status.phone_number_id, waba_id: status.waba_id, app_id: status.app_id });
              setTest(null);
              setEditing(true);
            }}
          >
            {t("wa.edit")}
          </button>
          <button id="wa-disconnect" className="secondary" disabled={busy} onClick={() => setConfirming(true)}>
            {t("wa.disconnect")}
          </button>
        </div>
        {rotating && (
          <div className="inline-form" id="wa-rotate-form">
            <label htmlFor="wa-new-token">{t("wa.newToken")}</label>
            <input id="wa-new-token" type="password" autoComplete="off" value={newToken} onChange={(e) => setNewToken(e.target.value)} />
            <p className="muted small">{t("wa.rotateHint")}</p>
            <button id="wa-rotate-save" disabled={busy} onClick={rotate}>{t("wa.rotateSave")}</button>
          </div>
        )}
        {confirming && (
          <div className="confirm" role="alertdialog" id="wa-disconnect-dialog">
            <p>{t("wa.disconnectConfirm")}</p>
            <button id="wa-disconnect-confirm" disabled={busy} onClick={disconnect}>{t("wa.disconnectYes")}</button>
            <button className="secondary" onClick={() => setConfirming(false)}>{t("wa.cancel")}</button>
          </div>
        )}
        {errorBox}
        {test && <TestResult test={test} busy={busy} onSubscribe={subscribe} />}
      </section>
    );
  }

  return (
    <section id="settings-whatsapp">
      <h2>{t("wa.title")}</h2>
      {notice && <p className="notice" id="wa-notice">{notice}</p>}
      <p className="muted">{t("wa.intro")}</p>
      <form
        id="wa-form"
        onSubmit={(e) => {
          e.preventDefault();
          probar();
        }}
      >
        {FIELDS.map(({ field: f, secret }) => (
          <div className="field" key={f}>
            <label htmlFor={`wa-${f}`}>{t(`wa.field.${f}`)}</label>
            <input
              id={`wa-${f}`}
              type={secret ? "password" : "text"}
              autoComplete="off"
              spellCheck={false}
              placeholder={f === "graph_version" ? "v25.0" : undefined}
              inputMode={f === "app_id" ? "numeric" : undefined}
              value={form[f] ?? ""}
              aria-invalid={missing.includes(f) || field === f}
              onChange={(e) => edit(f, e.target.value)}
            />
            {f === "app_id" && <p className="muted small">{t("wa.appIdHint")}</p>}
            {missing.includes(f) && <p className="field-error">{t("wa.required")}</p>}
          </div>
        ))}
        <div className="actions">
          <button id="wa-test" type="submit" className="secondary" disabled={busy}>
            {busy ? t("wa.testing") : t("wa.test")}
          </button>
          <button id="wa-save" type="button" disabled={!canSave} onClick={save} title={canSave ? undefined : t("wa.saveNeedsTest")}>
            {t("wa.save")}
          </button>
          {configured && (
            <button type="button" className="secondary" onClick={() => setEditing(false)}>
              {t("wa.cancel")}
            </button>
          )}
        </div>
      </form>
      {errorBox}
      {test && <TestResult test={test} busy={busy} onSubscribe={subscribe} />}
    </section>
  );
}
