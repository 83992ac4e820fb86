// Plantillas: the page, and the picker other pages host (Conversaciones, when the window is closed).
export { Templates } from "./Templates";
export { TemplatePicker, type TemplatePickerProps } from "./TemplatePicker";
