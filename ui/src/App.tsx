import { lazy, Suspense, useEffect, useState } from "react";
import { asAppError } from "./api";
import { commands, events, onEvent, type AppError, type DemoStatus, type Language, type NewInvoice, type Organization, type StartupState } from "./bindings";
import { DemoBand } from "./demo/DemoBand";
import { DemoOffer } from "./demo/DemoOffer";
import { DemoPanel } from "./demo/DemoPanel";
import { Conversations } from "./conversations/Conversations";
import { listenOpenRequests } from "./conversations/openRequests";
import { CREDIT_NOTE_FOR, INVOICE_FOR } from "./invoices/events";
import type { InvoiceCustomer } from "./invoices/Invoices";
import { OrgSetup } from "./components/OrgSetup";
import { StatusBar } from "./statusbar/StatusBar";
import { UpdateBanner } from "./components/UpdateBanner";
import { translate } from "./i18n";
import { LanguageContext } from "./i18n/context";
import { errorText } from "./i18n/errors";
import { useUpdates } from "./updates/useUpdates";

// The first screen is Conversaciones: the other pages load when first opened, so the window's
// first paint parses only what it shows.
const Templates = lazy(() => import("./templates/Templates").then((m) => ({ default: m.Templates })));
const Invoices = lazy(() => import("./invoices/Invoices").then((m) => ({ default: m.Invoices })));
const Cobros = lazy(() => import("./payments/Cobros").then((m) => ({ default: m.Cobros })));
const Reminders = lazy(() => import("./notifications/Reminders").then((m) => ({ default: m.Reminders })));
const Estado = lazy(() => import("./estado/Estado").then((m) => ({ default: m.Estado })));
const Settings = lazy(() => import("./settings/Settings").then((m) => ({ default: m.Settings })));

type Page = "conversations" | "templates" | "invoices" | "payments" | "reminders" | "estado" | "settings";
const PAGES: Page[] = ["conversations", "templates", "invoices", "payments", "reminders", "estado", "settings"];
const ADD = "__add__";

