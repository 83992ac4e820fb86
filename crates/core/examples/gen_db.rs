//! Writes the benchmarks' database (1,000,000 messages in 50,000 conversations; scaled by
//! `MOSTRADOR_BENCH_MESSAGES` / `MOSTRADOR_BENCH_CONVERSATIONS`) into an app data directory, as
//! the app would open it (`MOSTRADOR_DATA_DIR`): one business, selected, with the conversations.
//! Used by `scripts/measure-app`.
//!
//! `cargo run --release -p mostrador-core --example gen_db -- <data dir>`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use mostrador_core::org::NewOrganization;
use mostrador_core::session;
use mostrador_core::store::{Store, DB_FILE_NAME};
use mostrador_testkit::conversations_db::{self, Shape};
use mostrador_types::IvaCondition;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        bail!("usage: gen_db <data dir>");
    };
    let path = dir.join(DB_FILE_NAME);
    if path.exists() {
        bail!(
            "{} exists: the generator only fills a new database",
            path.display()
        );
    }
    let shape = Shape::from_env();
    let store = Store::open(&path).await?;
    let org = session::create_organization(
        &store,
        NewOrganization {
            name: "Almacén Bench".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .context("creating the business")?;
    let t = Instant::now();
    conversations_db::generate(store.writer(), &org.id.to_string(), shape).await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.writer())
        .await?;
    store.close().await;
    println!(
        "generated {} messages in {} conversations in {:.1} s: {} ({:.1} MiB)",
        shape.messages,
        shape.conversations,
        t.elapsed().as_secs_f64(),
        path.display(),
        conversations_db::file_size(&path) as f64 / (1024.0 * 1024.0)
    );
    Ok(())
}
