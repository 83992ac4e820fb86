//! `#[command]`: defines a Tauri command and registers its signature for the TypeScript
//! generator in `src-tauri/src/ipc`, so a command is declared in exactly one place.
//!
//! The attribute reads the function itself: the command name, every argument the window sends
//! (name as Tauri expects it, camelCase, and Rust type) and the result type (`Result<T, E>` ⇒
//! resolves with `T`, rejects with `E`). Arguments Tauri injects (`State`, `AppHandle`, windows,
//! webviews) are not part of the call. The expansion is the function under `#[tauri::command]`
//! plus a hidden `__COMMAND_<name>` spec, submitted to the registry unless `#[command(unlisted)]`
//! (used by tests that build specs without exposing them).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::{
    parse_macro_input, FnArg, GenericArgument, ItemFn, Pat, PathArguments, ReturnType, Type,
};

/// Types Tauri fills in on the Rust side; the window never sends them.
const INJECTED: &[&str] = &[
    "State",
    "AppHandle",
    "Window",
    "WebviewWindow",
    "Webview",
    "Request",
    "CommandScope",
    "GlobalScope",
];

#[proc_macro_attribute]
pub fn command(attr: TokenStream, item: TokenStream) -> TokenStream {
    let unlisted = match attr.to_string().trim() {
        "" => false,
        "unlisted" => true,
        other => {
            return syn::Error::new(
                proc_macro2::Span::call_site(),
                format!("#[command] takes no options except `unlisted`, got `{other}`"),
            )
            .to_compile_error()
            .into()
        }
    };
    let function = parse_macro_input!(item as ItemFn);
    match expand(function, unlisted) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(function: ItemFn, unlisted: bool) -> syn::Result<TokenStream2> {
    let name = &function.sig.ident;
    let name_str = name.to_string();
    let spec = format_ident!("__COMMAND_{}", name);
    let docs = docs(&function.attrs);

    let mut args = Vec::new();
    for input in &function.sig.inputs {
        let FnArg::Typed(typed) = input else {
            return Err(syn::Error::new_spanned(
                input,
                "a command cannot take `self`",
            ));
        };
        if is_injected(&typed.ty) {
            continue;
        }
        let Pat::Ident(ident) = &*typed.pat else {
            return Err(syn::Error::new_spanned(
                &typed.pat,
                "name each command argument with a plain identifier (the window sends it by name)",
            ));
        };
        let key = camel(ident.ident.to_string().trim_start_matches("r#"));
        let ty = &typed.ty;
        args.push(quote!(d.arg::<#ty>(#key);));
    }

    let (ok, err) = match &function.sig.output {
        ReturnType::Default => (quote!(()), None),
        ReturnType::Type(_, ty) => match result_parts(ty) {
            Some((ok, err)) => (quote!(#ok), Some(quote!(#err))),
            None => (quote!(#ty), None),
        },
    };
    let rejects = err.map(|e| quote!(d.rejects::<#e>();));

    let submit = (!unlisted).then(|| quote!(::inventory::submit! { #spec }));

    Ok(quote! {
        #[::tauri::command]
        #function

        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        pub(crate) const #spec: crate::ipc::CommandSpec = crate::ipc::CommandSpec {
            name: #name_str,
            docs: #docs,
            describe: {
                fn describe(d: &mut crate::ipc::Describe) {
                    #(#args)*
                    d.resolves::<#ok>();
                    #rejects
                }
                describe
            },
            invoke: {
                fn invoke(invoke: ::tauri::ipc::Invoke<::tauri::Wry>) -> bool {
                    crate::ipc::handler(::tauri::generate_handler![#name])(invoke)
                }
                invoke
            },
        };

        #submit
    })
}

fn is_injected(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| INJECTED.contains(&s.ident.to_string().as_str())),
        Type::Reference(r) => is_injected(&r.elem),
        _ => false,
    }
}

/// `Result<T, E>` (any path ending in `Result` with two type arguments) ⇒ `(T, E)`.
fn result_parts(ty: &Type) -> Option<(&Type, &Type)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(generics) = &last.arguments else {
        return None;
    };
    let mut types = generics.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let ok = types.next()?;
    let err = types.next()?;
    Some((ok, err))
}

fn docs(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    lines.join("\n")
}

/// Tauri's default argument naming: `org_id` is sent as `orgId`.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
