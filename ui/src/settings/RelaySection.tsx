import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type MetaWebhook, type RelayCheck, type RelayInput, type RelayStatus } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";

const emptyInput = (): RelayInput => ({ pasted: "", relay_url: "", device_token: "" });

/** Copies `text`; the fallback selects a hidden field for webviews without the clipboard API. */
async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

function CopyValue(props: { id: string; label: string; value: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  return (
    <>
      <dt>{props.label}</dt>
      <dd className="copy-row">
        <code id={props.id}>{props.value}</code>
        <button
          id={`${props.id}-copy`}
          className="secondary small"
          onClick={async () => setCopied(await copy(props.value))}
        >
          {copied ? t("relay.copied") : t("relay.copy")}
        </button>
      </dd>
    </>
  );
}

/** Meta's "Callback URL" and "Verify token", to paste in the app's WhatsApp → Configuration. */
function MetaValues({ meta }: { meta: MetaWebhook | null }) {
  const t = useT();
  if (!meta) return <p className="muted" id="relay-meta-missing">{t("relay.metaMissing")}</p>;
  return (
    <div id="relay-meta">
      <h3>{t("relay.metaTitle")}</h3>
      <p className="muted">{t("relay.metaHint")}</p>
      <dl>
        <CopyValue id="relay-callback-url" label={t("relay.callbackUrl")} value={meta.callback_url} />
        <CopyValue id="relay-verify-token" label={t("relay.verifyToken")} value={meta.verify_token} />
      </dl>
    </div>
  );
}

/** Ajustes → Relay: paste what `mostrador-relay tenant create` printed, test, save. */
export function RelaySection({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [status, setStatus] = useState<RelayStatus | null>(null);
  const [editing, setEditing] = useState(false);
  const [input, setInput] = useState<RelayInput>(emptyInput());
  const [check, setCheck] = useState<RelayCheck | null>(null);
  const [checkedFor, setCheckedFor] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    setStatus(null);
    setEditing(false);
    setCheck(null);
    setError(null);
    commands.relayStatus(orgId).then(setStatus).catch((raw) => setError(asAppError(raw)));
  }, [orgId]);

  async function run<T>(f: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setError(null);
    try {
      return await f();
    } catch (raw) {
      setError(asAppError(raw));
      return undefined;
    } finally {
      setBusy(false);
    }
  }

  const key = JSON.stringify(input);
  async function probar() {
    setCheck(null);
    const r = await run(() => commands.relayTest(orgId, input));
    if (r) {
      setCheck(r);
      setCheckedFor(key);
    }
  }

  async function save() {
    const r = await run(() => commands.relaySave(orgId, input));
    if (r) {
      setStatus(r.status);
      setCheck(r.check);
      setEditing(false);
      setInput(emptyInput());
    }
  }

  async function disconnect() {
    const r = await run(() => commands.relayDisconnect(orgId));
    setConfirming(false);
    if (r) {
      setStatus(r);
      setCheck(null);
    }
  }

  const errorBox = error && (
    <p className="field-error" role="alert" id="relay-error">
      {errorText(error, lang)}
    </p>
  );
  if (!status) return <section id="settings-relay"><p className="muted">{t("loading")}</p>{errorBox}</section>;

  if (status.state === "configured" && !editing) {
    return (
      <section id="settings-relay">
        <h2>{t("relay.title")}</h2>
        <dl id="relay-configured">
          <dt>{t("relay.url")}</dt>
          <dd><code id="relay-configured-url">{status.relay_url}</code></dd>
          <dt>{t("relay.deviceToken")}</dt>
          <dd id="relay-token-hint">
            {status.token_hint ? t("wa.configuredEndsIn", { last4: status.token_hint }) : t("wa.configured")}
          </dd>
        </dl>
        <MetaValues meta={status.meta} />
        <div className="actions">
          <button id="relay-edit" className="secondary" onClick={() => setEditing(true)}>{t("relay.change")}</button>
          <button id="relay-disconnect" className="secondary" disabled={busy} onClick={() => setConfirming(true)}>
            {t("wa.disconnect")}
          </button>
        </div>
        {confirming && (
          <div className="confirm" role="alertdialog" id="relay-disconnect-dialog">
            <p>{t("relay.disconnectConfirm")}</p>
            <button id="relay-disconnect-confirm" disabled={busy} onClick={disconnect}>{t("wa.disconnectYes")}</button>
            <button className="secondary" onClick={() => setConfirming(false)}>{t("wa.cancel")}</button>
          </div>
        )}
        {errorBox}
      </section>
    );
  }

  return (
    <section id="settings-relay">
      <h2>{t("relay.title")}</h2>
      <p className="muted">{t("relay.intro")}</p>
      <div className="field">
        <label htmlFor="relay-pasted">{t("relay.pasted")}</label>
        <textarea
          id="relay-pasted"
          rows={8}
          spellCheck={false}
          placeholder={"Provider webhook URLs:\n  whatsapp     https://…/in/…/whatsapp\n\nMeta verify token …: …\nDevice token …: …"}
          value={input.pasted}
          onChange={(e) => setInput({ ...input, pasted: e.target.value })}
        />
      </div>
      <p className="muted small">{t("relay.orFields")}</p>
      <div className="field">
        <label htmlFor="relay-url">{t("relay.url")}</label>
        <input id="relay-url" type="url" placeholder="https://relay.ejemplo.com" value={input.relay_url} onChange={(e) => setInput({ ...input, relay_url: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="relay-token">{t("relay.deviceToken")}</label>
        <input id="relay-token" type="password" autoComplete="off" value={input.device_token} onChange={(e) => setInput({ ...input, device_token: e.target.value })} />
      </div>
      <div className="actions">
        <button id="relay-test" className="secondary" disabled={busy} onClick={probar}>
          {busy ? t("wa.testing") : t("relay.test")}
        </button>
        <button id="relay-save" disabled={busy || !check || checkedFor !== key} onClick={save}>{t("wa.save")}</button>
        {status.state === "configured" && (
          <button className="secondary" onClick={() => setEditing(false)}>{t("wa.cancel")}</button>
        )}
      </div>
      {errorBox}
      {check && (
        <div id="relay-check">
          <p className="notice">{t("relay.ok", { backlog: String(check.backlog) })}</p>
          <MetaValues meta={check.meta} />
        </div>
      )}
    </section>
  );
}
