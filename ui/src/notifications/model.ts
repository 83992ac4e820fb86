import type { NewScheduled } from "../bindings";

/** The Recordatorios form as typed (strings), before it is checked. */
export type ReminderForm = {
  customerId: string;
  subject: string;
  body: string;
  mode: "at" | "before";
  /** `datetime-local` values (local time, no zone). */
  at: string;
  eventAt: string;
  hoursBefore: string;
};

/** Turns the form into a reminder, or names the first problem (an i18n key). */
export function reminderFromForm(f: ReminderForm): NewScheduled | "reminders.error.customer" | "reminders.error.body" | "reminders.error.when" {
  const customer = Number(f.customerId);
  if (!Number.isInteger(customer) || customer <= 0) return "reminders.error.customer";
  if (f.body.trim() === "") return "reminders.error.body";
  const iso = (local: string) => {
    const d = new Date(local);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  };
  const subject = f.subject.trim() || f.body.trim().slice(0, 60);
  if (f.mode === "at") {
    const at = iso(f.at);
    if (!at) return "reminders.error.when";
    return { customer_id: customer, kind: "recordatorio", subject, body: f.body, when: { type: "at", at }, valid_for_secs: null };
  }
  const eventAt = iso(f.eventAt);
  const hours = Number(f.hoursBefore);
  if (!eventAt || !Number.isFinite(hours) || hours <= 0) return "reminders.error.when";
  return {
    customer_id: customer,
    kind: "recordatorio",
    subject,
    body: f.body,
    when: { type: "before", event_at: eventAt, before_secs: Math.round(hours * 3600) },
    valid_for_secs: null,
  };
}
