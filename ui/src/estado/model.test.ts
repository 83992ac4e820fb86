import { describe, expect, it } from "vitest";
import type { IntegrationHealth } from "../bindings";
import { es } from "../i18n/es";
import { en } from "../i18n/en";
import {
  breakerKey,
  breakerTone,
  formatAge,
  formatLatency,
  healthReducer,
  levelKey,
  levelTone,
  panicking,
  secondsSince,
  type HealthState,
} from "./model";

const ORG = "0190a7e0-0000-7000-8000-000000000001";
const OTHER = "0190a7e0-0000-7000-8000-000000000002";

function card(over: Partial<IntegrationHealth> = {}): IntegrationHealth {
  return {
    integration: "whats_app",
    level: "healthy",
    latency_p50_ms: 120,
    latency_p95_ms: 480,
    last_success_at: null,
    last_error: null,
    breaker: "closed",
    breaker_open_until: null,
    panic: null,
    queue_depth: 0,
    oldest_waiting_secs: null,
    in_doubt: 0,
    dead_letter: 0,
    ...over,
  };
}

const start: HealthState = { orgId: ORG, health: [card()] };

describe("labels and tones", () => {
  it("maps each level and breaker state to a tone and a key in both catalogs", () => {
    expect(levelTone("healthy")).toBe("ok");
    expect(levelTone("degraded")).toBe("warn");
    expect(levelTone("unhealthy")).toBe("bad");
    expect(breakerTone("closed")).toBe("ok");
    expect(breakerTone("half_open")).toBe("warn");
    expect(breakerTone("open")).toBe("bad");
    expect(es[breakerKey("open")]).toContain("Abierto");
    expect(en[breakerKey("open")]).toContain("Open");
    expect(es[levelKey("unhealthy")]).toBe("Sin servicio");
  });

  it("formats ages and latencies", () => {
    expect(formatAge(null)).toBe("—");
    expect(formatAge(-3)).toBe("0 s");
    expect(formatAge(59.9)).toBe("59 s");
    expect(formatAge(60)).toBe("1 min");
    expect(formatAge(3600)).toBe("1 h");
    expect(formatAge(3600 + 5 * 60)).toBe("1 h 5 min");
    expect(formatAge(2 * 86400 + 4 * 3600)).toBe("2 d 4 h");
    expect(formatLatency(null, 10)).toBe("—");
    expect(formatLatency(12, 80)).toBe("12 ms / 80 ms");
    expect(secondsSince("2026-01-01T00:00:00.000Z", Date.parse("2026-01-01T00:01:30.000Z"))).toBe(90);
    expect(secondsSince(null, 0)).toBeNull();
  });

  it("finds the integration in panic mode", () => {
    expect(panicking([card()])).toBeUndefined();
    const p = card({ panic: { reason_code: "190", reason_es: "Token vencido", triggered_at: null, resume_at: null } });
    expect(panicking([card({ integration: "afip" }), p])).toBe(p);
  });
});

describe("healthReducer", () => {
  it("opens the breaker from an event, and ignores other businesses", () => {
    const change = { org_id: ORG, integration: "whats_app" as const, change: { kind: "breaker" as const, from: "closed" as const, to: "open" as const } };
    const s = healthReducer(start, { type: "change", change });
    expect(s.health[0].breaker).toBe("open");
    expect(s.health[0].level).toBe("unhealthy");
    expect(healthReducer(start, { type: "change", change: { ...change, org_id: OTHER } })).toBe(start);
  });

  it("sets and clears panic mode", () => {
    const on = healthReducer(start, {
      type: "change",
      change: { org_id: ORG, integration: "whats_app", change: { kind: "panic_triggered", code: "190", reason_es: "Token vencido" } },
    });
    expect(on.health[0].panic?.reason_es).toBe("Token vencido");
    expect(on.health[0].level).toBe("unhealthy");
    const off = healthReducer(on, {
      type: "change",
      change: { org_id: ORG, integration: "whats_app", change: { kind: "panic_resolved", by_owner: true } },
    });
    expect(off.health[0].panic).toBeNull();
  });

  it("records the last error and replaces everything on a snapshot of this business only", () => {
    const e = healthReducer(start, {
      type: "change",
      change: { org_id: ORG, integration: "whats_app", change: { kind: "last_error", code: "http_503", message_es: "Meta no responde" } },
    });
    expect(e.health[0].last_error?.code).toBe("http_503");
    const fresh = [card({ queue_depth: 7 })];
    expect(healthReducer(e, { type: "snapshot", snapshot: { org_id: ORG, integrations: fresh } }).health).toBe(fresh);
    expect(healthReducer(e, { type: "snapshot", snapshot: { org_id: OTHER, integrations: fresh } })).toBe(e);
    const loaded = healthReducer(e, { type: "loaded", orgId: OTHER, health: [] });
    expect(loaded).toEqual({ orgId: OTHER, health: [] });
  });
});
