//! `fidlab kid`.

/// Arguments of `fidlab kid`.
#[derive(Debug, clap::Args)]
pub struct KidArgs {}

/// Runs `fidlab kid`.
pub fn run(_args: KidArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
