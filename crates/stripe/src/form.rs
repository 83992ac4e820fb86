//! Stripe's request bodies: `application/x-www-form-urlencoded` with nested keys in brackets
//! (`line_items[0][price_data][currency]=usd`, `metadata[invoice]=42`). Kept as an ordered list
//! of pairs so the same request always encodes to the same bytes (Stripe's idempotency layer
//! compares the parameters of a retry with the first request's).

/// An ordered list of form fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn new() -> Self {
        Form::default()
    }

    /// Adds `key=value`; `key` is already the full bracketed path.
    pub fn push(&mut self, key: impl Into<String>, value: impl ToString) -> &mut Self {
        self.pairs.push((key.into(), value.to_string()));
        self
    }

    /// Adds `key=value` when `value` is `Some`.
    pub fn push_opt<V: ToString>(&mut self, key: &str, value: Option<V>) -> &mut Self {
        if let Some(v) = value {
            self.push(key, v);
        }
        self
    }

    /// Adds every pair of `nested` under `prefix`: `prefix[inner]` (or `prefix[a][b]` when the
    /// inner key is itself `a[b]`).
    pub fn nest(&mut self, prefix: &str, nested: Form) -> &mut Self {
        for (k, v) in nested.pairs {
            let key = match k.split_once('[') {
                Some((head, rest)) => format!("{prefix}[{head}][{rest}"),
                None => format!("{prefix}[{k}]"),
            };
            self.pairs.push((key, v));
        }
        self
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The body bytes. Brackets are percent-encoded, as every form encoder does; Stripe decodes
    /// them.
    pub fn encode(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys() {
        let mut product = Form::new();
        product.push("name", "Yerba 1 kg & bombilla");
        let mut price = Form::new();
        price.push("currency", "usd").push("unit_amount", 1250);
        price.nest("product_data", product);
        let mut item = Form::new();
        item.nest("price_data", price).push("quantity", 2);
        let mut f = Form::new();
        f.push("mode", "payment").nest("line_items[0]", item);
        f.push_opt("client_reference_id", None::<&str>);
        f.push_opt("metadata[invoice]", Some("inv-1"));
        let keys: Vec<&str> = f.pairs().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "mode",
                "line_items[0][price_data][currency]",
                "line_items[0][price_data][unit_amount]",
                "line_items[0][price_data][product_data][name]",
                "line_items[0][quantity]",
                "metadata[invoice]",
            ]
        );
        let body = f.encode();
        assert!(
            body.starts_with("mode=payment&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd")
        );
        assert!(body.contains("Yerba+1+kg+%26+bombilla"));
        // Decoding gives the pairs back unchanged.
        let back: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(back, f.pairs());
    }
}
