import { type FormEvent, useCallback, useEffect, useState } from "react";
import { asAppError } from "../../api";
import { commands, type AppError, type CaeaInfo, type ContingencyStatus, type Organization } from "../../bindings";
import { useLanguage, useT } from "../../i18n/context";
import { errorText } from "../../i18n/errors";
import { dmy } from "./model";

/**
 * Ajustes → AFIP → "Contingencia (CAEA)": when AFIP cannot be reached, invoices are issued with the
 * fortnight's CAEA on a contingency point of sale and informed to AFIP later. `caeaPoints` are
 * the CAEA points the last "Probar" listed (the owner may also type one).
 */
export function ContingencySection({ org, caeaPoints }: { org: Organization; caeaPoints: number[] }) {
  const t = useT();
  const lang = useLanguage();
  const [status, setStatus] = useState<ContingencyStatus | null>(null);
  const [enabled, setEnabled] = useState(false);
  const [auto, setAuto] = useState(false);
  const [point, setPoint] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState(false);

  const show = useCallback((s: ContingencyStatus) => {
    setStatus(s);
    setEnabled(s.enabled);
    setAuto(s.auto);
    setPoint(s.points_of_sale[0] ? String(s.points_of_sale[0]) : "");
  }, []);

  useEffect(() => {
    commands
      .afipCaeaStatus(org.id)
      .then(show)
      .catch((e) => setError(asAppError(e)));
  }, [org.id, show]);

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const n = Number(point);
      show(
        await commands.afipCaeaConfigure(org.id, {
          enabled,
          auto,
          points_of_sale: point && Number.isInteger(n) ? [n] : [],
        }),
      );
      setSaved(true);
    } catch (err) {
      setError(asAppError(err));
    } finally {
      setBusy(false);
    }
  }

  const caea = (label: "afip.caea.current" | "afip.caea.next", c: CaeaInfo | null, id: string) =>
    c && (
      <p id={id}>
        {t(label, {
          code: c.code,
          from: dmy(c.valid_from),
          to: dmy(c.valid_to),
          inform: dmy(c.report_by),
        })}
      </p>
    );

  return (
    <div id="afip-caea">
      <h3>{t("afip.caea.title")}</h3>
      <p className="muted">{t("afip.caea.help")}</p>
      <form onSubmit={save}>
        <label>
          <input
            id="afip-caea-enabled"
            type="checkbox"
            checked={enabled}
            onChange={(e) => setEnabled(e.target.checked)}
          />{" "}
          {t("afip.caea.enable")}
        </label>
        <label>
          {t("afip.caea.point")}{" "}
          {caeaPoints.length > 0 ? (
            <select id="afip-caea-point" value={point} onChange={(e) => setPoint(e.target.value)}>
              <option value="">{t("afip.pos.choose")}</option>
              {caeaPoints.map((p) => (
                <option key={p} value={String(p)}>
                  {String(p).padStart(5, "0")}
                </option>
              ))}
            </select>
          ) : (
            <input
              id="afip-caea-point"
              inputMode="numeric"
              value={point}
              onChange={(e) => setPoint(e.target.value.replace(/\D/g, ""))}
            />
          )}
        </label>
        <label>
          <input id="afip-caea-auto" type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} />{" "}
          {t("afip.caea.auto")}
        </label>
        <button type="submit" id="afip-caea-save" disabled={busy}>
          {t("afip.caea.save")}
        </button>
      </form>
      {status && (
        <div id="afip-caea-status">
          {caea("afip.caea.current", status.current, "afip-caea-current")}
          {caea("afip.caea.next", status.next, "afip-caea-next")}
          {status.enabled && !status.current && <p className="warning">{t("afip.caea.none")}</p>}
          <p id="afip-caea-pending">{t("afip.caea.pending", { n: String(status.pending) })}</p>
          {status.rejected > 0 && (
            <p className="error">{t("afip.caea.rejected", { n: String(status.rejected) })}</p>
          )}
          {status.last_error && (
            <p className="warning" id="afip-caea-last-error">
              {t("afip.caea.lastError", { error: status.last_error })}
            </p>
          )}
        </div>
      )}
      {saved && <p className="ok">{t("afip.caea.saved")}</p>}
      {error && (
        <p className="error" id="afip-caea-error" role="alert">
          {errorText(error, lang)}
        </p>
      )}
    </div>
  );
}
