import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type SmsMeasure, type SmsSettings } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";

const EMPTY: SmsSettings = {
  account_sid: "",
  from: null,
  messaging_service_sid: null,
  base_url: null,
  status_callback_url: null,
};

const orNull = (s: string) => (s.trim() === "" ? null : s.trim());

/** Ajustes → SMS: Twilio account, sender, relay URL, auth token (keychain) and "Probar". */
export function SmsSettingsSection({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [s, setS] = useState<SmsSettings>(EMPTY);
  const [hasToken, setHasToken] = useState(false);
  const [token, setToken] = useState("");
  const [testTo, setTestTo] = useState("");
  const [testText] = useState(t("sms.testText"));
  const [measure, setMeasure] = useState<SmsMeasure | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    commands
      .smsSettings(orgId)
      .then((v) => {
        setS(v.settings ?? EMPTY);
        setHasToken(v.has_token);
      })
      .catch((e) => setError(asAppError(e)));
  }, [orgId]);

  useEffect(() => {
    commands.measureSms(testText).then(setMeasure).catch(() => setMeasure(null));
  }, [testText]);

  const save = () => {
    setError(null);
    setStatus(null);
    commands
      .saveSmsSettings(orgId, s, orNull(token))
      .then(() => {
        setStatus(t("sms.saved"));
        if (token.trim()) setHasToken(true);
        setToken("");
      })
      .catch((e) => setError(asAppError(e)));
  };

  const test = () => {
    setError(null);
    setStatus(null);
    commands
      .sendTestSms(orgId, testTo)
      .then((sid) => setStatus(t("sms.testSent", { sid })))
      .catch((e) => setError(asAppError(e)));
  };

  return (
    <section id="settings-sms">
      <h2>{t("sms.title")}</h2>
      <p className="muted">{t("sms.intro")}</p>
      <label>
        {t("sms.accountSid")}
        <input id="sms-account-sid" value={s.account_sid} onChange={(e) => setS({ ...s, account_sid: e.target.value })} />
      </label>
      <label>
        {t("sms.token")}
        <input
          id="sms-token"
          type="password"
          value={token}
          placeholder={hasToken ? t("sms.tokenStored") : ""}
          onChange={(e) => setToken(e.target.value)}
        />
      </label>
      <label>
        {t("sms.from")}
        <input id="sms-from" value={s.from ?? ""} placeholder="+5491150000000" onChange={(e) => setS({ ...s, from: orNull(e.target.value) })} />
      </label>
      <label>
        {t("sms.service")}
        <input
          id="sms-service"
          value={s.messaging_service_sid ?? ""}
          placeholder="MG…"
          onChange={(e) => setS({ ...s, messaging_service_sid: orNull(e.target.value) })}
        />
      </label>
      <label>
        {t("sms.callback")}
        <input
          id="sms-callback"
          value={s.status_callback_url ?? ""}
          onChange={(e) => setS({ ...s, status_callback_url: orNull(e.target.value) })}
        />
      </label>
      <button id="sms-save" onClick={save}>{t("sms.save")}</button>
      <h3>{t("sms.test")}</h3>
      <label>
        {t("sms.testTo")}
        <input id="sms-test-to" value={testTo} placeholder="11 2345-6789" onChange={(e) => setTestTo(e.target.value)} />
      </label>
      {measure && (
        <p className="muted" id="sms-measure">
          {t(measure.encoding === "gsm7" ? "sms.measure.gsm7" : "sms.measure.ucs2", {
            segments: String(measure.segments),
            characters: String(measure.characters),
          })}
        </p>
      )}
      <button id="sms-test" onClick={test} disabled={testTo.trim() === ""}>{t("sms.testButton")}</button>
      {status && <p role="status">{status}</p>}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
    </section>
  );
}
