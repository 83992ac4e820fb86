/** Window event: "Facturar" for a customer (`detail: { id, name }`); App opens Facturas → Nueva. */
export const INVOICE_FOR = "mostrador:invoice-for";
