import { useCallback, useEffect, useRef, useState } from "react";
import { asAppError } from "../api";
import {
  commands,
  events,
  onEvent,
  type AppError,
  type InvoiceDetail,
  type InvoiceListItem,
  type InvoicePreview,
  type InvoiceState,
  type InvoiceListFilter,
  type NewInvoice,
  type PeriodTotals,
  type PrintLayout,
} from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { InvoicePayments } from "../payments/InvoicePayments";
import { errorText } from "../i18n/errors";
import "./invoices.css";
import {
  emptyItem,
  fieldOfError,
  formatCents,
  fromNewInvoice,
  isPending,
  ISSUED_TYPES,
  ivaChoices,
  monthOf,
  newForm,
  newKey,
  toNewInvoice,
  voucherNumber,
  voucherOf,
  withCustomer,
  type InvoiceForm,
} from "./model";

/** Who "Facturar" from a conversation pre-fills. */
export interface InvoiceCustomer {
  id: string;
  name: string;
}

const STATES: InvoiceState[] = ["queued", "submitting", "in_doubt", "authorized", "rejected"];

/** Facturas: the list (pending on top), period totals and CSV, "Nueva", and the detail. */
export function Invoices({ orgId, customer, draft }: { orgId: string; customer?: InvoiceCustomer | null; draft?: NewInvoice | null }) {
  const t = useT();
  const lang = useLanguage();
  const locale = lang === "es" ? "es-AR" : "en";
  const [period, setPeriod] = useState(() => monthOf(new Date()));
  const [filter, setFilter] = useState<InvoiceListFilter>({ from: null, to: null, voucher_type: null, state: null, customer_id: null, search: null });
  const [items, setItems] = useState<InvoiceListItem[]>([]);
  const [page, setPage] = useState(0);
  const [totals, setTotals] = useState<PeriodTotals[]>([]);
  const [error, setError] = useState<AppError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);
  const [form, setForm] = useState<InvoiceForm | null>(customer ? newForm(customer) : draft ? fromNewInvoice(draft) : null);
  // "Facturas de este cliente": the list narrowed to one customer, named in a chip.
  const [customerName, setCustomerName] = useState<string | null>(null);
  const showCustomer = (c: InvoiceCustomer | null) => {
    setFilter((f) => withCustomer(f, c));
    setCustomerName(c?.name ?? null);
    setPage(0);
  };

  const load = useCallback(async () => {
    const f = { ...filter, from: period.from, to: period.to };
    const [list, sums] = await Promise.all([commands.invoicesList(orgId, f, page), commands.invoicesTotals(orgId, period.from, period.to)]);
    setItems(list);
    setTotals(sums);
  }, [orgId, filter, period, page]);

  useEffect(() => {
    load().catch((e) => setError(asAppError(e)));
  }, [load]);

  // Pushed by the core on every state change: the list never polls.
  useEffect(() => {
    const un = onEvent(events.invoiceEvent, (e) => {
      if (e.org_id === orgId) load().catch((err) => setError(asAppError(err)));
    });
    return () => {
      un.then((f) => f());
    };
  }, [orgId, load]);

  async function exportCsv() {
    try {
      const saved = await commands.invoicesExportCsv(orgId, period.from, period.to);
      setNotice(t("inv.csv.saved", { path: saved.path }));
    } catch (e) {
      setError(asAppError(e));
    }
  }

  const label = (type: number) => {
    const v = voucherOf(type);
    return v ? `${t(`inv.kind.${v.kind}`)} ${v.letter}` : String(type);
  };

  if (form) {
    return (
      <NewInvoiceForm
        orgId={orgId}
        initial={form}
        onDone={(id) => {
          setForm(null);
          if (id != null) setOpenId(id);
          load().catch((e) => setError(asAppError(e)));
        }}
      />
    );
  }

  return (
    <section className="invoices" id="invoices">
      <div className="inv-toolbar">
        <h2>{t("inv.title")}</h2>
        <button id="inv-new" onClick={() => setForm(newForm(null))}>{t("inv.new")}</button>
      </div>
      <div className="inv-filters">
        <label>
          {t("inv.filter.from")}
          <input type="date" id="inv-from" value={period.from} onChange={(e) => (setPeriod({ ...period, from: e.target.value }), setPage(0))} />
        </label>
        <label>
          {t("inv.filter.to")}
          <input type="date" id="inv-to" value={period.to} onChange={(e) => (setPeriod({ ...period, to: e.target.value }), setPage(0))} />
        </label>
        <label>
          {t("inv.filter.type")}
          <select id="inv-type" value={filter.voucher_type ?? ""} onChange={(e) => setFilter({ ...filter, voucher_type: e.target.value ? Number(e.target.value) : null })}>
            <option value="">{t("inv.filter.all")}</option>
            {ISSUED_TYPES.map((ty) => (
              <option key={ty} value={ty}>{label(ty)}</option>
            ))}
          </select>
        </label>
        <label>
          {t("inv.filter.state")}
          <select id="inv-state" value={filter.state ?? ""} onChange={(e) => setFilter({ ...filter, state: (e.target.value || null) as InvoiceState | null })}>
            <option value="">{t("inv.filter.all")}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>{t(`inv.state.${s}`)}</option>
            ))}
          </select>
        </label>
        <input type="search" id="inv-search" placeholder={t("inv.filter.search")} value={filter.search ?? ""} onChange={(e) => setFilter({ ...filter, search: e.target.value || null })} />
        <button id="inv-csv" onClick={exportCsv}>{t("inv.csv")}</button>
        {filter.customer_id && (
          <span className="inv-chip" id="inv-customer-chip">
            {t("inv.filter.customer", { name: customerName ?? filter.customer_id })}{" "}
            <button className="link" aria-label={t("inv.filter.customerClear")} title={t("inv.filter.customerClear")} onClick={() => showCustomer(null)}>
              ✕
            </button>
          </span>
        )}
      </div>
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
      {notice && <p className="notice" role="status" id="inv-notice">{notice}</p>}
      <div className="inv-totals" id="inv-totals">
        {totals.length === 0 ? (
          <span className="muted">{t("inv.totals.none")}</span>
        ) : (
          totals.map((s) => (
            <span key={s.voucher_type} className="inv-total">
              {label(s.voucher_type)} ({s.count}): <strong>{formatCents(s.total_cents, locale)}</strong>
              {s.iva_cents !== 0 && <span className="muted"> · IVA {formatCents(s.iva_cents, locale)}</span>}
            </span>
          ))
        )}
      </div>
      <table className="inv-list" id="inv-list">
        <thead>
          <tr>
            <th>{t("inv.col.date")}</th>
            <th>{t("inv.col.voucher")}</th>
            <th>{t("inv.col.receiver")}</th>
            <th>{t("inv.col.total")}</th>
            <th>{t("inv.col.state")}</th>
            <th>CAE</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.id} className={isPending(i.state) ? "pending" : ""} data-invoice-id={i.id} data-state={i.state} onClick={() => setOpenId(i.id)}>
              <td>{i.date}</td>
              <td>
                {label(i.voucher_type)} {voucherNumber(i.point_of_sale, i.number)}
              </td>
              <td>{i.receiver_name || t("inv.cf")}</td>
              <td className="num">{formatCents(i.total_cents, locale)}</td>
              <td>
                <span className={`inv-state ${i.state}`}>{t(`inv.state.${i.state}`)}</span>
                {i.doing && <div className="small muted">{i.doing}</div>}
                {i.warning && <div className="small risk">{i.warning}</div>}
                {i.reject_reason && <div className="small risk">{i.reject_reason}</div>}
              </td>
              <td className="inv-cae">
                {i.emission === "CAEA" && "CAEA "}
                {i.cae ?? ""}
                {i.caea_inform && <div className={`small inv-caea ${i.caea_inform}`}>{t(`inv.caea.${i.caea_inform}` as "inv.caea.pending")}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && <p className="muted" id="inv-empty">{t("inv.empty")}</p>}
      <div className="inv-pages">
        {page > 0 && <button onClick={() => setPage(page - 1)}>{t("inv.prev")}</button>}
        {items.length === 50 && <button onClick={() => setPage(page + 1)}>{t("inv.next")}</button>}
      </div>
      {openId != null && (
        <Detail
          orgId={orgId}
          id={openId}
          onClose={() => setOpenId(null)}
          onCreditNote={(f) => {
            setOpenId(null);
            setForm(f);
          }}
          onCustomer={showCustomer}
        />
      )}
    </section>
  );
}

