//! TypeScript bindings for the UI, generated from the Rust types (`ui/src/bindings.ts`).
//!
//! Types come from ts-rs. Each command's TypeScript wrapper is generated from the Rust types of
//! its arguments and result listed in [`commands`]; the e2e test exercises every command, so a
//! wrong name here fails there. Regenerate with `UPDATE_BINDINGS=1 cargo test -p mostrador bindings`.

use mostrador_core::activity::InFlight;
use mostrador_core::org::{NewOrganization, OrgId, Organization};
use mostrador_core::session::{Language, Snapshot};
use mostrador_core::{AppError, ErrorCode};
use mostrador_types::IvaCondition;
use ts_rs::{Config, TS};

use crate::commands::StartupState;
use crate::updater::commands::UpdaterStatus;
use crate::updater::{UpdateChannel, UpdateInfo, UpdateProgress};

/// Path of the generated file, relative to the workspace root.
pub const BINDINGS_PATH: &str = "ui/src/bindings.ts";

struct Command {
    rust_name: &'static str,
    args: Vec<(&'static str, String)>,
    result: String,
}

fn command<R: TS>(
    cfg: &Config,
    rust_name: &'static str,
    args: Vec<(&'static str, String)>,
) -> Command {
    Command {
        rust_name,
        args,
        result: R::name(cfg),
    }
}

fn commands(cfg: &Config) -> Vec<Command> {
    vec![
        command::<StartupState>(cfg, "startup_state", vec![]),
        command::<()>(cfg, "check_cuit", vec![("cuit", String::name(cfg))]),
        command::<Organization>(
            cfg,
            "create_organization",
            vec![("input", NewOrganization::name(cfg))],
        ),
        command::<()>(cfg, "select_organization", vec![("id", OrgId::name(cfg))]),
        command::<()>(cfg, "set_language", vec![("language", Language::name(cfg))]),
        command::<UpdaterStatus>(cfg, "update_status", vec![]),
        command::<Option<UpdateInfo>>(cfg, "check_for_update", vec![]),
        command::<UpdateInfo>(cfg, "download_update", vec![]),
        command::<()>(cfg, "restart_to_update", vec![]),
        command::<()>(
            cfg,
            "set_update_channel",
            vec![("channel", UpdateChannel::name(cfg))],
        ),
        command::<()>(
            cfg,
            "set_update_check_on_startup",
            vec![("enabled", bool::name(cfg))],
        ),
    ]
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The whole generated file.
pub fn typescript() -> String {
    let cfg = Config::new();
    let decls = [
        ErrorCode::decl(&cfg),
        AppError::decl(&cfg),
        OrgId::decl(&cfg),
        IvaCondition::decl(&cfg),
        Language::decl(&cfg),
        Organization::decl(&cfg),
        NewOrganization::decl(&cfg),
        Snapshot::decl(&cfg),
        StartupState::decl(&cfg),
        InFlight::decl(&cfg),
        UpdateChannel::decl(&cfg),
        UpdateInfo::decl(&cfg),
        UpdateProgress::decl(&cfg),
        UpdaterStatus::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit by hand:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p mostrador bindings` after changing them.\n\n\
         import { invoke } from \"@tauri-apps/api/core\";\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.push_str("/** Every command the core exposes. Rejections carry an `AppError`. */\nexport const commands = {\n");
    for c in commands(&cfg) {
        let params: Vec<String> = c
            .args
            .iter()
            .map(|(n, t)| format!("{}: {t}", camel(n)))
            .collect();
        let payload = if c.args.is_empty() {
            String::new()
        } else {
            let fields: Vec<String> = c.args.iter().map(|(n, _)| camel(n)).collect();
            format!(", {{ {} }}", fields.join(", "))
        };
        let result = if c.result == "null" {
            "void".to_string()
        } else {
            c.result.clone()
        };
        out.push_str(&format!(
            "  {}: ({}) => invoke<{result}>(\"{}\"{payload}),\n",
            camel(c.rust_name),
            params.join(", "),
            c.rust_name,
        ));
    }
    out.push_str("};\n\n/** Events the core emits to the window. */\nexport const events = {\n");
    out.push_str(&format!(
        "  secondInstance: \"{}\",\n",
        crate::EVENT_SECOND_INSTANCE
    ));
    out.push_str(&format!(
        "  /** Payload: `UpdateInfo`. */\n  updateAvailable: \"{}\",\n",
        crate::updater::EVENT_UPDATE_AVAILABLE
    ));
    out.push_str(&format!(
        "  /** Payload: `UpdateProgress`. */\n  updateProgress: \"{}\",\n",
        crate::updater::EVENT_UPDATE_PROGRESS
    ));
    out.push_str("} as const;\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(BINDINGS_PATH);
        let generated = typescript();
        if std::env::var("UPDATE_BINDINGS").as_deref() == Ok("1") {
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{BINDINGS_PATH} is stale: run `UPDATE_BINDINGS=1 cargo test -p mostrador bindings` and commit it"
        );
    }

    #[test]
    fn commands_are_camel_cased() {
        assert_eq!(camel("create_organization"), "createOrganization");
        assert!(typescript().contains("createOrganization: (input: NewOrganization) => invoke<Organization>(\"create_organization\", { input })"));
    }
}
