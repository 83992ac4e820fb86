import type { MessageKey } from "./es";

// English. Typed against the Spanish catalog, so a missing key fails the build.
export const en: Record<MessageKey, string> = {
  "app.name": "Mostrador",
  "nav.conversations": "Conversations",
  "nav.templates": "Templates",
  "nav.invoices": "Invoices",
  "nav.settings": "Settings",
  "nav.language": "Language",
  "empty.conversations.title": "No conversations yet",
  "empty.conversations.body":
    "Once you connect your business's WhatsApp, your customers' messages will show up here.",
  "empty.templates.title": "No templates yet",
  "empty.templates.body":
    "Templates approved by WhatsApp let you message a customer more than 24 h after their last message.",
  "empty.invoices.title": "No invoices yet",
  "empty.invoices.body":
    "Once you connect your AFIP/ARCA certificate you will be able to issue electronic invoices, even offline.",
  "setup.title": "Create your business",
  "setup.addTitle": "Add another business",
  "setup.intro":
    "Mostrador uses these details on your invoices and to identify you to AFIP/ARCA. You can change them later.",
  "setup.name": "Business name",
  "setup.namePlaceholder": "e.g. Kiosco Don Pepe",
  "setup.cuit": "CUIT",
  "setup.cuitHint": "11 digits, with or without dashes",
  "setup.iva": "VAT (IVA) status",
  "setup.submit": "Create business",
  "setup.saving": "Saving…",
  "setup.cancel": "Cancel",
  "setup.nameRequired": "Enter the business name.",
  "iva.responsable_inscripto": "Registered VAT taxpayer (responsable inscripto)",
  "iva.monotributo": "Monotributo",
  "iva.exento": "VAT exempt",
  "iva.monotributista_social": "Social monotributo",
  "iva.monotributo_trabajador_independiente_promovido":
    "Promoted independent worker monotributo",
  "iva.consumidor_final": "Final consumer",
  "iva.no_alcanzado": "Not subject to VAT",
  "iva.proveedor_del_exterior": "Foreign supplier",
  "iva.cliente_del_exterior": "Foreign customer",
  "iva.iva_liberado": "VAT released",
  "iva.no_categorizado": "Uncategorized",
  "switcher.label": "Business",
  "switcher.add": "+ Add business",
  "settings.business": "Your business",
  "settings.storage": "Data and logs",
  "settings.dataDir": "Database",
  "settings.logsDir": "Logs",
  "settings.version": "Version",
  "settings.keychain":
    "Secrets (tokens, the AFIP certificate) are kept only in the system keychain, never in the database.",
  "banner.secondInstance": "Mostrador is already open: keep working in this window.",
  "banner.dismiss": "Dismiss",
  "fatal.title": "Mostrador could not open your data",
  "fatal.where": "Data folder:",
  "fatal.logs": "Details were written to the logs:",
  "loading": "Loading…",
  "errors.INVALID_CUIT.checkDigit":
    "The check digit does not match: it should be {expected}, not {found}. Check the number.",
};
