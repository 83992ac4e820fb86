import { useState, type FormEvent } from "react";
import { asAppError } from "../api";
import { commands, type IvaCondition, type Organization } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorField, errorText } from "../i18n/errors";

// Conditions a business itself can have (receivers may have others).
const ISSUER_CONDITIONS: IvaCondition[] = [
  "monotributo",
  "responsable_inscripto",
  "exento",
  "monotributista_social",
  "monotributo_trabajador_independiente_promovido",
];

type FieldErrors = { name?: string; cuit?: string; iva_condition?: string; form?: string };

export function OrgSetup(props: { adding: boolean; onCreated: (o: Organization) => void; onCancel?: () => void }) {
  const t = useT();
  const lang = useLanguage();
  const [name, setName] = useState("");
  const [cuit, setCuit] = useState("");
  const [iva, setIva] = useState<IvaCondition>("monotributo");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);

  async function checkCuit() {
    if (!cuit.trim()) return;
    try {
      await commands.checkCuit(cuit);
      setErrors((e) => ({ ...e, cuit: undefined }));
    } catch (raw) {
      setErrors((e) => ({ ...e, cuit: errorText(asAppError(raw), lang) }));
    }
  }

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    if (!name.trim()) {
      setErrors({ name: t("setup.nameRequired") });
      return;
    }
    setSaving(true);
    try {
      const created = await commands.createOrganization({ name, cuit, iva_condition: iva });
      props.onCreated(created);
    } catch (raw) {
      const err = asAppError(raw);
      const field = errorField(err) ?? "form";
      setErrors({ [field]: errorText(err, lang) });
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="setup" onSubmit={submit} noValidate>
      <h1>{props.adding ? t("setup.addTitle") : t("setup.title")}</h1>
      <p className="muted">{t("setup.intro")}</p>

      <label htmlFor="org-name">{t("setup.name")}</label>
      <input
        id="org-name"
        value={name}
        placeholder={t("setup.namePlaceholder")}
        aria-invalid={!!errors.name}
        aria-describedby="org-name-error"
        onChange={(e) => setName(e.target.value)}
        autoFocus
      />
      {errors.name && <p id="org-name-error" className="field-error" role="alert">{errors.name}</p>}

      <label htmlFor="org-cuit">{t("setup.cuit")}</label>
      <input
        id="org-cuit"
        value={cuit}
        inputMode="numeric"
        placeholder="20-12345678-6"
        aria-invalid={!!errors.cuit}
        aria-describedby="org-cuit-error org-cuit-hint"
        onChange={(e) => {
          setCuit(e.target.value);
          if (errors.cuit) setErrors((x) => ({ ...x, cuit: undefined }));
        }}
        onBlur={checkCuit}
      />
      <p id="org-cuit-hint" className="hint">{t("setup.cuitHint")}</p>
      {errors.cuit && <p id="org-cuit-error" className="field-error" role="alert">{errors.cuit}</p>}

      <label htmlFor="org-iva">{t("setup.iva")}</label>
      <select id="org-iva" value={iva} onChange={(e) => setIva(e.target.value as IvaCondition)}>
        {ISSUER_CONDITIONS.map((c) => (
          <option key={c} value={c}>{t(`iva.${c}`)}</option>
        ))}
      </select>
      {errors.iva_condition && <p className="field-error" role="alert">{errors.iva_condition}</p>}

      {errors.form && <p id="org-form-error" className="field-error" role="alert">{errors.form}</p>}
      <div className="actions">
        {props.onCancel && (
          <button type="button" className="secondary" onClick={props.onCancel}>{t("setup.cancel")}</button>
        )}
        <button id="org-submit" type="submit" disabled={saving}>
          {saving ? t("setup.saving") : t("setup.submit")}
        </button>
      </div>
    </form>
  );
}
