//! `fidlab fid`.

/// Arguments of `fidlab fid`.
#[derive(Debug, clap::Args)]
pub struct FidArgs {}

/// Runs `fidlab fid`.
pub fn run(_args: FidArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
