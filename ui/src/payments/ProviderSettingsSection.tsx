import { useEffect, useState, type ReactNode } from "react";
import { asAppError } from "../api";
import type { AppError } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import type { MessageKey } from "../i18n";

export const orNull = (s: string) => (s.trim() === "" ? null : s.trim());

/** One keychain secret of a provider: typed to replace the stored one, never shown back. */
export interface SecretField {
  id: string;
  label: string;
  placeholder: string;
}

/** One plain setting of a provider. */
export interface TextField<S> {
  id: string;
  label: string;
  placeholder?: string;
  get: (s: S) => string | null;
  set: (s: S, v: string | null) => S;
}

/** What the settings command returns, in common terms. */
export interface Loaded<S> {
  settings: S;
  /** Which of the two secrets are stored, in the order of `secrets`. */
  has: [boolean, boolean];
  webhookUrl: string | null;
}

/** The per-provider part of Ajustes → MercadoPago / Stripe. */
export interface ProviderSettingsSpec<S> {
  /** `mercadopago` → section id `settings-mercadopago`. */
  section: string;
  /** Element id prefix (`mp`, `stripe`): `mp-save`, `mp-probe`, `mp-webhook-url`. */
  prefix: string;
  /** i18n key prefix (`mp`, `stripe`): `.title`, `.intro`, `.stored`, `.save`, `.saved`, `.probe`, `.webhookUrl`. */
  i18n: string;
  empty: S;
  secrets: [SecretField, SecretField];
  fields: TextField<S>[];
  load: () => Promise<Loaded<S>>;
  save: (s: S, first: string | null, second: string | null) => Promise<unknown>;
  /** "Probar": the status line on success. */
  probe: () => Promise<string>;
  /** Below the webhook URL (e.g. which events to subscribe). */
  webhookNote?: ReactNode;
}

/** Ajustes → a payment provider: two secrets to the keychain, its settings, "Probar" and the
 * webhook URL to paste in the provider's panel. One component; each provider gives its fields. */
export function ProviderSettingsSection<S>({ spec }: { spec: ProviderSettingsSpec<S> }) {
  const t = useT();
  const lang = useLanguage();
  const [s, setS] = useState<S>(spec.empty);
  const [has, setHas] = useState<[boolean, boolean]>([false, false]);
  const [webhookUrl, setWebhookUrl] = useState<string | null>(null);
  const [typed, setTyped] = useState<[string, string]>(["", ""]);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const k = (key: string) => t(`${spec.i18n}.${key}` as MessageKey);

  const load = () =>
    spec
      .load()
      .then((v) => {
        setS(v.settings);
        setHas(v.has);
        setWebhookUrl(v.webhookUrl);
      })
      .catch((e) => setError(asAppError(e)));

  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [spec.section]);

  const save = () => {
    setError(null);
    setStatus(null);
    spec
      .save(s, orNull(typed[0]), orNull(typed[1]))
      .then(() => {
        setTyped(["", ""]);
        setStatus(k("saved"));
        return load();
      })
      .catch((e) => setError(asAppError(e)));
  };

  const probe = () => {
    setError(null);
    setStatus(null);
    spec
      .probe()
      .then(setStatus)
      .catch((e) => setError(asAppError(e)));
  };

  return (
    <section id={`settings-${spec.section}`}>
      <h2>{k("title")}</h2>
      <p className="muted">{k("intro")}</p>
      {spec.secrets.map((f, i) => (
        <label key={f.id}>
          {f.label}
          <input
            id={f.id}
            type="password"
            value={typed[i]}
            placeholder={has[i] ? k("stored") : f.placeholder}
            onChange={(e) => setTyped(i === 0 ? [e.target.value, typed[1]] : [typed[0], e.target.value])}
          />
        </label>
      ))}
      {spec.fields.map((f) => (
        <label key={f.id}>
          {f.label}
          <input id={f.id} value={f.get(s) ?? ""} placeholder={f.placeholder} onChange={(e) => setS(f.set(s, orNull(e.target.value)))} />
        </label>
      ))}
      {webhookUrl && (
        <>
          <p>
            {k("webhookUrl")} <code id={`${spec.prefix}-webhook-url`}>{webhookUrl}</code>
          </p>
          {spec.webhookNote}
        </>
      )}
      <button id={`${spec.prefix}-save`} onClick={save}>{k("save")}</button>{" "}
      <button id={`${spec.prefix}-probe`} onClick={probe} disabled={!has[0]}>{k("probe")}</button>
      {status && <p role="status">{status}</p>}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
    </section>
  );
}
