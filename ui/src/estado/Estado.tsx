import { useCallback, useEffect, useReducer, useState } from "react";
import { asAppError } from "../api";
import {
  commands,
  events,
  onEvent,
  type AppError,
  type DeadLetterJob,
  type InDoubtJob,
  type IntegrationHealth,
  type JobNumber,
  type PanicHistoryEntry,
} from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import {
  breakerKey,
  breakerTone,
  formatAge,
  formatLatency,
  healthReducer,
  integrationName,
  levelKey,
  levelTone,
  panicking,
  secondsSince,
} from "./model";

/** A stored time in the user's language (es-AR: day first, 24 h). */
function useTime() {
  const locale = useLanguage() === "es" ? "es-AR" : "en";
  return (at: string | null) => (at ? new Date(at).toLocaleString(locale) : "—");
}

/** Ajustes-level page: health cards, panic banner, dead letter and in-doubt sends. */
export function Estado({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const time = useTime();
  const [state, dispatch] = useReducer(healthReducer, { orgId, health: [] });
  const [dead, setDead] = useState<DeadLetterJob[]>([]);
  const [deadNext, setDeadNext] = useState<JobNumber | null>(null);
  const [doubt, setDoubt] = useState<InDoubtJob[]>([]);
  const [history, setHistory] = useState<PanicHistoryEntry[]>([]);
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  const fail = (raw: unknown) => setError(asAppError(raw));

  const loadLists = useCallback(() => {
    commands
      .outboundDeadLetter(orgId, null)
      .then((p) => {
        setDead(p.jobs);
        setDeadNext(p.next);
      })
      .catch(fail);
    commands.outboundInDoubt(orgId).then(setDoubt).catch(fail);
    commands.outboundPanicHistory(orgId).then(setHistory).catch(fail);
  }, [orgId]);

  useEffect(() => {
    commands
      .outboundHealth(orgId)
      .then((health) => dispatch({ type: "loaded", orgId, health }))
      .catch(fail);
    loadLists();
    let lastCounts = "";
    const offSnapshot = onEvent(events.outboundHealth, (snapshot) => {
      dispatch({ type: "snapshot", snapshot });
      if (snapshot.org_id !== orgId) return;
      setError((e) => (e?.code === "OUTBOUND_NOT_RUNNING" ? null : e));
      // The lists change when jobs land in (or leave) the dead letter or doubt.
      const counts = snapshot.integrations.map((h) => `${h.dead_letter}/${h.in_doubt}`).join(",");
      if (counts !== lastCounts) {
        lastCounts = counts;
        loadLists();
      }
    });
    const offChange = onEvent(events.outboundHealthChanged, (change) => {
      dispatch({ type: "change", change });
      if (change.org_id === orgId && change.change.kind.startsWith("panic")) {
        commands.outboundPanicHistory(orgId).then(setHistory).catch(fail);
      }
    });
    return () => {
      offSnapshot.then((f) => f());
      offChange.then((f) => f());
    };
  }, [orgId, loadLists]);

  async function act(run: () => Promise<unknown>) {
    setBusy(true);
    try {
      await run();
      setError(null);
    } catch (raw) {
      fail(raw);
    } finally {
      setBusy(false);
      loadLists();
    }
  }

  async function more() {
    if (deadNext === null) return;
    try {
      const p = await commands.outboundDeadLetter(orgId, deadNext);
      setDead((d) => [...d, ...p.jobs]);
      setDeadNext(p.next);
    } catch (raw) {
      fail(raw);
    }
  }

  const panic = panicking(state.health);
  // In doubt but still inside the wait for WhatsApp's status: counted on the cards, not yet the
  // owner's decision, so the list says why it is empty.
  const awaiting = state.health.reduce((n, h) => n + h.in_doubt, 0);
  const now = Date.now();

  return (
    <section className="estado" id="estado">
      <h2>{t("estado.title")}</h2>
      <p className="muted">{t("estado.intro")}</p>
      {error && (
        <p className="field-error" role="alert" id="estado-error">
          {errorText(error, lang)}
        </p>
      )}
      {panic?.panic && (
        <div className="panic-banner" role="alert" id="panic-banner">
          <p>
            {t("estado.banner", { integration: integrationName(panic.integration), reason: panic.panic.reason_es })}{" "}
            {panic.panic.resume_at && t("estado.banner.autoResume", { time: time(panic.panic.resume_at) })}
          </p>
          <button
            id={`resume-${panic.integration}`}
            disabled={busy}
            onClick={() => act(() => commands.outboundResume(orgId, panic.integration))}
          >
            {busy ? t("estado.resuming") : t("estado.resume")}
          </button>
        </div>
      )}
      <div className="health-cards">
        {state.health.map((h) => (
          <HealthCard key={h.integration} h={h} now={now} />
        ))}
      </div>

      <h3>{t("estado.dead.title")}</h3>
      <ul className="jobs" id="dead-letter">
        {dead.length === 0 && <li className="muted">{t("estado.dead.empty")}</li>}
        {dead.map((j) => (
          <li key={j.job_id} id={`dead-${j.job_id}`} className="job">
            <div>
              <strong>{t("estado.dead.job", { id: String(j.job_id) })}</strong>{" "}
              {j.to && <span className="muted">{t("estado.dead.to", { to: j.to })}</span>}
            </div>
            <ol className="attempts">
              {j.errors.map((e, i) => (
                <li key={i}>
                  {t("estado.dead.attempt", { n: String(e.attempt) })} · {time(e.at)} ·{" "}
                  {e.code && <code>{e.code}</code>} {e.message}
                </li>
              ))}
            </ol>
            <div className="actions left">
              <button id={`dead-retry-${j.job_id}`} disabled={busy} onClick={() => act(() => commands.outboundRetryDead(j.job_id))}>
                {t("estado.dead.retry")}
              </button>
              <button
                id={`dead-cancel-${j.job_id}`}
                className="secondary"
                disabled={busy}
                onClick={() => act(() => commands.outboundCancelDead(j.job_id))}
              >
                {t("estado.dead.cancel")}
              </button>
            </div>
          </li>
        ))}
      </ul>
      {deadNext !== null && (
        <button className="link" onClick={more}>
          {t("estado.dead.more")}
        </button>
      )}

      <h3>{t("estado.doubt.title")}</h3>
      <ul className="jobs" id="in-doubt">
        {doubt.length === 0 && awaiting === 0 && <li className="muted">{t("estado.doubt.empty")}</li>}
        {doubt.length === 0 && awaiting > 0 && (
          <li className="muted" id="doubt-awaiting">
            {t("estado.doubt.awaiting", { count: String(awaiting) })}
          </li>
        )}
        {doubt.map((j) => (
          <li key={j.job_id} id={`doubt-${j.job_id}`} className="job">
            <div>
              <strong>{t("estado.dead.job", { id: String(j.job_id) })}</strong>{" "}
              <span className="muted">{t("estado.doubt.since", { time: time(j.since) })}</span>
            </div>
            {j.last_error && <p>{j.last_error}</p>}
            <p className="risk">{lang === "es" ? j.risk_es : t("estado.doubt.risk")}</p>
            <div className="actions left">
              <button id={`doubt-resend-${j.job_id}`} disabled={busy} onClick={() => act(() => commands.outboundResendInDoubt(j.job_id))}>
                {t("estado.doubt.resend")}
              </button>
              <button
                id={`doubt-discard-${j.job_id}`}
                className="secondary"
                disabled={busy}
                onClick={() => act(() => commands.outboundDiscardInDoubt(j.job_id))}
              >
                {t("estado.doubt.discard")}
              </button>
            </div>
          </li>
        ))}
      </ul>

      {history.length > 0 && (
        <>
          <h3>{t("estado.history.title")}</h3>
          <ul className="history" id="panic-history">
            {history.map((e, i) => (
              <li key={i}>
                {time(e.at)} · {integrationName(e.integration)} ·{" "}
                {e.event === "triggered" || e.event === "probe_failed" || e.event === "resolved"
                  ? t(`estado.history.${e.event}`)
                  : e.event}
                {e.actor && ` (${e.actor === "owner" ? t("estado.history.byOwner") : t("estado.history.auto")})`}
                {e.reason_es && ` · ${e.reason_es}`}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function HealthCard({ h, now }: { h: IntegrationHealth; now: number }) {
  const t = useT();
  const time = useTime();
  return (
    <article className={`health-card tone-${levelTone(h.level)}`} id={`health-${h.integration}`}>
      <header>
        <h3>{integrationName(h.integration)}</h3>
        <span className={`pill tone-${levelTone(h.level)}`} data-level={h.level}>
          {t(levelKey(h.level))}
        </span>
      </header>
      <dl>
        <dt>{t("estado.breaker")}</dt>
        <dd className={`breaker tone-${breakerTone(h.breaker)}`} data-breaker={h.breaker}>
          {t(breakerKey(h.breaker))}
          {h.breaker_open_until && ` ${t("estado.breaker.openUntil", { time: time(h.breaker_open_until) })}`}
        </dd>
        <dt>{t("estado.panic")}</dt>
        <dd className="panic-state">
          {h.panic ? t("estado.panic.on", { reason: h.panic.reason_es }) : t("estado.panic.off")}
        </dd>
        <dt>{t("estado.latency")}</dt>
        <dd>{formatLatency(h.latency_p50_ms, h.latency_p95_ms)}</dd>
        <dt>{t("estado.lastSuccess")}</dt>
        <dd>
          {h.last_success_at
            ? t("estado.ago", { age: formatAge(secondsSince(h.last_success_at, now)) })
            : t("estado.never")}
        </dd>
        <dt>{t("estado.lastError")}</dt>
        <dd className="last-error">
          {h.last_error ? (
            <>
              <code>{h.last_error.code}</code> {h.last_error.message_es}{" "}
              <span className="muted">({t("estado.ago", { age: formatAge(secondsSince(h.last_error.at, now)) })})</span>
            </>
          ) : (
            t("estado.none")
          )}
        </dd>
        <dt>{t("estado.queue")}</dt>
        <dd className="queue-depth">{h.queue_depth}</dd>
        <dt>{t("estado.oldest")}</dt>
        <dd>{formatAge(h.oldest_waiting_secs)}</dd>
        <dt>{t("estado.inDoubtCount")}</dt>
        <dd>{h.in_doubt}</dd>
        <dt>{t("estado.deadCount")}</dt>
        <dd className="dead-count">{h.dead_letter}</dd>
      </dl>
    </article>
  );
}
