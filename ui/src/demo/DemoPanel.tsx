import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, events, onEvent, type AppError, type DemoStatus, type MessageView, type SimulatedMessage } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { preview, pushFeed } from "./model";
import "./demo.css";

/** The demo's controls: make a customer write, the automatic trickle, leave; and what arrived. */
export function DemoPanel(props: { status: DemoStatus; onStatus: (s: DemoStatus) => void; onExit: () => Promise<void> }) {
  const t = useT();
  const lang = useLanguage();
  const [feed, setFeed] = useState<MessageView[]>([]);
  const [sent, setSent] = useState<SimulatedMessage | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    // Pushed by the core as each message is stored: no polling.
    const unlisten = onEvent(events.demoActivity, (a) => {
      if (a.org_id === props.status.org_id && a.message.direction === "in") {
        setFeed((f) => pushFeed(f, a.message));
      }
    });
    return () => {
      unlisten.then((f) => f());
    };
  }, [props.status.org_id]);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (raw) {
      setError(asAppError(raw));
    } finally {
      setBusy(false);
    }
  }

  const time = (at: string) =>
    new Date(at).toLocaleTimeString(lang === "es" ? "es-AR" : "en", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

  return (
    <section className="demo-panel" id="demo-panel" aria-labelledby="demo-panel-title">
      <h2 id="demo-panel-title">{t("demo.panel.title")}</h2>
      <div className="demo-actions">
        <button id="demo-simulate" type="button" disabled={busy} onClick={() => run(async () => setSent(await commands.demoSimulate()))}>
          {t("demo.panel.simulate")}
        </button>
        <label>
          <input
            id="demo-trickle"
            type="checkbox"
            checked={props.status.trickle}
            disabled={busy}
            onChange={(e) => run(async () => props.onStatus(await commands.demoSetTrickle(e.target.checked)))}
          />{" "}
          {t("demo.panel.trickle")}
        </label>
        <button id="demo-exit" type="button" className="secondary" disabled={busy} onClick={() => run(props.onExit)}>
          {t("demo.panel.exit")}
        </button>
      </div>
      {sent && (
        <p className="muted small" id="demo-sent" data-text={sent.text ?? ""} data-kind={sent.kind}>
          {t("demo.panel.sent", { name: sent.customer_name })}
        </p>
      )}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
      <h3 className="small">{t("demo.panel.activity")}</h3>
      {feed.length === 0 ? (
        <p className="muted small" id="demo-feed-empty">{t("demo.panel.activityEmpty")}</p>
      ) : (
        <ul className="demo-feed" id="demo-feed" aria-live="polite">
          {feed.map((m) => {
            const p = preview(m);
            return (
              <li key={m.id} data-kind={m.kind}>
                <span className="when">{time(m.at)}</span>
                <span>{t(p.key)}</span>
                {p.text && <span className="demo-feed-text">{p.text}</span>}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
