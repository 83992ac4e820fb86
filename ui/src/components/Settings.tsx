import type { Language, Organization, StartupState } from "../bindings";
import { useT } from "../i18n/context";
import type { Updates } from "../updates/useUpdates";
import { About } from "./About";
import { ChannelSettings } from "../notifications/ChannelSettings";

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
      {org && <ChannelSettings orgId={org.id} />}
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
      <About updates={props.updates} />
    </section>
  );
}