export function App() {
  const [startup, setStartup] = useState<StartupState | null>(null);
  const [loadError, setLoadError] = useState<AppError | null>(null);
  const [orgs, setOrgs] = useState<Organization[]>([]);
  const [currentId, setCurrentId] = useState<string | null>(null);
  const [language, setLanguage] = useState<Language>("es");
  const [page, setPage] = useState<Page>("conversations");
  const [adding, setAdding] = useState(false);
  const [secondInstance, setSecondInstance] = useState(false);
  const [actionError, setActionError] = useState<AppError | null>(null);
  const [demo, setDemo] = useState<DemoStatus | null>(null);
  // "Facturar" from a conversation: Facturas → Nueva with that customer.
  const [invoiceFor, setInvoiceFor] = useState<InvoiceCustomer | null>(null);
  // "Hacer nota de crédito" after a refund in Cobros: Facturas with that note pre-filled.
  const [creditNote, setCreditNote] = useState<NewInvoice | null>(null);
  useEffect(() => {
    const open = (e: Event) => (setInvoiceFor((e as CustomEvent<InvoiceCustomer>).detail), setCreditNote(null), setPage("invoices"));
    const note = (e: Event) => (setCreditNote((e as CustomEvent<NewInvoice>).detail), setInvoiceFor(null), setPage("invoices"));
    window.addEventListener(INVOICE_FOR, open);
    window.addEventListener(CREDIT_NOTE_FOR, note);
    return () => (window.removeEventListener(INVOICE_FOR, open), window.removeEventListener(CREDIT_NOTE_FOR, note));
  }, []);
  const updates = useUpdates();

  function show(s: StartupState) {
    setStartup(s);
    if (s.snapshot) {
      setOrgs(s.snapshot.organizations);
      setCurrentId(s.snapshot.current_org_id);
      setLanguage(s.snapshot.language);
    }
  }

  // Entering or leaving the demo switches the database the window shows: reload what it shows.
  async function reloadAfterDemo(status: DemoStatus) {
    const s = await commands.startupState();
    setDemo(status);
    setAdding(false);
    setPage("conversations");
    show(s);
  }

  useEffect(() => {
    // The database opens in the background: while it does (a long migration), say so, and
    // wait for the core to tell when it is done.
    commands
      .startupState()
      .then((s) => {
        performance.mark("mostrador:startup-state");
        show(s);
        return s.opening ? commands.waitForStartup().then(show) : undefined;
      })
      .then(() => commands.demoStatus().then(setDemo))
      .catch((raw) => setLoadError(asAppError(raw)));
    const unlisten = onEvent(events.secondInstance, () => setSecondInstance(true));
    return () => {
      unlisten.then((f) => f());
    };
  }, []);

  // A clicked message notification: its business and Conversaciones (which opens the thread).
  useEffect(
    () =>
      listenOpenRequests((o) => {
        setPage("conversations");
        commands.selectOrganization(o.org_id).then(() => setCurrentId(o.org_id)).catch(() => undefined);
      }),
    [],
  );

  useEffect(() => {
    document.documentElement.lang = language === "es" ? "es-AR" : "en";
  }, [language]);

  const t = (k: Parameters<typeof translate>[1]) => translate(language, k);
  const fatal = loadError ?? startup?.error ?? null;

  if (fatal) {
    return (
      <main className="fatal" id="fatal">
        <h1>{t("fatal.title")}</h1>
        <p id="fatal-message">{errorText(fatal, language)}</p>
        {startup && (
          <p className="muted">
            {t("fatal.where")} <code>{startup.data_dir}</code>
            <br />
            {t("fatal.logs")} <code>{startup.logs_dir}</code>
          </p>
        )}
      </main>
    );
  }
  if (!startup) return <p className="loading">{t("loading")}</p>;
  if (startup.opening) {
    return (
      <main className="loading" id="opening" aria-busy="true">
        <h1>{t("opening.title")}</h1>
        <p className="muted">{t("opening.detail")}</p>
      </main>
    );
  }

  const current = orgs.find((o) => o.id === currentId);

  function created(o: Organization) {
    setOrgs((list) => [...list, o]);
    setCurrentId(o.id);
    setAdding(false);
  }

  async function switchTo(id: string) {
    if (id === ADD) return setAdding(true);
    try {
      await commands.selectOrganization(id);
      setCurrentId(id);
      setActionError(null);
    } catch (raw) {
      setActionError(asAppError(raw));
    }
  }

  async function changeLanguage(l: Language) {
    try {
      await commands.setLanguage(l);
      setLanguage(l);
    } catch (raw) {
      setActionError(asAppError(raw));
    }
  }

  return (
    <LanguageContext.Provider value={language}>
      <UpdateBanner
        updates={updates}
        onOpen={() => {
          setPage("settings");
          requestAnimationFrame(() => document.getElementById("settings-about")?.scrollIntoView());
        }}
      />
      {secondInstance && (
        <div className="banner" role="status" id="second-instance-banner">
          {t("banner.secondInstance")}
          <button className="link" onClick={() => setSecondInstance(false)}>{t("banner.dismiss")}</button>
        </div>
      )}
      {demo?.active && <DemoBand />}
      {orgs.length === 0 && !demo?.active ? (
        // First run: "Crear mi negocio" (the form) or "Probar con datos de ejemplo".
        <main className="centered">
          <div className="first-run">
            <OrgSetup adding={false} onCreated={created} />
            <DemoOffer onEnter={async () => reloadAfterDemo(await commands.demoEnter())} />
          </div>
        </main>
      ) : orgs.length === 0 || adding ? (
        <main className="centered">
          <OrgSetup adding={orgs.length > 0} onCreated={created} onCancel={orgs.length > 0 ? () => setAdding(false) : undefined} />
        </main>
      ) : (
        <div className="frame">
          <aside className="sidebar">
            <div className="brand">{t("app.name")}</div>
            <label htmlFor="org-switcher" className="muted small">{t("switcher.label")}</label>
            <select id="org-switcher" value={currentId ?? ""} onChange={(e) => switchTo(e.target.value)}>
              {orgs.map((o) => (
                <option key={o.id} value={o.id}>{o.name}</option>
              ))}
              <option value={ADD}>{t("switcher.add")}</option>
            </select>
            <nav>
              {PAGES.map((p) => (
                <button key={p} id={`nav-${p}`} className={p === page ? "active" : ""} onClick={() => (setPage(p), setInvoiceFor(null))}>
                  {t(`nav.${p}`)}
                </button>
              ))}
            </nav>
          </aside>
          <main className={page === "conversations" ? "content fill" : "content"}>
            <header id="current-org">
              <h1>{current?.name}</h1>
              <span className="muted">CUIT {current?.cuit}</span>
            </header>
            {actionError && <p className="field-error" role="alert">{errorText(actionError, language)}</p>}
            {demo?.active && (
              <DemoPanel status={demo} onStatus={setDemo} onExit={async () => reloadAfterDemo(await commands.demoExit())} />
            )}
            {page === "conversations" && currentId && <Conversations key={currentId} orgId={currentId} />}
            <Suspense fallback={null}>
              {page === "templates" && currentId && <Templates key={currentId} orgId={currentId} />}
              {page === "invoices" && currentId && <Invoices key={`${currentId}-${invoiceFor?.id ?? ""}-${creditNote ? "nc" : ""}`} orgId={currentId} customer={invoiceFor} draft={creditNote} />}
              {page === "payments" && currentId && <Cobros key={currentId} orgId={currentId} />}
              {page === "reminders" && currentId && <Reminders key={currentId} orgId={currentId} />}
              {page === "estado" && currentId && <Estado key={currentId} orgId={currentId} />}
              {page === "settings" && (
                <Settings
                  org={current}
                  startup={startup}
                  language={language}
                  onLanguage={changeLanguage}
                  updates={updates}
                />
              )}
            </Suspense>
          </main>
          {currentId && <StatusBar orgId={currentId} />}
        </div>
      )}
    </LanguageContext.Provider>
  );
}
