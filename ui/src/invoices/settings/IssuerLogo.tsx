import { useEffect, useState } from "react";
import { asAppError } from "../../api";
import { commands, type AppError, type LogoInfo } from "../../bindings";
import { useLanguage, useT } from "../../i18n/context";
import { errorText } from "../../i18n/errors";
import { logoRefusal, logoSummary } from "./logo";

/**
 * Ajustes → AFIP → Datos del emisor → logo: a PNG or JPEG chosen with the system's dialog or by
 * typing its path. The core checks it and keeps a copy, so it takes effect at once; `onChange`
 * keeps the issuer form's value in step, so "Guardar datos" never puts an old one back.
 */
export function IssuerLogo({ orgId, onChange }: { orgId: string; onChange: (file: string | null) => void }) {
  const t = useT();
  const lang = useLanguage();
  const [logo, setLogo] = useState<LogoInfo | null>(null);
  const [path, setPath] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    commands
      .invoicesLogo(orgId)
      .then(setLogo)
      .catch((e) => setError(asAppError(e)));
  }, [orgId]);

  async function use(chosen: string) {
    if (!chosen.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const info = await commands.invoicesSetLogo(orgId, chosen);
      setLogo(info);
      setPath("");
      onChange(info.file);
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setBusy(false);
    }
  }

  async function choose() {
    setError(null);
    try {
      const chosen = await commands.invoicesChooseLogo();
      if (chosen) await use(chosen);
    } catch (e) {
      setError(asAppError(e));
    }
  }

  async function remove() {
    setError(null);
    try {
      await commands.invoicesRemoveLogo(orgId);
      setLogo(null);
      onChange(null);
    } catch (e) {
      setError(asAppError(e));
    }
  }

  const refusal = error ? logoRefusal(error) : null;
  return (
    <fieldset className="issuer-logo" id="issuer-logo">
      <legend>{t("afip.issuer.logo")}</legend>
      {logo ? (
        <p id="issuer-logo-current">
          {t("afip.logo.current", { what: logoSummary(logo) })}{" "}
          <button type="button" className="link" id="issuer-logo-remove" onClick={remove}>
            {t("afip.logo.remove")}
          </button>
        </p>
      ) : (
        <p className="muted">{t("afip.logo.none")}</p>
      )}
      <button type="button" id="issuer-logo-choose" disabled={busy} onClick={choose}>
        {t("afip.logo.choose")}
      </button>{" "}
      <input
        id="issuer-logo-path"
        value={path}
        placeholder="/home/…/logo.png"
        onChange={(e) => setPath(e.target.value)}
        onKeyDown={(e) => {
          // Enter uses the typed path instead of submitting the issuer form.
          if (e.key === "Enter") {
            e.preventDefault();
            use(path);
          }
        }}
      />
      <button type="button" id="issuer-logo-use" disabled={busy || !path.trim()} onClick={() => use(path)}>
        {t("afip.logo.use")}
      </button>
      <p className="small muted">{t("afip.logo.hint")}</p>
      {error && (
        <p className="field-error" role="alert" id="issuer-logo-error">
          {refusal ? t(`afip.logo.err.${refusal}`) : errorText(error, lang)}
        </p>
      )}
    </fieldset>
  );
}
