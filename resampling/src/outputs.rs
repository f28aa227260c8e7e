//! What a resampling run writes beside itself, always atomically (temporary file, then rename):
//! `settings.json`, `optimization_stats.jsonl`, the best weights
//! `sampling_weights-fid_{FID:.2f}-num_gen_{N_g}-seed_{seed}-it_{it}.npy` (float64 `[N_g]`
//! log-weights, the paper's name pattern), the class plots, and the checkpoint
//! (`checkpoint.json` + `checkpoint-it_{it}.npz`) that `--resume` continues from.

use std::path::{Path, PathBuf};

use fid_core::npz::{Npz, NpzWriter, write_npy_to};

use crate::error::ResampleError;
use crate::optim::{Optimizer, OptimizerKind};

/// Settings file name.
pub const SETTINGS_FILE: &str = "settings.json";
/// Per-evaluation log.
pub const STATS_FILE: &str = "optimization_stats.jsonl";
/// Checkpoint index (the arrays are in the `.npz` it names).
pub const CHECKPOINT_FILE: &str = "checkpoint.json";
/// Prefix of the best-weights file.
pub const WEIGHTS_PREFIX: &str = "sampling_weights-";
/// Prefix of the resampled class plot.
pub const RESAMPLED_PLOT_PREFIX: &str = "resampled_class_dist-";

/// Everything needed to continue a run exactly where it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct RunState {
    /// Steps already taken.
    pub iteration: u64,
    /// Log-weights, `[N_g]`.
    pub w: Vec<f64>,
    /// Optimiser and its state.
    pub optimizer: Optimizer,
    /// Position of the evaluation RNG (ChaCha8 word position).
    pub rng_word_pos: u128,
    /// Best (minimum over repeats) pool3 FID so far.
    pub best_fid: f64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CheckpointIndex {
    iteration: u64,
    optimizer: OptimizerKind,
    lr: f64,
    adam_t: u64,
    rng_word_pos: String,
    best_fid: Option<f64>,
    arrays: String,
}

/// Writes `bytes` to `dir/name` atomically.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, ResampleError> {
    let path = dir.join(name);
    fid_core::atomic::write(&path, bytes)?;
    Ok(path)
}

/// Writes a float64 vector as a 1-D `.npy`.
pub fn write_npy_f64(path: &Path, data: &[f64]) -> Result<(), ResampleError> {
    let mut buf = Vec::new();
    write_npy_to(&mut buf, &[data.len() as u64], data).map_err(|e| ResampleError::io(path, e))?;
    fid_core::atomic::write(path, &buf)?;
    Ok(())
}

/// Appends one JSON line to `dir/optimization_stats.jsonl` (rewritten atomically).
pub fn append_stats(dir: &Path, line: &serde_json::Value) -> Result<(), ResampleError> {
    let path = dir.join(STATS_FILE);
    let mut text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ResampleError::io(&path, e)),
    };
    text.push_str(&line.to_string());
    text.push('\n');
    fid_core::atomic::write(&path, text.as_bytes())?;
    Ok(())
}

/// Drops log lines past `iteration` (written after the last checkpoint of an interrupted run).
pub fn truncate_stats(dir: &Path, iteration: u64) -> Result<(), ResampleError> {
    let path = dir.join(STATS_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let kept: String = text
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v["it"].as_u64())
                .is_some_and(|it| it <= iteration)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    if kept != text {
        fid_core::atomic::write(&path, kept.as_bytes())?;
    }
    Ok(())
}

/// Removes files in `dir` named `prefix…suffix` except `keep`.
pub fn remove_previous(
    dir: &Path,
    prefix: &str,
    suffix: &str,
    keep: &str,
) -> Result<(), ResampleError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ResampleError::io(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(prefix) && name.ends_with(suffix) && name != keep {
            let p = entry.path();
            std::fs::remove_file(&p).map_err(|e| ResampleError::io(&p, e))?;
        }
    }
    Ok(())
}

/// Writes the checkpoint: the arrays first, then the index that names them (the commit point),
/// then removes older array files.
pub fn write_checkpoint(dir: &Path, state: &RunState) -> Result<(), ResampleError> {
    let arrays = format!("checkpoint-it_{}.npz", state.iteration);
    let n = state.w.len() as u64;
    let mut npz = NpzWriter::default();
    npz.f64("w", &[n], &state.w);
    let (lr, adam_t) = match &state.optimizer {
        Optimizer::Sgd { lr } => (*lr, 0),
        Optimizer::Adam { lr, m, v, t } => {
            npz.f64("adam_m", &[n], m);
            npz.f64("adam_v", &[n], v);
            (*lr, *t)
        }
    };
    npz.write(&dir.join(&arrays))?;
    let index = CheckpointIndex {
        iteration: state.iteration,
        optimizer: state.optimizer.kind(),
        lr,
        adam_t,
        rng_word_pos: state.rng_word_pos.to_string(),
        best_fid: state.best_fid.is_finite().then_some(state.best_fid),
        arrays: arrays.clone(),
    };
    let json = serde_json::to_vec_pretty(&index).expect("serialisable");
    write_file(dir, CHECKPOINT_FILE, &json)?;
    remove_previous(dir, "checkpoint-it_", ".npz", &arrays)
}

/// Reads the checkpoint of a run directory.
pub fn read_checkpoint(dir: &Path) -> Result<RunState, ResampleError> {
    let path = dir.join(CHECKPOINT_FILE);
    let bad = |reason: String| ResampleError::BadFile {
        path: path.clone(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ResampleError::io(&path, e))?;
    let index: CheckpointIndex =
        serde_json::from_str(&text).map_err(|e| bad(format!("not a checkpoint: {e}")))?;
    let npz = Npz::read(&dir.join(&index.arrays))?;
    let array = |name: &str| -> Result<Vec<f64>, ResampleError> {
        npz.array(name)
            .map_err(&bad)?
            .map(|a| a.data)
            .ok_or_else(|| bad(format!("{} lacks `{name}`", index.arrays)))
    };
    let w = array("w")?;
    let optimizer = match index.optimizer {
        OptimizerKind::Sgd => Optimizer::Sgd { lr: index.lr },
        OptimizerKind::Adam => Optimizer::Adam {
            lr: index.lr,
            m: array("adam_m")?,
            v: array("adam_v")?,
            t: index.adam_t,
        },
    };
    Ok(RunState {
        iteration: index.iteration,
        w,
        optimizer,
        rng_word_pos: index
            .rng_word_pos
            .parse()
            .map_err(|_| bad("bad rng_word_pos".into()))?,
        best_fid: index.best_fid.unwrap_or(f64::INFINITY),
    })
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`; `None` elsewhere).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_round_trips_bit_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let state = RunState {
            iteration: 17,
            w: vec![0.1, -1e-300, 3.5],
            optimizer: Optimizer::Adam {
                lr: 0.01,
                m: vec![1.0, 2.0, 3.0],
                v: vec![4.0, 5.0, 6.0],
                t: 17,
            },
            rng_word_pos: (1u128 << 70) + 5,
            best_fid: 1.25,
        };
        write_checkpoint(dir.path(), &state).unwrap();
        let mut later = state.clone();
        later.iteration = 18;
        write_checkpoint(dir.path(), &later).unwrap();
        assert_eq!(read_checkpoint(dir.path()).unwrap(), later);
        assert!(!dir.path().join("checkpoint-it_17.npz").exists());
    }
}
