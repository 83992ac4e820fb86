//! The window's interface: commands and events, each declared once, next to its code.
//!
//! A command is a function under [`command`] (`#[command]`): it is a Tauri command, it is in the
//! invoke handler, and its TypeScript wrapper is generated from its own signature. An event is a
//! typed constant declared with [`event!`](crate::event): it can only be emitted with its payload
//! type, and its name and payload are generated into `ui/src/bindings.ts` the same way. Nothing
//! else lists them, so adding either is a one-place change (`crate::bindings` writes the file).

mod describe;
mod event;

pub use describe::{Describe, TsType};
pub use event::{Event, EventSpec};
pub use mostrador_macros::command;

use tauri::ipc::Invoke;
use tauri::Wry;

/// What `#[command]` records about one command.
pub struct CommandSpec {
    /// The name the window invokes (the Rust function's name).
    pub name: &'static str,
    /// The function's doc comment, copied onto the TypeScript wrapper.
    pub docs: &'static str,
    /// Records the arguments (as the window sends them), the result and the rejection.
    pub describe: fn(&mut Describe),
    /// Runs the command (Tauri's own generated handler for this one function).
    pub invoke: fn(Invoke<Wry>) -> bool,
}

inventory::collect!(CommandSpec);

/// Every registered command, sorted by name (the generated file does not depend on link order).
pub fn commands() -> Vec<&'static CommandSpec> {
    let mut all: Vec<_> = inventory::iter::<CommandSpec>.into_iter().collect();
    all.sort_by_key(|c| c.name);
    all
}

/// Every registered event, sorted by name.
pub fn events() -> Vec<&'static EventSpec> {
    let mut all: Vec<_> = inventory::iter::<EventSpec>.into_iter().collect();
    all.sort_by_key(|e| e.name);
    all
}

/// The app's invoke handler: dispatches to whichever registered command the window named.
pub fn invoke_handler() -> impl Fn(Invoke<Wry>) -> bool + Send + Sync + 'static {
    let table: std::collections::HashMap<&'static str, fn(Invoke<Wry>) -> bool> =
        commands().into_iter().map(|c| (c.name, c.invoke)).collect();
    move |invoke| {
        let name = invoke.message.command();
        match table.get(name) {
            Some(run) => run(invoke),
            None => false,
        }
    }
}

/// Gives `tauri::generate_handler!`'s closure its argument type (used by `#[command]`).
#[doc(hidden)]
pub fn handler<F: Fn(Invoke<Wry>) -> bool>(f: F) -> F {
    f
}
