// Spanish (es-AR): the default language and the source of every key.
export const es = {
  "app.name": "Mostrador",
  "nav.conversations": "Conversaciones",
  "nav.templates": "Plantillas",
  "nav.invoices": "Facturas",
  "nav.settings": "Ajustes",
  "nav.language": "Idioma",
  "empty.conversations.title": "Todavía no hay conversaciones",
  "empty.conversations.body":
    "Cuando conectes el WhatsApp de tu negocio, los mensajes de tus clientes van a aparecer acá.",
  "empty.templates.title": "Todavía no hay plantillas",
  "empty.templates.body":
    "Las plantillas aprobadas por WhatsApp te dejan escribirle a un cliente pasadas las 24 h de su último mensaje.",
  "empty.invoices.title": "Todavía no hay facturas",
  "empty.invoices.body":
    "Cuando conectes tu certificado de AFIP/ARCA vas a poder emitir facturas electrónicas, incluso sin internet.",
  "setup.title": "Creá tu negocio",
  "setup.addTitle": "Agregá otro negocio",
  "setup.intro":
    "Con estos datos Mostrador arma tus facturas y te identifica ante AFIP/ARCA. Podés cambiarlos después.",
  "setup.name": "Nombre del negocio",
  "setup.namePlaceholder": "Ej.: Kiosco Don Pepe",
  "setup.cuit": "CUIT",
  "setup.cuitHint": "11 dígitos, con o sin guiones",
  "setup.iva": "Condición frente al IVA",
  "setup.submit": "Crear negocio",
  "setup.saving": "Guardando…",
  "setup.cancel": "Cancelar",
  "setup.nameRequired": "Ingresá el nombre del negocio.",
  "iva.responsable_inscripto": "Responsable inscripto",
  "iva.monotributo": "Monotributo",
  "iva.exento": "Exento",
  "iva.monotributista_social": "Monotributista social",
  "iva.monotributo_trabajador_independiente_promovido":
    "Monotributo trabajador independiente promovido",
  "iva.consumidor_final": "Consumidor final",
  "iva.no_alcanzado": "Sujeto no alcanzado",
  "iva.proveedor_del_exterior": "Proveedor del exterior",
  "iva.cliente_del_exterior": "Cliente del exterior",
  "iva.iva_liberado": "IVA liberado",
  "iva.no_categorizado": "Sujeto no categorizado",
  "switcher.label": "Negocio",
  "switcher.add": "+ Agregar negocio",
  "settings.business": "Tu negocio",
  "settings.storage": "Datos y registros",
  "settings.dataDir": "Base de datos",
  "settings.logsDir": "Registros (logs)",
  "settings.version": "Versión",
  "settings.keychain":
    "Las claves (tokens, certificado de AFIP) se guardan solo en el llavero del sistema, nunca en la base de datos.",
  "banner.secondInstance": "Mostrador ya está abierto: seguí trabajando en esta ventana.",
  "banner.dismiss": "Cerrar",
  "fatal.title": "Mostrador no pudo abrir tus datos",
  "fatal.where": "Carpeta de datos:",
  "fatal.logs": "Los detalles quedaron en los registros:",
  "loading": "Cargando…",
  "errors.INVALID_CUIT.checkDigit":
    "El dígito verificador no coincide: debería ser {expected}, no {found}. Revisá el número.",
} as const;

export type MessageKey = keyof typeof es;
