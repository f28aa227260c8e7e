//! `fidlab inspect`: the module tree of a network pickle, `torch.save` file or TorchScript archive.

use std::path::PathBuf;

use anyhow::Context as _;
use burn_models::pickle;

/// Arguments of `fidlab inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// A network pickle (`.pkl`), `torch.save` file or TorchScript archive (`.pt`). Nothing in it is executed.
    pub file: PathBuf,
    /// Also print the embedded Python source (`module_src`) of persistent classes.
    #[arg(long)]
    pub source: bool,
}

/// Runs `fidlab inspect`: prints class names, attributes and every tensor with dtype and shape.
pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let ckpt = pickle::load_file(&args.file)
        .with_context(|| format!("cannot inspect {}", args.file.display()))?;
    let tensors = ckpt.root.flat_tensors();
    let elements: usize = tensors.values().filter_map(|t| t.numel()).sum();
    println!(
        "{}: {}, {} tensors, {} elements",
        args.file.display(),
        ckpt.format.name(),
        tensors.len(),
        elements
    );
    print!("{}", ckpt.root.render("(root)"));
    if args.source {
        print_sources(&ckpt.root, "");
    }
    Ok(())
}

fn print_sources(node: &pickle::ModuleNode, path: &str) {
    if let Some(src) = &node.module_src {
        println!("\n# module_src of `{path}` ({})\n{src}", node.class_name);
    }
    for (name, child) in &node.children {
        let p = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        print_sources(child, &p);
    }
}
