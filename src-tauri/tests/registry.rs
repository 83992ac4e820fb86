//! Commands and events register themselves through link-time collection (`inventory`). This test
//! links the app's library exactly as the `mostrador` binary does (not as the unit tests, which
//! are the library itself), so a command the linker dropped, or one left out of the committed
//! bindings, fails here rather than as "command not found" in the window.

#[test]
fn the_linked_app_registers_exactly_the_committed_bindings() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(mostrador_app::bindings::BINDINGS_PATH);
    let committed = std::fs::read_to_string(&path).expect("reading the committed bindings");
    let generated = mostrador_app::bindings::typescript();
    assert!(
        mostrador_app::ipc::commands().len() >= 11,
        "commands missing from the registry: {:?}",
        mostrador_app::ipc::commands()
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
    );
    if let Err(stale) = mostrador_app::bindings::check_current(&committed, &generated) {
        panic!("{stale}");
    }
}
