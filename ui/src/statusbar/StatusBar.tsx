import "./statusbar.css";
import { useEffect, useState } from "react";
import { commands, events, onEvent, type IntakeStatus } from "../bindings";
import { useT } from "../i18n/context";
import { barView, reasonKey } from "./model";

/** The bottom bar: the current business's relay connection, kept current by the core's events. */
export function StatusBar({ orgId }: { orgId: string }) {
  const t = useT();
  const [status, setStatus] = useState<IntakeStatus | null>(null);

  useEffect(() => {
    let live = true;
    setStatus(null);
    // Listen first, then ask: a change between the two is not lost.
    const off = onEvent(events.intakeStatus, (s) => {
      if (s.org_id === orgId) setStatus(s);
    });
    commands
      .intakeStatus(orgId)
      .then((s) => live && setStatus((cur) => cur ?? s))
      .catch(() => undefined);
    return () => {
      live = false;
      off.then((f) => f());
    };
  }, [orgId]);

  const view = barView(status);
  const c = status?.connection;
  const reason = c?.state === "reconnecting" ? t(reasonKey(c.last_error)) : "";
  return (
    <footer className={`statusbar tone-${view.tone}`} id="statusbar" role="status" data-state={c?.state ?? "not_configured"}>
      <span className="dot" aria-hidden="true" />
      <span id="statusbar-text">{t(view.key, { ...view.params, reason })}</span>
    </footer>
  );
}
