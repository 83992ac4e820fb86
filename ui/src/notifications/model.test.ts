import { describe, expect, it } from "vitest";
import { reminderFromForm } from "./model";

const base = {
  customerId: "7",
  subject: "Turno",
  body: "Mañana a las 10",
  mode: "at" as const,
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
});
