//! `fidlab convert`: one network of a pickle / TorchScript archive to safetensors.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use burn_models::pickle::{self, Dtype};

/// Arguments of `fidlab convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// A network pickle (`.pkl`), `torch.save` file or TorchScript archive (`.pt`). Nothing in it is executed.
    pub file: PathBuf,
    /// Output `.safetensors` file (written atomically).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Dotted path of the network to convert (default: `G_ema` when the file has it, else the whole file).
    #[arg(long)]
    pub key: Option<String>,
    /// Store f16 / bf16 tensors as f32 (exact).
    #[arg(long)]
    pub half_to_f32: bool,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

fn safetensors_dtype(d: Dtype) -> safetensors::Dtype {
    match d {
        Dtype::F16 => safetensors::Dtype::F16,
        Dtype::BF16 => safetensors::Dtype::BF16,
        Dtype::F32 => safetensors::Dtype::F32,
        Dtype::F64 => safetensors::Dtype::F64,
        Dtype::I64 => safetensors::Dtype::I64,
        Dtype::I32 => safetensors::Dtype::I32,
        Dtype::I16 => safetensors::Dtype::I16,
        Dtype::I8 => safetensors::Dtype::I8,
        Dtype::U8 => safetensors::Dtype::U8,
        Dtype::Bool => safetensors::Dtype::BOOL,
    }
}

/// f16 / bf16 little-endian bytes → f32 little-endian bytes.
fn widen(dtype: Dtype, bytes: &[u8]) -> Vec<u8> {
    bytes
        .chunks_exact(2)
        .flat_map(|c| {
            let bits = u16::from_le_bytes([c[0], c[1]]);
            let v = match dtype {
                Dtype::F16 => burn::tensor::f16::from_bits(bits).to_f32(),
                _ => burn::tensor::bf16::from_bits(bits).to_f32(),
            };
            v.to_le_bytes()
        })
        .collect()
}

/// Runs `fidlab convert`: writes the tensors of one network with names relative to it, and its attributes
/// (JSON strings) plus `__class__` and `__source__` as safetensors metadata.
pub fn run(args: ConvertArgs) -> anyhow::Result<()> {
    if args.output.exists() && !args.force {
        bail!(
            "{} exists; pass --force to replace it",
            args.output.display()
        );
    }
    let ckpt = pickle::load_file(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let (key, node) = ckpt.network(args.key.as_deref())?;
    let tensors = node.flat_tensors();
    if tensors.is_empty() {
        bail!("`{key}` holds no tensors");
    }
    let mut owned = Vec::with_capacity(tensors.len());
    for (name, t) in &tensors {
        let mut bytes = t.contiguous_bytes(name, 256 << 20)?;
        let mut dtype = t.dtype;
        if args.half_to_f32 && matches!(dtype, Dtype::F16 | Dtype::BF16) {
            bytes = widen(dtype, &bytes);
            dtype = Dtype::F32;
        }
        owned.push((name.clone(), dtype, t.shape.clone(), bytes));
    }
    let views = owned
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            safetensors::tensor::TensorView::new(safetensors_dtype(*dtype), shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .with_context(|| format!("tensor `{name}`"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut metadata: HashMap<String, String> = node
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    metadata.insert("__class__".into(), node.class_name.clone());
    metadata.insert(
        "__source__".into(),
        format!(
            "{} ({}), key `{key}`",
            args.file.display(),
            ckpt.format.name()
        ),
    );
    let bytes = safetensors::tensor::serialize(views, Some(metadata))
        .context("cannot serialise safetensors")?;
    write_atomically(&args.output, &bytes, args.force)?;
    eprintln!(
        "wrote {} tensors of `{key}` ({}) to {}",
        owned.len(),
        node.class_name,
        args.output.display()
    );
    Ok(())
}

/// Writes `bytes` to a temporary file next to `path`, then renames it into place.
fn write_atomically(path: &Path, bytes: &[u8], replace: bool) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if replace {
        tmp.persist(path).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(path)
            .map_err(|e| e.error)
            .with_context(|| format!("{} exists", path.display()))?;
    }
    Ok(())
}
