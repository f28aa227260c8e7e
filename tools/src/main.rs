//! `fidlab`: FID, CLIP-FID and KID, FID sensitivity heatmaps and resampling, on any Burn device.

mod cmd;

use clap::{Parser, Subcommand};

/// FID, CLIP-FID and KID with the exact TF-2015 Inception, sensitivity heatmaps and resampling.
#[derive(Debug, Parser)]
#[command(name = "fidlab", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute feature statistics (mean, covariance, mergeable sums) and write them to a `.npz`.
    Stats(cmd::stats::StatsArgs),
    /// Fréchet distance between two sets (stats files or feature matrices).
    Fid(cmd::fid::FidArgs),
    /// Kernel Inception Distance between two feature matrices.
    Kid(cmd::kid::KidArgs),
    /// FID sensitivity heatmaps: where the Fréchet distance reacts to each image.
    Heatmaps(cmd::heatmaps::HeatmapsArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Stats(args) => cmd::stats::run(args),
        Command::Fid(args) => cmd::fid::run(args),
        Command::Kid(args) => cmd::kid::run(args),
        Command::Heatmaps(args) => cmd::heatmaps::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
