import { describe, expect, it } from "vitest";
import { eventFields, reminderFromForm, type ReminderForm } from "./model";

const base: ReminderForm = {
  customerId: "7",
  notice: "text",
  fields: {},
  subject: "Turno",
  body: "Mañana a las 10",
  mode: "at",
  at: "2026-12-03T10:00",
  eventAt: "",
  hoursBefore: "24",
};

describe("reminderFromForm", () => {
  it("builds an absolute reminder", () => {
    const r = reminderFromForm(base);
    expect(typeof r).toBe("object");
    if (typeof r === "object") {
      expect(r.customer_id).toBe(7);
      expect(r.when.type).toBe("at");
    }
  });

  it("builds '24 h antes' from the event time", () => {
    const r = reminderFromForm({ ...base, mode: "before", eventAt: "2026-12-03T10:00", hoursBefore: "24" });
    expect(typeof r === "object" && r.when.type === "before" && r.when.before_secs).toBe(86400);
  });

  it("names what is missing", () => {
    expect(reminderFromForm({ ...base, customerId: "x" })).toBe("reminders.error.customer");
    expect(reminderFromForm({ ...base, body: "  " })).toBe("reminders.error.body");
    expect(reminderFromForm({ ...base, at: "" })).toBe("reminders.error.when");
    expect(reminderFromForm({ ...base, mode: "before", eventAt: "2026-12-03T10:00", hoursBefore: "0" })).toBe(
      "reminders.error.when",
    );
  });

  it("builds a turno as its seed notice with its fields, no text", () => {
    const r = reminderFromForm({
      ...base,
      notice: "turno_confirmado",
      subject: "",
      body: "",
      fields: { date: "lunes 7 de diciembre", time: " 10:30 ", service: "not this one" },
    });
    expect(typeof r).toBe("object");
    if (typeof r === "object") {
      expect(r.seed).toEqual({ template: "turno_confirmado", context: { date: "lunes 7 de diciembre", time: "10:30" } });
      expect(r.body).toBe("");
    }
    expect(reminderFromForm({ ...base, notice: "turno_confirmado", fields: { date: "lunes" } })).toBe("reminders.error.field");
    const text = reminderFromForm(base);
    expect(typeof text === "object" && text.seed).toBe(null);
  });

  it("reads a turno's date and time from its event", () => {
    const f = eventFields("2026-12-07T10:30");
    expect(f.time).toBe("10:30");
    expect(f.date).toContain("7");
    expect(f.date).toContain("diciembre");
    expect(eventFields("")).toEqual({});
  });
});
