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
    /// Images from a StyleGAN2(-ADA) generator for given seeds (PNG, optional latents.npy).
    Generate(cmd::generate::GenerateArgs),
    /// List the classes, attributes and tensors of a network pickle or TorchScript archive.
    Inspect(cmd::inspect::InspectArgs),
    /// Write one network of a pickle or TorchScript archive to safetensors.
    Convert(cmd::convert::ConvertArgs),
    /// Reweight a generated set to lower FID without changing any image (from feature files, or a dataset and a generator).
    Resample(Box<cmd::resample::ResampleArgs>),
    /// Compare the Top-1 ImageNet class histograms of two sets (saved logits).
    Classes(cmd::classes::ClassesArgs),
    /// FID sensitivity heatmaps: where the Fréchet distance reacts to each image.
    Heatmaps(cmd::heatmaps::HeatmapsArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Stats(args) => cmd::stats::run(args),
        Command::Fid(args) => cmd::fid::run(args),
        Command::Kid(args) => cmd::kid::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Convert(args) => cmd::convert::run(args),
        Command::Resample(args) => cmd::resample::run(*args),
        Command::Classes(args) => cmd::classes::run(args),
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
