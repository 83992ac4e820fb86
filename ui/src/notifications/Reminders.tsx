import { useCallback, useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type NewScheduled, type ScheduledNotice } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { CustomerPicker, type PickedCustomer } from "../components/CustomerPicker";
import "./reminders.css";
import { eventFields, NOTICE_FIELDS, REMINDER_NOTICES, reminderFromForm, type ReminderForm, type ReminderNotice } from "./model";

const BLANK: ReminderForm = {
  customerId: "",
  notice: "text",
  fields: {},
  subject: "",
  body: "",
  mode: "at",
  at: "",
  eventAt: "",
  hoursBefore: "24",
};

/** Recordatorios: schedule a notice for a customer (at a time, or N hours before an event), list, edit, cancel.
 * A turno, a trabajo or a payment reminder goes out as its approved template on WhatsApp, its fields filled. */
export function Reminders({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const locale = lang === "es" ? "es-AR" : "en";
  const [list, setList] = useState<ScheduledNotice[]>([]);
  const [form, setForm] = useState<ReminderForm>(BLANK);
  const [editing, setEditing] = useState<number | null>(null);
  // The customer as the owner chose them (their name shown; the form keeps the id).
  const [picked, setPicked] = useState<PickedCustomer | null>(null);
  const pickCustomer = (c: PickedCustomer | null) => {
    setPicked(c);
    setForm((f) => ({ ...f, customerId: c ? String(c.id) : "" }));
  };
  const [error, setError] = useState<AppError | null>(null);

  const [autostart, setAutostart] = useState<boolean | null>(null);
  useEffect(() => {
    commands.autostartEnabled().then(setAutostart).catch(() => setAutostart(null));
  }, []);
  const toggleAutostart = (on: boolean) => {
    commands
      .setAutostart(on)
      .then(() => setAutostart(on))
      .catch((e) => setError(asAppError(e)));
  };

  const load = useCallback(() => {
    commands.reminders(orgId).then(setList).catch((e) => setError(asAppError(e)));
  }, [orgId]);
  useEffect(load, [load]);

  const submit = () => {
    setError(null);
    const r: NewScheduled | string = reminderFromForm(form);
    if (typeof r === "string") {
      setError({ code: "INVALID_SETTING", message: t(r as "reminders.error.customer"), details: null });
      return;
    }
    const done = () => {
      setForm(BLANK);
      setPicked(null);
      setEditing(null);
      load();
    };
    const call = editing === null ? commands.scheduleReminder(orgId, r) : commands.editReminder(orgId, editing, r);
    call.then(done).catch((e) => setError(asAppError(e)));
  };

  const edit = (n: ScheduledNotice) => {
    setEditing(n.id);
    setPicked({ id: n.customer_id, name: n.customer_name ?? `#${n.customer_id}` });
    const local = (iso: string | null) => (iso ? iso.slice(0, 16) : "");
    const seeded = n.seed && (REMINDER_NOTICES as string[]).includes(n.seed.template) ? n.seed : null;
    setForm({
      customerId: String(n.customer_id),
      notice: seeded ? (seeded.template as ReminderNotice) : "text",
      fields: seeded ? { ...seeded.context } : {},
      subject: n.subject,
      body: n.body,
      mode: n.event_at ? "before" : "at",
      at: local(n.send_at),
      eventAt: local(n.event_at),
      hoursBefore: n.before_secs ? String(Math.round(n.before_secs / 3600)) : "24",
    });
  };

  // A turno's date and time follow its event until the owner types them.
  const setEvent = (eventAt: string) => {
    const fields = { ...form.fields };
    const auto = eventFields(eventAt);
    for (const f of NOTICE_FIELDS[form.notice]) {
      if (f === "date" || f === "time") fields[f] = auto[f] ?? fields[f];
    }
    setForm({ ...form, eventAt, fields });
  };
  const setNotice = (notice: ReminderNotice) => {
    const auto = form.mode === "before" ? eventFields(form.eventAt) : {};
    const fields = { ...form.fields };
    for (const f of NOTICE_FIELDS[notice]) {
      if (!fields[f] && auto[f]) fields[f] = auto[f];
    }
    setForm({ ...form, notice, fields });
  };

  const cancel = (id: number) => {
    commands.cancelReminder(orgId, id).then(load).catch((e) => setError(asAppError(e)));
  };

  return (
    <section id="reminders">
      <h2>{t("reminders.title")}</h2>
      <p className="muted">{t("reminders.intro")}</p>
      {autostart !== null && (
        <label>
          <input id="autostart" type="checkbox" checked={autostart} onChange={(e) => toggleAutostart(e.target.checked)} />
          {t("reminders.autostart")}
        </label>
      )}
      <div className="reminder-form">
        <div className="reminder-customer">
          <label htmlFor="reminder-customer">{t("reminders.customer")}</label>
          <CustomerPicker orgId={orgId} id="reminder-customer" value={picked} onPick={pickCustomer} />
        </div>
        <label>
          {t("reminders.notice")}
          <select id="reminder-notice" value={form.notice} onChange={(e) => setNotice(e.target.value as ReminderNotice)}>
            {REMINDER_NOTICES.map((n) => (
              <option key={n} value={n}>
                {t(`reminders.notice.${n}`)}
              </option>
            ))}
          </select>
        </label>
        {form.notice === "text" ? (
          <>
            <label>
              {t("reminders.subject")}
              <input id="reminder-subject" value={form.subject} onChange={(e) => setForm({ ...form, subject: e.target.value })} />
            </label>
            <label>
              {t("reminders.body")}
              <textarea id="reminder-body" value={form.body} onChange={(e) => setForm({ ...form, body: e.target.value })} />
            </label>
          </>
        ) : (
          <>
            <p className="muted">{t("reminders.notice.hint")}</p>
            {NOTICE_FIELDS[form.notice].map((f) => (
              <label key={f}>
                {t(`tpl.field.${f}`)}
                <input
                  id={`reminder-field-${f}`}
                  value={form.fields[f] ?? ""}
                  onChange={(e) => setForm({ ...form, fields: { ...form.fields, [f]: e.target.value } })}
                />
              </label>
            ))}
          </>
        )}
        <label>
          <input type="radio" name="reminder-mode" checked={form.mode === "at"} onChange={() => setForm({ ...form, mode: "at" })} />
          {t("reminders.at")}
        </label>
        <label>
          <input type="radio" name="reminder-mode" checked={form.mode === "before"} onChange={() => setForm({ ...form, mode: "before" })} />
          {t("reminders.before")}
        </label>
        {form.mode === "at" ? (
          <input id="reminder-at" type="datetime-local" value={form.at} onChange={(e) => setForm({ ...form, at: e.target.value })} />
        ) : (
          <>
            <input id="reminder-event" type="datetime-local" value={form.eventAt} onChange={(e) => setEvent(e.target.value)} />
            <input
              id="reminder-hours"
              type="number"
              min="1"
              value={form.hoursBefore}
              onChange={(e) => setForm({ ...form, hoursBefore: e.target.value })}
            />{" "}
            {t("reminders.hoursBefore")}
          </>
        )}
        <button id="reminder-save" onClick={submit}>{editing === null ? t("reminders.schedule") : t("reminders.save")}</button>
      </div>
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
      {list.length === 0 ? (
        <p className="muted">{t("reminders.empty")}</p>
      ) : (
        <table id="reminders-list">
          <thead>
            <tr>
              <th>{t("reminders.col.when")}</th>
              <th>{t("reminders.customer")}</th>
              <th>{t("reminders.col.subject")}</th>
              <th>{t("reminders.col.state")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((n) => (
              <tr key={n.id} id={`reminder-${n.id}`}>
                <td>{new Date(n.send_at).toLocaleString(locale)}</td>
                <td>{n.customer_name ?? `#${n.customer_id}`}</td>
                <td>{n.subject}</td>
                <td>{t(`reminders.state.${n.state}`)}{n.state_reason ? ` — ${n.state_reason}` : ""}</td>
                <td>
                  {n.state === "scheduled" && (
                    <>
                      <button onClick={() => edit(n)}>{t("reminders.edit")}</button>
                      <button onClick={() => cancel(n.id)}>{t("reminders.cancel")}</button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
