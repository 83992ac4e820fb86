import type { ContextField, NewScheduled } from "../bindings";

/** Which notice a reminder is: free text, or one of the seed notices (its approved template on WhatsApp). */
export type ReminderNotice = "text" | "turno_confirmado" | "trabajo_agendado" | "recordatorio_de_pago";

export const REMINDER_NOTICES: ReminderNotice[] = ["text", "turno_confirmado", "trabajo_agendado", "recordatorio_de_pago"];

/** The fields each seed's text needs besides the customer's and the business's names (added when sent). */
export const NOTICE_FIELDS: Record<ReminderNotice, ContextField[]> = {
  text: [],
  turno_confirmado: ["date", "time"],
  trabajo_agendado: ["service", "date", "time"],
  recordatorio_de_pago: ["amount", "due_date", "payment_link"],
};

/** The Recordatorios form as typed (strings), before it is checked. */
export type ReminderForm = {
  customerId: string;
  notice: ReminderNotice;
  /** The seed's fields (date, time, service…). */
  fields: Partial<Record<ContextField, string>>;
  subject: string;
  body: string;
  mode: "at" | "before";
  /** `datetime-local` values (local time, no zone). */
  at: string;
  eventAt: string;
  hoursBefore: string;
};

export type ReminderProblem = "reminders.error.customer" | "reminders.error.body" | "reminders.error.when" | "reminders.error.field";

/** A turno's date and time as the template reads them ("lunes 7 de diciembre", "10:30"), from a `datetime-local` value. */
export function eventFields(local: string): Partial<Record<ContextField, string>> {
  const d = new Date(local);
  if (Number.isNaN(d.getTime())) return {};
  return {
    date: d.toLocaleDateString("es-AR", { weekday: "long", day: "numeric", month: "long" }),
    time: d.toLocaleTimeString("es-AR", { hour: "2-digit", minute: "2-digit", hour12: false }),
  };
}

/** Turns the form into a reminder, or names the first problem (an i18n key). */
export function reminderFromForm(f: ReminderForm): NewScheduled | ReminderProblem {
  const customer = Number(f.customerId);
  if (!Number.isInteger(customer) || customer <= 0) return "reminders.error.customer";
  const seeded = f.notice !== "text";
  if (!seeded && f.body.trim() === "") return "reminders.error.body";
  const iso = (local: string) => {
    const d = new Date(local);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  };
  let seed: NewScheduled["seed"] = null;
  if (seeded) {
    const context: Partial<Record<ContextField, string>> = {};
    for (const field of NOTICE_FIELDS[f.notice]) {
      const v = (f.fields[field] ?? "").trim();
      if (v === "") return "reminders.error.field";
      context[field] = v;
    }
    seed = { template: f.notice, context };
  }
  // A seed's subject and text come from its template (the core fills them).
  const subject = seeded ? f.subject.trim() : f.subject.trim() || f.body.trim().slice(0, 60);
  const kind = seeded ? "" : "recordatorio";
  const body = seeded ? "" : f.body;
  if (f.mode === "at") {
    const at = iso(f.at);
    if (!at) return "reminders.error.when";
    return { customer_id: customer, kind, subject, body, when: { type: "at", at }, valid_for_secs: null, seed };
  }
  const eventAt = iso(f.eventAt);
  const hours = Number(f.hoursBefore);
  if (!eventAt || !Number.isFinite(hours) || hours <= 0) return "reminders.error.when";
  return {
    customer_id: customer,
    kind,
    subject,
    body,
    when: { type: "before", event_at: eventAt, before_secs: Math.round(hours * 3600) },
    valid_for_secs: null,
    seed,
  };
}
