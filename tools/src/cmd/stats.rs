//! `fidlab stats`.

/// Arguments of `fidlab stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {}

/// Runs `fidlab stats`.
pub fn run(_args: StatsArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
