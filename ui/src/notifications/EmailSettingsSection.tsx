import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type EmailSettings } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";

const EMPTY: EmailSettings = {
  provider: "smtp",
  from_address: "",
  from_name: null,
  smtp_host: null,
  smtp_port: 587,
  smtp_security: "starttls",
  smtp_username: null,
  smtp_ca_pem: null,
  sendgrid_base_url: null,
};

const orNull = (s: string) => (s.trim() === "" ? null : s.trim());

/** Ajustes → E-mail: SMTP or SendGrid, the sender, the secret (keychain) and a test e-mail. */
export function EmailSettingsSection({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [s, setS] = useState<EmailSettings>(EMPTY);
  const [hasSecret, setHasSecret] = useState(false);
  const [secret, setSecret] = useState("");
  const [testTo, setTestTo] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    commands
      .emailSettings(orgId)
      .then((v) => {
        setS(v.settings ?? EMPTY);
        setHasSecret(v.has_secret);
      })
      .catch((e) => setError(asAppError(e)));
  }, [orgId]);

  const save = () => {
    setError(null);
    setStatus(null);
    commands
      .saveEmailSettings(orgId, s, orNull(secret))
      .then(() => {
        setStatus(t("email.saved"));
        if (secret) setHasSecret(true);
        setSecret("");
      })
      .catch((e) => setError(asAppError(e)));
  };

  const test = () => {
    setError(null);
    setStatus(null);
    commands
      .sendTestEmail(orgId, testTo)
      .then(() => setStatus(t("email.testSent", { to: testTo })))
      .catch((e) => setError(asAppError(e)));
  };

  const smtp = s.provider === "smtp";
  return (
    <section id="settings-email">
      <h2>{t("email.title")}</h2>
      <label>
        {t("email.provider")}
        <select
          id="email-provider"
          value={s.provider}
          onChange={(e) => setS({ ...s, provider: e.target.value as EmailSettings["provider"] })}
        >
          <option value="smtp">SMTP</option>
          <option value="sendgrid">SendGrid</option>
        </select>
      </label>
      <label>
        {t("email.from")}
        <input id="email-from" type="email" value={s.from_address} onChange={(e) => setS({ ...s, from_address: e.target.value })} />
      </label>
      <label>
        {t("email.fromName")}
        <input id="email-from-name" value={s.from_name ?? ""} onChange={(e) => setS({ ...s, from_name: orNull(e.target.value) })} />
      </label>
      {smtp && (
        <>
          <label>
            {t("email.host")}
            <input id="email-host" value={s.smtp_host ?? ""} placeholder="smtp.gmail.com" onChange={(e) => setS({ ...s, smtp_host: orNull(e.target.value) })} />
          </label>
          <label>
            {t("email.port")}
            <input
              id="email-port"
              type="number"
              value={s.smtp_port ?? 587}
              onChange={(e) => setS({ ...s, smtp_port: Number(e.target.value) || null })}
            />
          </label>
          <label>
            {t("email.security")}
            <select id="email-security" value={s.smtp_security ?? "starttls"} onChange={(e) => setS({ ...s, smtp_security: e.target.value })}>
              <option value="starttls">STARTTLS (587)</option>
              <option value="tls">TLS (465)</option>
              <option value="none">{t("email.security.none")}</option>
            </select>
          </label>
          <label>
            {t("email.user")}
            <input id="email-user" value={s.smtp_username ?? ""} onChange={(e) => setS({ ...s, smtp_username: orNull(e.target.value) })} />
          </label>
        </>
      )}
      <label>
        {smtp ? t("email.password") : t("email.apiKey")}
        <input
          id="email-secret"
          type="password"
          value={secret}
          placeholder={hasSecret ? t("email.secretStored") : ""}
          onChange={(e) => setSecret(e.target.value)}
        />
      </label>
      <button id="email-save" onClick={save}>{t("email.save")}</button>
      <h3>{t("email.test")}</h3>
      <label>
        {t("email.testTo")}
        <input id="email-test-to" type="email" value={testTo} onChange={(e) => setTestTo(e.target.value)} />
      </label>
      <button id="email-test" onClick={test} disabled={testTo.trim() === ""}>{t("email.testButton")}</button>
      {status && <p role="status">{status}</p>}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
    </section>
  );
}
