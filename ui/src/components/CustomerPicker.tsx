import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type SearchHit } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { customerHits, MIN_QUERY } from "./customerPick";
import "./customerPicker.css";

export type PickedCustomer = { id: number; name: string };

/** A customer chosen by name or number as the owner knows them (the conversations' customer
 * search), never by an internal id. */
export function CustomerPicker({
  orgId,
  id,
  value,
  onPick,
}: {
  orgId: string;
  /** The search box's id (its label points at it). */
  id: string;
  value: PickedCustomer | null;
  onPick: (c: PickedCustomer | null) => void;
}) {
  const t = useT();
  const lang = useLanguage();
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  // The query the hits answer ("no customer" is said only once the search answered).
  const [answered, setAnswered] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    const q = query.trim();
    if (value || Array.from(q).length < MIN_QUERY) {
      setHits([]);
      return;
    }
    let live = true;
    // After a short pause in the typing: one search, not one per key.
    const timer = setTimeout(() => {
      commands
        .conversationsSearch(orgId, q, 20)
        .then((h) => {
          if (!live) return;
          setHits(customerHits(h));
          setAnswered(q);
          setError(null);
        })
        .catch((e) => live && setError(asAppError(e)));
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [orgId, query, value]);

  const pick = (h: SearchHit) => {
    commands
      .conversationGet(orgId, h.conversation_id)
      .then((c) => {
        if (!c) return;
        onPick({ id: c.customer_id, name: c.customer_name });
        setQuery("");
      })
      .catch((e) => setError(asAppError(e)));
  };

  if (value) {
    return (
      <span className="customer-picked" id={`${id}-picked`}>
        <strong>{value.name}</strong>{" "}
        <button type="button" className="link" id={`${id}-change`} onClick={() => onPick(null)}>
          {t("customerPicker.change")}
        </button>
      </span>
    );
  }
  return (
    <span className="customer-picker">
      <input
        id={id}
        value={query}
        placeholder={t("customerPicker.placeholder")}
        autoComplete="off"
        onChange={(e) => setQuery(e.target.value)}
      />
      {hits.length > 0 && (
        <ul className="customer-picker-hits" id={`${id}-hits`} role="listbox">
          {hits.map((h) => (
            <li key={h.conversation_id}>
              <button type="button" className="secondary" onClick={() => pick(h)}>
                {h.customer_name}
              </button>
            </li>
          ))}
        </ul>
      )}
      {answered === query.trim() && hits.length === 0 && !error && (
        <span className="hint">{t("customerPicker.none")}</span>
      )}
      {error && <span className="field-error" role="alert">{errorText(error, lang)}</span>}
    </span>
  );
}