/** "Ver factura": CAE, lines, history, PDF open/save/print, "Hacer nota de crédito". */
function Detail({
  orgId,
  id,
  onClose,
  onCreditNote,
  onCustomer,
}: {
  orgId: string;
  id: number;
  onClose: () => void;
  onCreditNote: (f: InvoiceForm) => void;
  onCustomer: (c: InvoiceCustomer) => void;
}) {
  const t = useT();
  const lang = useLanguage();
  const locale = lang === "es" ? "es-AR" : "en";
  const [d, setD] = useState<InvoiceDetail | null>(null);
  const [layout, setLayout] = useState<PrintLayout>("a4");
  const [error, setError] = useState<AppError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(() => commands.invoicesGet(orgId, id).then(setD), [orgId, id]);
  useEffect(() => {
    load().catch((e) => setError(asAppError(e)));
    const un = onEvent(events.invoiceEvent, (e) => {
      if (e.invoice_id === id) load().catch((err) => setError(asAppError(err)));
    });
    return () => {
      un.then((f) => f());
    };
  }, [id, load]);

  async function act(what: () => Promise<string | null>) {
    setError(null);
    setNotice(null);
    try {
      setNotice(await what());
    } catch (e) {
      setError(asAppError(e));
    }
  }

  if (!d) return error ? <p className="field-error">{errorText(error, lang)}</p> : null;
  const inv = d.invoice;
  const v = voucherOf(inv.voucher_type);
  const authorized = inv.state === "authorized";
  return (
    <div className="inv-detail" id="inv-detail" data-state={inv.state}>
      <div className="inv-toolbar">
        <h3>
          {v ? `${t(`inv.kind.${v.kind}`)} ${v.letter}` : inv.voucher_type} {voucherNumber(inv.point_of_sale, inv.number)}
        </h3>
        <button className="link" onClick={onClose} id="inv-detail-close">{t("inv.close")}</button>
      </div>
      <p>
        <span className={`inv-state ${inv.state}`} id="inv-detail-state">{t(`inv.state.${inv.state}`)}</span>
        {inv.doing && <span className="muted"> — {inv.doing}</span>}
      </p>
      {inv.cae && (
        <p>
          {inv.emission} <strong id="inv-detail-cae">{inv.cae}</strong> <span className="muted">({t("inv.caeDue")} {inv.cae_due})</span>
          {inv.caea_inform && (
            <span className={`inv-caea ${inv.caea_inform}`} id="inv-detail-caea-inform">
              {" "}· {t(`inv.caea.${inv.caea_inform}` as "inv.caea.pending")}
            </span>
          )}
        </p>
      )}
      {inv.caea_reject_reason && <p className="risk" id="inv-detail-caea-rejected">{t("inv.caea.rejectedBy", { reason: inv.caea_reject_reason })}</p>}
      {inv.reject_reason && <p className="risk">{inv.reject_reason}</p>}
      {inv.afip_unreachable && (
        <button id="inv-issue-caea" onClick={() => act(async () => (await commands.invoicesIssueWithCaea(orgId, id), t("inv.caea.issued")))}>
          {t("inv.caea.issue")}
        </button>
      )}
      {inv.hold && (
        <button id="inv-confirm-today" onClick={() => act(async () => (await commands.invoicesConfirmToday(orgId, id), t("inv.confirmed")))}>
          {t("inv.confirmToday")}
        </button>
      )}
      <p>
        {inv.receiver_name || t("inv.cf")}
        {inv.receiver_doc_number > 0 && <span className="muted"> · {inv.receiver_doc_number}</span>}
        {d.customer_id && (
          <>
            {" "}
            <button className="link" id="inv-customer-invoices" onClick={() => onCustomer({ id: d.customer_id!, name: inv.receiver_name || t("inv.cf") })}>
              {t("inv.customerInvoices")}
            </button>
          </>
        )}
      </p>
      <table className="inv-lines">
        <tbody>
          {d.lines.map((l, i) => (
            <tr key={i}>
              <td>{l.description}</td>
              <td className="num">{(l.quantity_hundredths / 100).toLocaleString(locale)}</td>
              <td className="num">{formatCents(l.unit_price_cents, locale)}</td>
              <td>{l.iva ? `${l.iva}${/^\d/.test(l.iva) ? "%" : ""}` : ""}</td>
              <td className="num">{formatCents(l.amount_cents, locale)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="inv-sum">
        {t("inv.net")} {formatCents(d.net_cents, locale)} · IVA {formatCents(d.iva_cents, locale)} · <strong>{t("inv.total")} {formatCents(inv.total_cents, locale)}</strong>
      </p>
      {authorized && (
        <div className="inv-actions">
          <select id="inv-layout" value={layout} onChange={(e) => setLayout(e.target.value as PrintLayout)}>
            <option value="a4">A4</option>
            <option value="ticket">{t("inv.ticket")}</option>
          </select>
          <button id="inv-pdf" onClick={() => act(async () => t("inv.pdf.ready", { path: (await commands.invoicesPdf(orgId, id, layout)).path }))}>
            {t("inv.pdf.open")}
          </button>
          <button
            id="inv-save"
            onClick={() =>
              act(async () => {
                // The system's save dialog (Descargas, the voucher's name); cancelling saves nothing.
                const chosen = await commands.invoicesChoosePdfPath(orgId, id, layout);
                if (chosen == null) return null;
                return t("inv.pdf.saved", { path: (await commands.invoicesSavePdf(orgId, id, layout, chosen)).path });
              })
            }
          >
            {t("inv.pdf.save")}
          </button>
          <button id="inv-print" onClick={() => act(async () => (await commands.invoicesPrint(orgId, id, layout), t("inv.pdf.printing")))}>
            {t("inv.pdf.print")}
          </button>
          <button
            id="inv-send-whatsapp"
            onClick={() =>
              act(async () => {
                const sent = await commands.invoicesSendWhatsapp(orgId, id, null);
                return t(sent.already_sent ? "inv.whatsapp.already" : "inv.whatsapp.sent");
              })
            }
          >
            {t("inv.whatsapp.send")}
          </button>
          {d.creditable_cents != null && d.creditable_cents > 0 && (
            <button id="inv-credit-note" onClick={() => act(async () => (onCreditNote(fromNewInvoice(await commands.invoicesCreditNoteDraft(orgId, id))), null))}>
              {t("inv.creditNote")}
            </button>
          )}
        </div>
      )}
      {authorized && v?.kind === "factura" && (
        <InvoicePayments orgId={orgId} invoiceId={id} canCharge onCreditNote={(draft) => onCreditNote(fromNewInvoice(draft))} />
      )}
      {notice && <p className="notice" role="status" id="inv-detail-notice">{notice}</p>}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
      <details>
        <summary>{t("inv.history")}</summary>
        <ul className="small">
          {d.history.map((h, i) => (
            <li key={i}>
              {h.at} — {t(`inv.state.${h.to_state}`)} {h.note && <span className="muted">({h.note})</span>}
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}

/** "Nueva factura" / "Nota de crédito": totals and errors come from the core, beside the field. */
function NewInvoiceForm({ orgId, initial, onDone }: { orgId: string; initial: InvoiceForm; onDone: (id: number | null) => void }) {
  const t = useT();
  const lang = useLanguage();
  const locale = lang === "es" ? "es-AR" : "en";
  const [f, setF] = useState<InvoiceForm>(initial);
  const [preview, setPreview] = useState<InvoicePreview | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const [padron, setPadron] = useState<string | null>(null);
  // One key per form: a double click on "Emitir" never makes two invoices.
  const key = useRef(newKey());

  // The core computes the totals and checks the rules as the owner types.
  useEffect(() => {
    let alive = true;
    const timer = setTimeout(() => {
      commands
        .invoicesCheck(orgId, toNewInvoice(f))
        .then((p) => alive && (setPreview(p), setError(null)))
        .catch((e) => alive && (setPreview(null), setError(asAppError(e))));
    }, 250);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [orgId, f]);

  const errField = fieldOfError(error);
  const errorAt = (field: string) =>
    errField === field && error ? (
      <span className="field-error" role="alert" data-field={field}>
        {errorText(error, lang)}
      </span>
    ) : null;
  const letter = preview?.class ?? null;

  async function lookup() {
    setPadron(null);
    try {
      const r = await commands.invoicesPadron(orgId, f.docNumber);
      if (r.kind === "found") {
        setF({ ...f, name: r.taxpayer.name, address: r.taxpayer.address ?? "", condition: r.taxpayer.iva_condition });
        setPadron(t(r.from_cache ? "inv.padron.cached" : "inv.padron.found"));
      } else if (r.kind === "not_found") {
        setPadron(t("inv.padron.notFound"));
      } else {
        if (r.cached) setF({ ...f, name: r.cached.name, address: r.cached.address ?? "", condition: r.cached.iva_condition });
        setPadron(t("inv.padron.unavailable"));
      }
    } catch (e) {
      setError(asAppError(e));
    }
  }

  async function submit() {
    setBusy(true);
    try {
      const id = await commands.invoicesCreate(orgId, key.current, toNewInvoice(f));
      onDone(id);
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setBusy(false);
    }
  }

  const setItem = (i: number, patch: Partial<InvoiceForm["items"][number]>) =>
    setF({ ...f, items: f.items.map((it, j) => (j === i ? { ...it, ...patch } : it)) });

  return (
    <section className="invoices inv-form" id="inv-form">
      <div className="inv-toolbar">
        <h2>{t(f.kind === "nota_credito" ? "inv.form.creditTitle" : "inv.form.title")}</h2>
        <button className="link" onClick={() => onDone(null)} id="inv-cancel">{t("inv.cancel")}</button>
      </div>
      <fieldset>
        <legend>{t("inv.form.receiver")}</legend>
        <select id="receiver-kind" value={f.receiverKind} onChange={(e) => setF({ ...f, receiverKind: e.target.value as InvoiceForm["receiverKind"] })}>
          <option value="consumidor_final">{t("inv.form.cf")}</option>
          <option value="cuit">CUIT</option>
          <option value="dni">DNI</option>
        </select>
        {f.receiverKind !== "consumidor_final" && (
          <>
            <input id="receiver-doc" value={f.docNumber} onChange={(e) => setF({ ...f, docNumber: e.target.value })} placeholder={f.receiverKind === "cuit" ? "20-12345678-6" : "12345678"} />
            {f.receiverKind === "cuit" && <button onClick={lookup} id="receiver-padron">{t("inv.padron.lookup")}</button>}
            <select id="receiver-condition" value={f.condition} onChange={(e) => setF({ ...f, condition: e.target.value as InvoiceForm["condition"] })}>
              {(["responsable_inscripto", "monotributo", "exento", "consumidor_final"] as const).map((c) => (
                <option key={c} value={c}>{t(`inv.cond.${c}`)}</option>
              ))}
            </select>
          </>
        )}
        {errorAt("receiver-doc")}
        {errorAt("receiver-condition")}
        {padron && <span className="small muted" id="receiver-padron-status">{padron}</span>}
        <input id="receiver-name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} placeholder={t("inv.form.name")} />
        <input id="receiver-address" value={f.address} onChange={(e) => setF({ ...f, address: e.target.value })} placeholder={t("inv.form.address")} />
      </fieldset>
      <fieldset>
        <legend>{t("inv.form.items")}</legend>
        {f.items.map((it, i) => (
          <div className="inv-item" key={i}>
            <input id={`item-${i}-description`} value={it.description} onChange={(e) => setItem(i, { description: e.target.value })} placeholder={t("inv.form.description")} />
            <input id={`item-${i}-quantity`} className="num" value={it.quantity} onChange={(e) => setItem(i, { quantity: e.target.value })} placeholder={t("inv.form.quantity")} />
            <input id={`item-${i}-unit_price`} className="num" value={it.unit_price} onChange={(e) => setItem(i, { unit_price: e.target.value })} placeholder={t("inv.form.price")} />
            <input id={`item-${i}-discount`} className="num" value={it.discount} onChange={(e) => setItem(i, { discount: e.target.value })} placeholder={t("inv.form.discount")} />
            {letter !== "C" && (
              <select id={`item-${i}-iva`} value={it.iva} onChange={(e) => setItem(i, { iva: e.target.value as InvoiceForm["items"][number]["iva"] })}>
                {ivaChoices(letter).map((r) => (
                  <option key={r} value={r}>{/^\d/.test(r) ? `${r}%` : t(r === "exento" ? "inv.iva.exento" : "inv.iva.no_gravado")}</option>
                ))}
              </select>
            )}
            {f.items.length > 1 && (
              <button className="link" onClick={() => setF({ ...f, items: f.items.filter((_, j) => j !== i) })}>{t("inv.form.remove")}</button>
            )}
            {["description", "quantity", "unit_price", "discount", "iva"].map((k) => (
              <span key={k}>{errorAt(`item-${i}-${k}`)}</span>
            ))}
          </div>
        ))}
        <button id="item-add" onClick={() => setF({ ...f, items: [...f.items, emptyItem(letter !== "C")] })}>{t("inv.form.addItem")}</button>
      </fieldset>
      <fieldset id="concept">
        <legend>{t("inv.form.concept")}</legend>
        <select id="concept-kind" value={f.concept} onChange={(e) => setF({ ...f, concept: e.target.value as InvoiceForm["concept"] })}>
          <option value="products">{t("inv.concept.products")}</option>
          <option value="services">{t("inv.concept.services")}</option>
          <option value="both">{t("inv.concept.both")}</option>
        </select>
        {f.concept !== "products" && (
          <>
            <label>{t("inv.form.serviceFrom")} <input type="date" value={f.serviceFrom} onChange={(e) => setF({ ...f, serviceFrom: e.target.value })} /></label>
            <label>{t("inv.form.serviceTo")} <input type="date" value={f.serviceTo} onChange={(e) => setF({ ...f, serviceTo: e.target.value })} /></label>
            <label>{t("inv.form.paymentDue")} <input type="date" value={f.paymentDue} onChange={(e) => setF({ ...f, paymentDue: e.target.value })} /></label>
          </>
        )}
        {errorAt("concept")}
      </fieldset>
      <fieldset>
        <legend>{t("inv.form.currency")}</legend>
        <select id="currency" value={f.currency} onChange={(e) => setF({ ...f, currency: e.target.value as InvoiceForm["currency"] })}>
          <option value="PES">{t("inv.currency.pes")}</option>
          <option value="DOL">{t("inv.currency.dol")}</option>
        </select>
        {f.currency === "DOL" && <input id="currency-rate" value={f.rate} onChange={(e) => setF({ ...f, rate: e.target.value })} placeholder={t("inv.form.rate")} />}
        {errorAt("currency-rate")}
      </fieldset>
      {preview && (
        <p className="inv-sum" id="inv-preview">
          {t(`inv.kind.${f.kind === "nota_credito" ? "nc" : f.kind === "nota_debito" ? "nd" : "factura"}`)} {preview.class} · {t("inv.net")} {formatCents(preview.net_cents + preview.not_taxed_cents + preview.exempt_cents, locale)} · IVA{" "}
          {formatCents(preview.iva_cents, locale)} · <strong id="inv-preview-total">{t("inv.total")} {formatCents(preview.total_cents, locale)}</strong>
        </p>
      )}
      {error && !errField && <p className="field-error" role="alert" id="inv-form-error">{errorText(error, lang)}</p>}
      <button id="inv-submit" disabled={busy || !preview} onClick={submit}>{busy ? t("inv.form.sending") : t("inv.form.submit")}</button>
    </section>
  );
}
