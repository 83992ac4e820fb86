import type { UpdateChannel } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { formatBytes, percent, waitingMessage } from "../updates/state";
import type { Updates } from "../updates/useUpdates";

/** Ajustes → Acerca de: version, channel, check, download progress, restart to update. */
export function About({ updates }: { updates: Updates }) {
  const t = useT();
  const lang = useLanguage();
  const { state } = updates;
  const { status, phase, available } = state;
  const pct = percent(state);
  const busy = phase === "checking" || phase === "downloading" || phase === "waiting" || phase === "installing";
  const version = available?.version ?? "";

  return (
    <section id="settings-about">
      <h2>{t("settings.about")}</h2>
      <dl>
        <dt>{t("about.version")}</dt>
        <dd id="about-version">{status?.current_version ?? "…"}</dd>
        <dt>
          <label htmlFor="update-channel">{t("about.channel")}</label>
        </dt>
        <dd>
          <select
            id="update-channel"
            value={status?.channel ?? "stable"}
            disabled={busy}
            onChange={(e) => updates.setChannel(e.target.value as UpdateChannel)}
          >
            <option value="stable">{t("about.channel.stable")}</option>
            <option value="beta">{t("about.channel.beta")}</option>
          </select>
        </dd>
      </dl>
      <label className="check">
        <input
          type="checkbox"
          id="update-on-startup"
          checked={status?.check_on_startup ?? true}
          onChange={(e) => updates.setCheckOnStartup(e.target.checked)}
        />
        {t("about.checkOnStartup")}
      </label>
      {status?.endpoint_override && (
        <p className="muted small" id="update-override">
          {t("about.override", { url: status.endpoint_override })}
        </p>
      )}

      <div className="actions left">
        <button id="update-check" className="secondary" disabled={busy} onClick={updates.check}>
          {phase === "checking" ? t("about.checking") : t("about.check")}
        </button>
      </div>

      <div id="update-status" role="status" aria-live="polite">
        {phase === "up_to_date" && <p>{t("about.upToDate")}</p>}
        {phase === "available" && available && (
          <>
            <p>{t("about.available", { version })}</p>
            {available.notes && (
              <details>
                <summary>{t("about.notes")}</summary>
                <p className="notes">{available.notes}</p>
              </details>
            )}
            <button id="update-download" onClick={updates.download}>
              {t("about.download")}
            </button>
          </>
        )}
        {phase === "downloading" && (
          <>
            <p>{t("about.downloading", { version })}</p>
            <progress id="update-progress" max={100} value={pct ?? undefined} />
            <span className="muted small">
              {pct !== null ? `${pct}% · ` : ""}
              {formatBytes(state.downloaded, lang)}
            </span>
          </>
        )}
        {phase === "ready" && (
          <>
            <p>{t("about.ready", { version })}</p>
            <button id="update-restart" onClick={updates.restart}>
              {t("about.restart")}
            </button>
          </>
        )}
        {phase === "waiting" && state.inFlight && (
          <p id="update-waiting">
            {(() => {
              const m = waitingMessage(state.inFlight);
              return t(m.key, m.params);
            })()}
          </p>
        )}
        {phase === "installing" && <p>{t("about.installing")}</p>}
      </div>
      {state.error && (
        <p className="field-error" role="alert" id="update-error">
          {errorText(state.error, lang)}
        </p>
      )}
    </section>
  );
}
