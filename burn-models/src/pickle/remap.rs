//! Table-driven key remapping from known checkpoint layouts onto our modules' field names.
//!
//! A [`RemapTable`] is a list of rules tried in order; the first whose pattern matches the whole source name
//! decides: [`Action::Rename`] (a `regex` replacement, `$1` etc.) or [`Action::Drop`] (a tensor we know and do
//! not use). A name that no rule matches, a rename onto a key the model does not expect, a key the model
//! expects that nothing provides, or two names renamed onto one key make [`apply`] fail with a
//! [`RemapError`] that lists them all, so that a user with a file we have never seen can report the mismatch
//! in one paste.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Rename to this replacement (`regex` syntax: `$1`, `${name}`).
    Rename(&'static str),
    /// A known tensor that our module does not use.
    Drop,
}

/// One rule: a pattern over the whole source name, an action, and why.
#[derive(Debug, Clone, Copy)]
pub struct RemapRule {
    /// Regular expression matched against the whole name (implicitly anchored).
    pub pattern: &'static str,
    /// What to do with a match.
    pub action: Action,
    /// One line on why the rule exists.
    pub why: &'static str,
}

/// A remap table for one known file layout.
#[derive(Debug, Clone, Copy)]
pub struct RemapTable {
    /// Short name used in messages.
    pub name: &'static str,
    /// The files it is for.
    pub source: &'static str,
    /// Rules, first match wins.
    pub rules: &'static [RemapRule],
}

/// Why a remap failed. The message lists every offending name.
#[derive(Debug, thiserror::Error)]
pub enum RemapError {
    /// A rule's pattern does not compile (a bug in the table).
    #[error("remap table `{table}`: invalid pattern `{pattern}`")]
    Pattern {
        /// Table name.
        table: &'static str,
        /// The pattern.
        pattern: &'static str,
        /// The regex error.
        #[source]
        source: regex::Error,
    },
    /// The names do not match the table and the model.
    #[error(
        "remap table `{table}` does not fit this file; please report this message. \
         unmatched by any rule ({}): [{}]; renamed to keys the model does not have ({}): [{}]; \
         missing for the model ({}): [{}]; renamed onto the same key ({}): [{}]",
        .unmatched.len(), .unmatched.join(", "),
        .unexpected.len(), .unexpected.join(", "),
        .missing.len(), .missing.join(", "),
        .collisions.len(), .collisions.join(", ")
    )]
    Mismatch {
        /// Table name.
        table: &'static str,
        /// Source names that no rule matches.
        unmatched: Vec<String>,
        /// `source -> target` renames onto keys not in the expected set.
        unexpected: Vec<String>,
        /// Expected keys that nothing provides.
        missing: Vec<String>,
        /// `a, b -> target` renames that collide.
        collisions: Vec<String>,
    },
}

