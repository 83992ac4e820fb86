// Pure logic of the Estado page: labels and tones for health, ages, and the reducer that keeps
// the cards current from the core's events (no polling).
import type {
  BreakerState,
  HealthChange,
  HealthLevel,
  HealthSnapshot,
  Integration,
  IntegrationHealth,
} from "../bindings";
import type { MessageKey } from "../i18n";

export type Tone = "ok" | "warn" | "bad";

export function levelTone(level: HealthLevel): Tone {
  switch (level) {
    case "healthy":
      return "ok";
    case "degraded":
      return "warn";
    case "unhealthy":
      return "bad";
  }
}

export function levelKey(level: HealthLevel): MessageKey {
  return `estado.level.${level}`;
}

export function breakerKey(state: BreakerState): MessageKey {
  return `estado.breaker.${state}`;
}

export function breakerTone(state: BreakerState): Tone {
  return state === "closed" ? "ok" : state === "half_open" ? "warn" : "bad";
}

export function integrationName(i: Integration): string {
  switch (i) {
    case "whats_app":
      return "WhatsApp";
    case "mercado_pago":
      return "Mercado Pago";
    case "afip":
      return "ARCA (AFIP)";
    case "open_ai":
      return "OpenAI";
    case "sms":
      return "SMS (Twilio)";
    case "email":
      return "E-mail";
    case "stripe":
      return "Stripe";
  }
}

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h" (rounded down), or "—" when unknown. */
export function formatAge(secs: number | null): string {
  if (secs === null || !Number.isFinite(secs)) return "—";
  const s = Math.max(0, Math.floor(secs));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Seconds between an RFC 3339 time and `now` (ms), or null. */
export function secondsSince(at: string | null, now: number): number | null {
  if (!at) return null;
  const t = Date.parse(at);
  return Number.isNaN(t) ? null : (now - t) / 1000;
}

export function formatLatency(p50: number | null, p95: number | null): string {
  if (p50 === null || p95 === null) return "—";
  return `${p50} ms / ${p95} ms`;
}

/** The first integration in panic mode, for the red banner. */
export function panicking(health: IntegrationHealth[]): IntegrationHealth | undefined {
  return health.find((h) => h.panic !== null);
}

export type HealthState = { orgId: string; health: IntegrationHealth[] };

export type HealthAction =
  | { type: "loaded"; orgId: string; health: IntegrationHealth[] }
  | { type: "snapshot"; snapshot: HealthSnapshot }
  | { type: "change"; change: HealthChange };

/** Applies a load or an event; events of another business are ignored. */
export function healthReducer(state: HealthState, action: HealthAction): HealthState {
  switch (action.type) {
    case "loaded":
      return { orgId: action.orgId, health: action.health };
    case "snapshot":
      if (action.snapshot.org_id !== state.orgId) return state;
      return { ...state, health: action.snapshot.integrations };
    case "change": {
      const { org_id, integration, change } = action.change;
      if (org_id !== state.orgId) return state;
      const patch = (h: IntegrationHealth): IntegrationHealth => {
        switch (change.kind) {
          case "breaker":
            return {
              ...h,
              breaker: change.to,
              level: change.to === "open" ? "unhealthy" : h.panic ? "unhealthy" : "degraded",
            };
          case "panic_triggered":
          case "panic_probe_failed":
            return {
              ...h,
              level: "unhealthy",
              panic: {
                reason_code: change.code,
                reason_es: change.reason_es,
                triggered_at: h.panic?.triggered_at ?? null,
                resume_at: h.panic?.resume_at ?? null,
              },
            };
          case "panic_resolved":
            return { ...h, panic: null, level: h.breaker === "open" ? "unhealthy" : "degraded" };
          case "last_error":
            return {
              ...h,
              last_error: { code: change.code, message_es: change.message_es, at: new Date().toISOString() },
            };
          case "recovered":
            return h;
        }
      };
      return { ...state, health: state.health.map((h) => (h.integration === integration ? patch(h) : h)) };
    }
  }
}
