import "./settings.css";
import type { Language, Organization, StartupState } from "../bindings";
import { About } from "../components/About";
import { useT } from "../i18n/context";
import type { MessageKey } from "../i18n";
import type { Updates } from "../updates/useUpdates";
import { RelaySection } from "./RelaySection";
import { WhatsAppSection } from "./WhatsAppSection";
import { QuickRepliesSettings } from "../conversations/QuickRepliesSettings";
import { DesktopSettings } from "../conversations/DesktopSettings";
import { AfipSettings } from "../invoices/settings/AfipSettings";
import { ChannelSettings } from "../notifications/ChannelSettings";
import { MercadoPagoSection } from "../payments/MercadoPagoSection";
import { StripeSection } from "../payments/StripeSection";

const SECTIONS: { id: string; label: MessageKey }[] = [
  { id: "settings-business-section", label: "settings.business" },
  { id: "settings-whatsapp", label: "wa.title" },
  { id: "settings-relay", label: "relay.title" },
  { id: "settings-general", label: "settings.general" },
  { id: "settings-about", label: "settings.about" },
];

/** Ajustes: one page of sections (Tu negocio, WhatsApp, Relay, General, Acerca de), with an index. */
export function Settings(props: {
  org: Organization | undefined;
  startup: StartupState;
  language: Language;
  onLanguage: (l: Language) => void;
  updates: Updates;
}) {
  const t = useT();
  const { org, startup } = props;
  return (
    <section className="settings">
      <nav className="section-index" aria-label={t("nav.settings")}>
        {SECTIONS.map((s) => (
          <button
            key={s.id}
            id={`goto-${s.id}`}
            className="link"
            onClick={() => document.getElementById(s.id)?.scrollIntoView({ behavior: "smooth" })}
          >
            {t(s.label)}
          </button>
        ))}
      </nav>
      <section id="settings-business-section">
        <h2>{t("settings.business")}</h2>
        {org && (
          <dl id="settings-business">
            <dt>{t("setup.name")}</dt>
            <dd>{org.name}</dd>
            <dt>{t("setup.cuit")}</dt>
            <dd>{org.cuit}</dd>
            <dt>{t("setup.iva")}</dt>
            <dd>{t(`iva.${org.iva_condition}`)}</dd>
          </dl>
        )}
      </section>
      {org && <WhatsAppSection key={`wa-${org.id}`} orgId={org.id} />}
      {org && <RelaySection key={`relay-${org.id}`} orgId={org.id} />}
      {org && <QuickRepliesSettings orgId={org.id} />}
      {org && <AfipSettings org={org} />}
      {org && <ChannelSettings orgId={org.id} />}
      <DesktopSettings />
      {org && <MercadoPagoSection key={`mp-${org.id}`} orgId={org.id} />}
      {org && <StripeSection key={`stripe-${org.id}`} orgId={org.id} />}
      <section id="settings-general">
        <h2>{t("nav.language")}</h2>
        <select id="language" value={props.language} onChange={(e) => props.onLanguage(e.target.value as Language)}>
          <option value="es">Español (Argentina)</option>
          <option value="en">English</option>
        </select>
        <h2>{t("settings.storage")}</h2>
        <dl>
          <dt>{t("settings.dataDir")}</dt>
          <dd><code>{startup.data_dir}</code></dd>
          <dt>{t("settings.logsDir")}</dt>
          <dd><code>{startup.logs_dir}</code></dd>
          <dt>{t("settings.version")}</dt>
          <dd>{startup.version}</dd>
        </dl>
        <p className="muted">{t("settings.keychain")}</p>
      </section>
      <About updates={props.updates} />
    </section>
  );
}
