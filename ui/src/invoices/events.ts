/** Window event: "Facturar" for a customer (`detail: { id, name }`); App opens Facturas → Nueva. */
export const INVOICE_FOR = "mostrador:invoice-for";
/** Window event: "Hacer nota de crédito" after a refund in Cobros (`detail`: the pre-filled
 * `NewInvoice`); App opens Facturas with that form. */
export const CREDIT_NOTE_FOR = "mostrador:credit-note-for";