/// Renames `tensors` with `table`. With `expected` (the model's keys), also checks that the result provides
/// exactly those keys.
pub fn apply<T>(
    table: &RemapTable,
    tensors: BTreeMap<String, T>,
    expected: Option<&BTreeSet<String>>,
) -> Result<BTreeMap<String, T>, RemapError> {
    let rules = table
        .rules
        .iter()
        .map(|r| {
            Regex::new(&format!("^(?:{})$", r.pattern))
                .map(|re| (re, r.action))
                .map_err(|source| RemapError::Pattern {
                    table: table.name,
                    pattern: r.pattern,
                    source,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = BTreeMap::new();
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    let (mut unmatched, mut unexpected, mut collisions) = (Vec::new(), Vec::new(), Vec::new());
    for (name, value) in tensors {
        let Some((re, action)) = rules.iter().find(|(re, _)| re.is_match(&name)) else {
            unmatched.push(name);
            continue;
        };
        let Action::Rename(replacement) = action else {
            continue;
        };
        let target = re.replace(&name, *replacement).into_owned();
        if let Some(first) = origin.get(&target) {
            collisions.push(format!("{first}, {name} -> {target}"));
            continue;
        }
        if expected.is_some_and(|e| !e.contains(&target)) {
            unexpected.push(format!("{name} -> {target}"));
            continue;
        }
        origin.insert(target.clone(), name);
        out.insert(target, value);
    }
    let missing: Vec<String> = expected
        .map(|e| {
            e.iter()
                .filter(|k| !out.contains_key(*k))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if unmatched.is_empty() && unexpected.is_empty() && missing.is_empty() && collisions.is_empty()
    {
        Ok(out)
    } else {
        Err(RemapError::Mismatch {
            table: table.name,
            unmatched,
            unexpected,
            missing,
            collisions,
        })
    }
}

/// StyleGAN2-ADA network pickles (`G_ema` of `network-snapshot-*.pkl`, the paper's
/// `ffhq-fid50k_5.30-snapshot-022608.pkl`): our generator's fields follow the NVlabs `training/networks.py`
/// names, so every tensor keeps its name.
pub const STYLEGAN2_ADA_G: RemapTable = RemapTable {
    name: "stylegan2-ada-G",
    source: "NVlabs stylegan2-ada-pytorch network pickles, entry G_ema (or G)",
    rules: &[RemapRule {
        pattern: r"(mapping|synthesis)\..+",
        action: Action::Rename("$0"),
        why: "our Generator uses the NVlabs module and parameter names",
    }],
};

/// OpenAI's TorchScript `ViT-B-32.pt` (and open_clip state dicts of `ViT-B-32-quickgelu`): the vision tower
/// keeps its `visual.*` names (our `ClipVision` follows them); the text tower and the logit scale are
/// dropped; TorchScript-only attributes (`input_resolution`, …) are not tensors and never reach the table.
pub const OPENAI_CLIP_VIT_B32: RemapTable = RemapTable {
    name: "openai-clip-vit-b32",
    source: "OpenAI ViT-B-32.pt (TorchScript) and open_clip ViT-B-32 state dicts",
    rules: &[
        RemapRule {
            pattern: r"visual\..+",
            action: Action::Rename("$0"),
            why: "vision tower: same names",
        },
        RemapRule {
            pattern: r"transformer\..+|token_embedding\.weight|positional_embedding|ln_final\.(weight|bias)|text_projection",
            action: Action::Drop,
            why: "text tower: not used for image features",
        },
        RemapRule {
            pattern: r"logit_scale",
            action: Action::Drop,
            why: "contrastive temperature, unused",
        },
    ],
};

/// The paper's `clip-vit_b32.pkl` ("derived from the pre-trained CLIP ViT-B/32 by OpenAI"): a pickled
/// module whose layout we have not seen. Assumed to wrap an OpenAI CLIP model under some attribute
/// (`model.visual.*`, `clip.visual.*`, …) or to be the vision tower itself; a mismatch lists the real names.
pub const PAPER_CLIP_PKL: RemapTable = RemapTable {
    name: "paper-clip-vit_b32-pkl",
    source: "the paper's clip-vit_b32.pkl (layout unverified)",
    rules: &[
        RemapRule {
            pattern: r"(?:[A-Za-z_]+\.)?visual\.(.+)",
            action: Action::Rename("visual.$1"),
            why: "vision tower under an optional wrapper attribute",
        },
        RemapRule {
            pattern: r"(?:[A-Za-z_]+\.)?(transformer\..+|token_embedding\.weight|positional_embedding|ln_final\.(weight|bias)|text_projection|logit_scale)",
            action: Action::Drop,
            why: "text tower: not used for image features",
        },
    ],
};

/// NVIDIA's TF-2015 Inception (`inception-2015-12-05.pt` TorchScript and the paper's
/// `inception_v3-tf-2015-12-05.pkl`): `layers.<tf name>.{weight,beta,mean,var}` and `output.*` onto the
/// torchvision / pytorch-fid names (`Mixed_5b.branch1x1.conv.weight`, `….bn.bias`, `fc.weight`). The TF batch
/// norm has no scale: the loader supplies `bn.weight = 1`. Block order follows the TF graph (`mixed` =
/// `Mixed_5b`, …, `mixed_10` = `Mixed_7c`).
pub const NVIDIA_INCEPTION_2015: RemapTable = RemapTable {
    name: "nvidia-inception-2015-12-05",
    source: "NVIDIA inception-2015-12-05.pt (TorchScript) and the paper's inception_v3-tf-2015-12-05.pkl",
    rules: &[
        RemapRule {
            pattern: r"output\.(weight|bias)",
            action: Action::Rename("fc.$1"),
            why: "1008-way classifier",
        },
        RemapRule {
            pattern: r"layers\.conv\.(.+)",
            action: Action::Rename("Conv2d_1a_3x3.$1"),
            why: "stem",
        },
        RemapRule {
            pattern: r"layers\.conv_1\.(.+)",
            action: Action::Rename("Conv2d_2a_3x3.$1"),
            why: "stem",
        },
        RemapRule {
            pattern: r"layers\.conv_2\.(.+)",
            action: Action::Rename("Conv2d_2b_3x3.$1"),
            why: "stem",
        },
        RemapRule {
            pattern: r"layers\.conv_3\.(.+)",
            action: Action::Rename("Conv2d_3b_1x1.$1"),
            why: "stem",
        },
        RemapRule {
            pattern: r"layers\.conv_4\.(.+)",
            action: Action::Rename("Conv2d_4a_3x3.$1"),
            why: "stem",
        },
        // Inception-A blocks (Mixed_5b/5c/5d = mixed, mixed_1, mixed_2).
        RemapRule {
            pattern: r"layers\.mixed\.(.+)",
            action: Action::Rename("Mixed_5b.$1"),
            why: "block A",
        },
        RemapRule {
            pattern: r"layers\.mixed_1\.(.+)",
            action: Action::Rename("Mixed_5c.$1"),
            why: "block A",
        },
        RemapRule {
            pattern: r"layers\.mixed_2\.(.+)",
            action: Action::Rename("Mixed_5d.$1"),
            why: "block A",
        },
        RemapRule {
            pattern: r"layers\.mixed_3\.(.+)",
            action: Action::Rename("Mixed_6a.$1"),
            why: "block B",
        },
        RemapRule {
            pattern: r"layers\.mixed_4\.(.+)",
            action: Action::Rename("Mixed_6b.$1"),
            why: "block C",
        },
        RemapRule {
            pattern: r"layers\.mixed_5\.(.+)",
            action: Action::Rename("Mixed_6c.$1"),
            why: "block C",
        },
        RemapRule {
            pattern: r"layers\.mixed_6\.(.+)",
            action: Action::Rename("Mixed_6d.$1"),
            why: "block C",
        },
        RemapRule {
            pattern: r"layers\.mixed_7\.(.+)",
            action: Action::Rename("Mixed_6e.$1"),
            why: "block C",
        },
        RemapRule {
            pattern: r"layers\.mixed_8\.(.+)",
            action: Action::Rename("Mixed_7a.$1"),
            why: "block D",
        },
        RemapRule {
            pattern: r"layers\.mixed_9\.(.+)",
            action: Action::Rename("Mixed_7b.$1"),
            why: "block E",
        },
        RemapRule {
            pattern: r"layers\.mixed_10\.(.+)",
            action: Action::Rename("Mixed_7c.$1"),
            why: "block E",
        },
    ],
};

/// Second pass of the NVIDIA Inception chain: TF branch names inside each block family onto torchvision's.
/// TF numbers convolutions `conv`, `conv_1`, `conv_2`, … where torchvision counts `_1`, `_2`, `_3`, ….
pub const NVIDIA_INCEPTION_2015_BRANCHES: RemapTable = RemapTable {
    name: "nvidia-inception-2015-12-05-branches",
    source: "second pass after nvidia-inception-2015-12-05",
    rules: &[
        RemapRule {
            pattern: r"fc\.(weight|bias)|Conv2d_\w+\.\w+",
            action: Action::Rename("$0"),
            why: "no branches",
        },
        // A (Mixed_5b/5c/5d): conv = 1×1; tower = 5×5 pair; tower_1 = 3×3 double; tower_2 = pool projection.
        RemapRule {
            pattern: r"(Mixed_5[bcd])\.conv\.(\w+)",
            action: Action::Rename("$1.branch1x1.$2"),
            why: "A 1×1",
        },
        RemapRule {
            pattern: r"(Mixed_5[bcd])\.tower\.conv\.(\w+)",
            action: Action::Rename("$1.branch5x5_1.$2"),
            why: "A 5×5",
        },
        RemapRule {
            pattern: r"(Mixed_5[bcd])\.tower\.conv_1\.(\w+)",
            action: Action::Rename("$1.branch5x5_2.$2"),
            why: "A 5×5",
        },
        RemapRule {
            pattern: r"(Mixed_5[bcd])\.tower_1\.conv\.(\w+)",
            action: Action::Rename("$1.branch3x3dbl_1.$2"),
            why: "A 3×3 double",
        },
        RemapRule {
            pattern: r"(Mixed_5[bcd])\.tower_1\.conv_1\.(\w+)",
            action: Action::Rename("$1.branch3x3dbl_2.$2"),
            why: "A 3×3 double",
        },
        RemapRule {
            pattern: r"(Mixed_5[bcd])\.tower_1\.conv_2\.(\w+)",
            action: Action::Rename("$1.branch3x3dbl_3.$2"),
            why: "A 3×3 double",
        },
        RemapRule {
            pattern: r"(Mixed_(?:5[bcd]|6[bcde]|7[bc]))\.tower_2\.conv\.(\w+)",
            action: Action::Rename("$1.branch_pool.$2"),
            why: "pool projection",
        },
        // B (Mixed_6a).
        RemapRule {
            pattern: r"Mixed_6a\.conv\.(\w+)",
            action: Action::Rename("Mixed_6a.branch3x3.$1"),
            why: "B 3×3",
        },
        RemapRule {
            pattern: r"Mixed_6a\.tower\.conv\.(\w+)",
            action: Action::Rename("Mixed_6a.branch3x3dbl_1.$1"),
            why: "B",
        },
        RemapRule {
            pattern: r"Mixed_6a\.tower\.conv_1\.(\w+)",
            action: Action::Rename("Mixed_6a.branch3x3dbl_2.$1"),
            why: "B",
        },
        RemapRule {
            pattern: r"Mixed_6a\.tower\.conv_2\.(\w+)",
            action: Action::Rename("Mixed_6a.branch3x3dbl_3.$1"),
            why: "B",
        },
        // C (Mixed_6b…6e).
        RemapRule {
            pattern: r"(Mixed_6[bcde])\.conv\.(\w+)",
            action: Action::Rename("$1.branch1x1.$2"),
            why: "C 1×1",
        },
        RemapRule {
            pattern: r"(Mixed_6[bcde])\.tower\.conv\.(\w+)",
            action: Action::Rename("$1.branch7x7_1.$2"),
            why: "C 7×7",
        },
        RemapRule {
            pattern: r"(Mixed_6[bcde])\.tower\.conv_1\.(\w+)",
            action: Action::Rename("$1.branch7x7_2.$2"),
            why: "C 7×7",
        },
        RemapRule {
            pattern: r"(Mixed_6[bcde])\.tower\.conv_2\.(\w+)",
            action: Action::Rename("$1.branch7x7_3.$2"),
            why: "C 7×7",
        },
        RemapRule {
            pattern: r"(Mixed_6[bcde])\.tower_1\.conv\.(\w+)",
            action: Action::Rename("$1.branch7x7dbl_1.$2"),
            why: "C 7×7 double",
        },
        RemapRule {
            pattern: r"(Mixed_6[bcde])\.tower_1\.conv_1\.(\w+)",
            action: Action::Rename("$1.branch7x7dbl_2.$2"),
            why: "C 7×7 double",
        },
        RemapRule {
            pattern: r"(Mixed_6[bcde])\.tower_1\.conv_2\.(\w+)",
            action: Action::Rename("$1.branch7x7dbl_3.$2"),
            why: "C 7×7 double",
        },
        RemapRule {
            pattern: r"(Mixed_6[bcde])\.tower_1\.conv_3\.(\w+)",
            action: Action::Rename("$1.branch7x7dbl_4.$2"),
            why: "C 7×7 double",
        },
        RemapRule {
            pattern: r"(Mixed_6[bcde])\.tower_1\.conv_4\.(\w+)",
            action: Action::Rename("$1.branch7x7dbl_5.$2"),
            why: "C 7×7 double",
        },
        // D (Mixed_7a).
        RemapRule {
            pattern: r"Mixed_7a\.tower\.conv\.(\w+)",
            action: Action::Rename("Mixed_7a.branch3x3_1.$1"),
            why: "D 3×3",
        },
        RemapRule {
            pattern: r"Mixed_7a\.tower\.conv_1\.(\w+)",
            action: Action::Rename("Mixed_7a.branch3x3_2.$1"),
            why: "D 3×3",
        },
        RemapRule {
            pattern: r"Mixed_7a\.tower_1\.conv\.(\w+)",
            action: Action::Rename("Mixed_7a.branch7x7x3_1.$1"),
            why: "D 7×7×3",
        },
        RemapRule {
            pattern: r"Mixed_7a\.tower_1\.conv_1\.(\w+)",
            action: Action::Rename("Mixed_7a.branch7x7x3_2.$1"),
            why: "D 7×7×3",
        },
        RemapRule {
            pattern: r"Mixed_7a\.tower_1\.conv_2\.(\w+)",
            action: Action::Rename("Mixed_7a.branch7x7x3_3.$1"),
            why: "D 7×7×3",
        },
        RemapRule {
            pattern: r"Mixed_7a\.tower_1\.conv_3\.(\w+)",
            action: Action::Rename("Mixed_7a.branch7x7x3_4.$1"),
            why: "D 7×7×3",
        },
        // E (Mixed_7b, 7c): the split 1×3 / 3×1 convolutions sit in `mixed` sub-towers.
        RemapRule {
            pattern: r"(Mixed_7[bc])\.conv\.(\w+)",
            action: Action::Rename("$1.branch1x1.$2"),
            why: "E 1×1",
        },
        RemapRule {
            pattern: r"(Mixed_7[bc])\.tower\.conv\.(\w+)",
            action: Action::Rename("$1.branch3x3_1.$2"),
            why: "E",
        },
        RemapRule {
            pattern: r"(Mixed_7[bc])\.tower\.mixed\.conv\.(\w+)",
            action: Action::Rename("$1.branch3x3_2a.$2"),
            why: "E split",
        },
        RemapRule {
            pattern: r"(Mixed_7[bc])\.tower\.mixed\.conv_1\.(\w+)",
            action: Action::Rename("$1.branch3x3_2b.$2"),
            why: "E split",
        },
        RemapRule {
            pattern: r"(Mixed_7[bc])\.tower_1\.conv\.(\w+)",
            action: Action::Rename("$1.branch3x3dbl_1.$2"),
            why: "E",
        },
        RemapRule {
            pattern: r"(Mixed_7[bc])\.tower_1\.conv_1\.(\w+)",
            action: Action::Rename("$1.branch3x3dbl_2.$2"),
            why: "E",
        },
        RemapRule {
            pattern: r"(Mixed_7[bc])\.tower_1\.mixed\.conv\.(\w+)",
            action: Action::Rename("$1.branch3x3dbl_3a.$2"),
            why: "E split",
        },
        RemapRule {
            pattern: r"(Mixed_7[bc])\.tower_1\.mixed\.conv_1\.(\w+)",
            action: Action::Rename("$1.branch3x3dbl_3b.$2"),
            why: "E split",
        },
    ],
};

/// Third pass of the NVIDIA Inception chain: per-convolution parameters onto `BasicConv2d` fields.
pub const NVIDIA_INCEPTION_2015_PARAMS: RemapTable = RemapTable {
    name: "nvidia-inception-2015-12-05-params",
    source: "third pass after nvidia-inception-2015-12-05-branches",
    rules: &[
        RemapRule {
            pattern: r"fc\.(weight|bias)",
            action: Action::Rename("$0"),
            why: "classifier",
        },
        RemapRule {
            pattern: r"(.+)\.weight",
            action: Action::Rename("$1.conv.weight"),
            why: "conv kernel",
        },
        RemapRule {
            pattern: r"(.+)\.beta",
            action: Action::Rename("$1.bn.bias"),
            why: "BN shift (TF BN has no scale)",
        },
        RemapRule {
            pattern: r"(.+)\.mean",
            action: Action::Rename("$1.bn.running_mean"),
            why: "BN mean",
        },
        RemapRule {
            pattern: r"(.+)\.var",
            action: Action::Rename("$1.bn.running_var"),
            why: "BN variance",
        },
    ],
};

/// The three passes that take NVIDIA Inception names to torchvision / pytorch-fid names.
pub const NVIDIA_INCEPTION_2015_CHAIN: [&RemapTable; 3] = [
    &NVIDIA_INCEPTION_2015,
    &NVIDIA_INCEPTION_2015_BRANCHES,
    &NVIDIA_INCEPTION_2015_PARAMS,
];

/// Applies several tables in turn; only the last pass is checked against `expected`.
pub fn apply_chain<T>(
    tables: &[&RemapTable],
    mut tensors: BTreeMap<String, T>,
    expected: Option<&BTreeSet<String>>,
) -> Result<BTreeMap<String, T>, RemapError> {
    for (i, table) in tables.iter().enumerate() {
        let last = i + 1 == tables.len();
        tensors = apply(table, tensors, if last { expected } else { None })?;
    }
    Ok(tensors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> BTreeMap<String, ()> {
        v.iter().map(|s| (s.to_string(), ())).collect()
    }

    #[test]
    fn nvidia_inception_chain() {
        let out = apply_chain(
            &NVIDIA_INCEPTION_2015_CHAIN,
            names(&[
                "layers.conv.weight",
                "layers.conv_4.var",
                "layers.mixed_4.tower_1.conv_4.beta",
                "layers.mixed_10.tower_1.mixed.conv_1.mean",
                "layers.mixed_3.conv.weight",
                "output.bias",
            ]),
            None,
        )
        .unwrap();
        let keys: Vec<_> = out.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "Conv2d_1a_3x3.conv.weight",
                "Conv2d_4a_3x3.bn.running_var",
                "Mixed_6a.branch3x3.conv.weight",
                "Mixed_6b.branch7x7dbl_5.bn.bias",
                "Mixed_7c.branch3x3dbl_3b.bn.running_mean",
                "fc.bias",
            ]
        );
    }

    #[test]
    fn mismatch_lists_every_name() {
        let expected: BTreeSet<String> = ["visual.conv1.weight", "visual.proj"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let err = apply(
            &OPENAI_CLIP_VIT_B32,
            names(&[
                "visual.conv1.weight",
                "visual.extra",
                "transformer.resblocks.0.attn.in_proj_weight",
                "odd",
            ]),
            Some(&expected),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("[odd]")
                && msg.contains("visual.extra -> visual.extra")
                && msg.contains("[visual.proj]"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn every_table_compiles() {
        for t in [
            &STYLEGAN2_ADA_G,
            &OPENAI_CLIP_VIT_B32,
            &PAPER_CLIP_PKL,
            &NVIDIA_INCEPTION_2015,
            &NVIDIA_INCEPTION_2015_BRANCHES,
            &NVIDIA_INCEPTION_2015_PARAMS,
        ] {
            apply(t, BTreeMap::<String, ()>::new(), None).unwrap();
        }
        let out = apply(
            &STYLEGAN2_ADA_G,
            names(&["synthesis.b4.const", "mapping.fc0.weight"]),
            None,
        )
        .unwrap();
        assert!(out.contains_key("synthesis.b4.const"));
    }
}
