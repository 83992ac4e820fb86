import { useCallback, useEffect, useState } from "react";
import { asAppError } from "../../api";
import {
  commands,
  type AfipEnvironment,
  type AppError,
  type CertificateSummary,
  type IssuerProfile,
  type Organization,
  type ProbeReport,
  type SavedRequest,
  type SetupStatus,
} from "../../bindings";
import { useLanguage, useT } from "../../i18n/context";
import { errorText } from "../../i18n/errors";
import "./afip.css";
import { IssuerLogo } from "./IssuerLogo";
import { ContingencySection } from "./ContingencySection";
import { dateOrNull, expiryTone, isCaeaPoint, pickedKind, suggestAlias, toBase64, usablePoints, validAlias } from "./model";

async function readFile(input: HTMLInputElement): Promise<{ name: string; base64: string } | null> {
  const file = input.files?.[0];
  if (!file) return null;
  return { name: file.name, base64: toBase64(new Uint8Array(await file.arrayBuffer())) };
}

/** Ajustes → AFIP: environment, key + CSR, certificate import, "Probar", point of sale, issuer data. */
export function AfipSettings({ org }: { org: Organization }) {
  const t = useT();
  const lang = useLanguage();
  const locale = lang === "es" ? "es-AR" : "en";
  const [status, setStatus] = useState<SetupStatus | null>(null);
  const [issuer, setIssuer] = useState<IssuerProfile | null>(null);
  const [alias, setAlias] = useState(suggestAlias(org.name));
  const [saved, setSaved] = useState<SavedRequest | null>(null);
  const [probe, setProbe] = useState<ProbeReport | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [p12Password, setP12Password] = useState("");

  const refresh = useCallback(async () => {
    setStatus(await commands.afipStatus(org.id));
  }, [org.id]);

  useEffect(() => {
    setError(null);
    refresh().catch((e) => setError(asAppError(e)));
    commands
      .afipIssuer(org.id)
      .then(setIssuer)
      .catch((e) => setError(asAppError(e)));
  }, [org.id, refresh]);

  async function run(what: string, action: () => Promise<void>) {
    setBusy(what);
    setError(null);
    setNotice(null);
    try {
      await action();
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setBusy(null);
    }
  }

  const imported = (c: CertificateSummary) => {
    setNotice(t("afip.imported", { cuit: c.cuit }));
    return refresh();
  };

  async function onCertificateFiles(form: HTMLFormElement) {
    const certInput = form.elements.namedItem("afip-cert") as HTMLInputElement;
    const keyInput = form.elements.namedItem("afip-key") as HTMLInputElement;
    const cert = await readFile(certInput);
    if (!cert) return;
    const key = await readFile(keyInput);
    if (pickedKind(cert.name) === "p12") {
      await imported(await commands.afipImportP12(org.id, cert.base64, p12Password));
    } else if (key) {
      await imported(await commands.afipImportPemPair(org.id, cert.base64, key.base64));
    } else {
      await imported(await commands.afipImportCertificate(org.id, cert.base64));
    }
    form.reset();
    setP12Password("");
  }

  if (!status) {
    return (
      <section id="afip-settings">
        <h2>{t("afip.title")}</h2>
        {error ? <p className="error">{errorText(error, lang)}</p> : <p>{t("loading")}</p>}
      </section>
    );
  }

  const cert = status.certificate;
  const tone = cert ? expiryTone(cert.days_left, cert.expired) : null;
  const date = (s: string) => new Date(s).toLocaleDateString(locale);

  return (
    <section id="afip-settings" className="afip-settings">
      <h2>{t("afip.title")}</h2>
      <p className="muted">{t("afip.intro")}</p>

      <label>
        {t("afip.environment")}{" "}
        <select
          id="afip-environment"
          value={status.environment}
          disabled={busy !== null}
          onChange={(e) =>
            run("env", async () => {
              await commands.afipSetEnvironment(org.id, e.target.value as AfipEnvironment);
              setProbe(null);
              await refresh();
            })
          }
        >
          <option value="homologacion">{t("afip.env.homologacion")}</option>
          <option value="produccion">{t("afip.env.produccion")}</option>
        </select>
      </label>

      {cert && (
        <div id="afip-certificate" className={`afip-cert tone-${tone}`}>
          <p>
            {t("afip.cert.cuit")} <strong id="afip-cert-cuit">{cert.cuit}</strong> · {t("afip.cert.expires")}{" "}
            <strong id="afip-cert-expiry">{date(cert.not_after)}</strong>
          </p>
          {tone === "warning" && (
            <p className="warning" id="afip-expiry-warning">
              {t("afip.cert.expiringSoon", { days: String(cert.days_left) })}
            </p>
          )}
          {tone === "expired" && <p className="error">{t("afip.cert.expired")}</p>}
        </div>
      )}

      <h3>{t("afip.step1")}</h3>
      <p>{t("afip.step1.help")}</p>
      <label>
        {t("afip.alias")}{" "}
        <input id="afip-alias" value={alias} onChange={(e) => setAlias(e.target.value)} />
      </label>
      {!validAlias(alias) && <p className="error">{t("afip.alias.invalid")}</p>}
      <button
        id="afip-generate"
        disabled={busy !== null || !validAlias(alias)}
        onClick={() =>
          run("generate", async () => {
            setSaved(await commands.afipGenerateRequest(org.id, alias.trim()));
            await refresh();
          })
        }
      >
        {busy === "generate" ? t("afip.generating") : t("afip.generate")}
      </button>
      {(saved || status.pending_request) && (
        <div id="afip-csr">
          {saved && (
            <p>
              {t("afip.csrSaved")} <code id="afip-csr-path">{saved.path}</code>
            </p>
          )}
          <textarea readOnly rows={4} value={saved?.pem ?? status.pending_request?.pem ?? ""} />
        </div>
      )}

      <h3>{t("afip.step2")}</h3>
      <ol className="afip-steps">
        <li>{t(status.environment === "produccion" ? "afip.step2.prod1" : "afip.step2.homo1")}</li>
        <li>{t(status.environment === "produccion" ? "afip.step2.prod2" : "afip.step2.homo2")}</li>
        <li>{t(status.environment === "produccion" ? "afip.step2.prod3" : "afip.step2.homo3")}</li>
        <li>{t("afip.step2.padron")}</li>
      </ol>

      <h3>{t("afip.step3")}</h3>
      <p>{t("afip.step3.help")}</p>
      <form
        id="afip-import"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          run("import", () => onCertificateFiles(form));
        }}
      >
        <label>
          {t("afip.file.cert")} <input type="file" name="afip-cert" id="afip-cert-file" accept=".crt,.pem,.cer,.der,.p12,.pfx" />
        </label>
        <label>
          {t("afip.file.key")} <input type="file" name="afip-key" id="afip-key-file" accept=".key,.pem" />
        </label>
        <label>
          {t("afip.file.p12password")}{" "}
          <input
            type="password"
            id="afip-p12-password"
            autoComplete="off"
            value={p12Password}
            onChange={(e) => setP12Password(e.target.value)}
          />
        </label>
        <button type="submit" id="afip-import-submit" disabled={busy !== null}>
          {t("afip.import")}
        </button>
      </form>

      <h3>{t("afip.step4")}</h3>
      <button
        id="afip-probe"
        disabled={busy !== null || !cert}
        onClick={() => run("probe", async () => setProbe(await commands.afipProbe(org.id)))}
      >
        {busy === "probe" ? t("afip.probing") : t("afip.probe")}
      </button>
      {probe && (
        <div id="afip-probe-result">
          <p className="ok" id="afip-probe-ok">
            {t("afip.probe.ok", { app: probe.app_server, db: probe.db_server, auth: probe.auth_server })}
          </p>
          <p className="muted">
            {t(probe.ticket_reused ? "afip.probe.ticketReused" : "afip.probe.ticketNew", {
              time: new Date(probe.ticket_expires_at).toLocaleString(locale),
            })}
          </p>
          {usablePoints(probe.points_of_sale).filter((p) => !isCaeaPoint(p)).length === 0 ? (
            <p className="warning">{t("afip.pos.none")}</p>
          ) : (
            <label>
              {t("afip.pos")}{" "}
              <select
                id="afip-point-of-sale"
                value={status.point_of_sale ?? ""}
                onChange={(e) =>
                  run("pos", async () => {
                    await commands.afipSetPointOfSale(org.id, Number(e.target.value));
                    await refresh();
                  })
                }
              >
                <option value="" disabled>
                  {t("afip.pos.choose")}
                </option>
                {usablePoints(probe.points_of_sale)
                  .filter((p) => !isCaeaPoint(p))
                  .map((p) => (
                  <option key={p.number} value={p.number}>
                    {String(p.number).padStart(5, "0")} · {p.emission_type}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
      )}
      {status.point_of_sale !== null && (
        <p id="afip-pos-saved">{t("afip.pos.saved", { n: String(status.point_of_sale).padStart(5, "0") })}</p>
      )}
      {status.point_of_sale !== null && (
        <ContingencySection
          org={org}
          caeaPoints={usablePoints(probe?.points_of_sale ?? [])
            .filter(isCaeaPoint)
            .map((p) => p.number)}
        />
      )}

      <h3>{t("afip.issuer")}</h3>
      {issuer && (
        <form
          id="afip-issuer"
          onSubmit={(e) => {
            e.preventDefault();
            run("issuer", async () => {
              await commands.afipSetIssuer(org.id, issuer);
              setNotice(t("afip.issuer.saved"));
            });
          }}
        >
          <label>
            {t("afip.issuer.legalName")}{" "}
            <input
              value={issuer.legal_name ?? org.name}
              onChange={(e) => setIssuer({ ...issuer, legal_name: e.target.value })}
            />
          </label>
          <label>
            {t("afip.issuer.tradeName")}{" "}
            <input
              value={issuer.trade_name ?? ""}
              onChange={(e) => setIssuer({ ...issuer, trade_name: e.target.value || null })}
            />
          </label>
          <label>
            {t("afip.issuer.address")}{" "}
            <input value={issuer.address} onChange={(e) => setIssuer({ ...issuer, address: e.target.value })} />
          </label>
          <label>
            {t("afip.issuer.iibb")}{" "}
            <input value={issuer.iibb} onChange={(e) => setIssuer({ ...issuer, iibb: e.target.value })} />
          </label>
          <label>
            {t("afip.issuer.activityStart")}{" "}
            <input
              type="date"
              value={issuer.activity_start ?? ""}
              onChange={(e) => setIssuer({ ...issuer, activity_start: dateOrNull(e.target.value) })}
            />
          </label>
          <IssuerLogo orgId={org.id} onChange={(file) => setIssuer({ ...issuer, logo_path: file })} />
          <p className="muted">{t("afip.issuer.fromOrg", { iva: t(`iva.${org.iva_condition}`) })}</p>
          <button type="submit" disabled={busy !== null}>
            {t("afip.issuer.save")}
          </button>
        </form>
      )}

      {notice && (
        <p className="ok" id="afip-notice">
          {notice}
        </p>
      )}
      {error && (
        <p className="error" id="afip-error" role="alert">
          {errorText(error, lang)}
        </p>
      )}
    </section>
  );
}
