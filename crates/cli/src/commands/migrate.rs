//! `ruptura migrate`: creates or updates Ruptura's tables (never on the old system's database).

use clap::Args;

use crate::DbArgs;

#[derive(Debug, Args)]
pub struct MigrateOpts {
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(opts: MigrateOpts) -> anyhow::Result<()> {
    let store = opts.db.open().await?;
    store.migrate().await?;
    eprintln!("banco pronto: {}", ruptura_store::redact(&opts.db.db));
    Ok(())
}
