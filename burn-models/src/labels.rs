//! The 1008 output labels of the TF-2015 Inception classifier (the FID network).
//!
//! Index 0 is the placeholder `empty1`, 1..=1000 are the ImageNet-2012 classes in the graph's order
//! (1 = "kit fox, Vulpes macrotis", 1000 = "dumbbell"), 1001..=1007 are `empty2`..`empty8`. The
//! file is the paper's `data/imagenet-2012-labels.yml` (kynkaat/role-of-imagenet-classes-in-fid@2d25375),
//! shipped with the crate and parsed without a YAML dependency: it is a flat mapping
//! `index: plain scalar`, where long names continue on indented lines (YAML folds those line breaks
//! into single spaces). Heatmap grids, class charts, `fidlab classes` and the resampling plots all
//! label classes through [`ImagenetLabels::display`].

use std::sync::OnceLock;

/// The label file, embedded at compile time.
pub const LABELS_YML: &str = include_str!("../data/imagenet-2012-labels-tf2015.yml");

/// Number of outputs of the TF-2015 Inception classifier.
pub const NUM_CLASSES: usize = 1008;

/// A label file that is not a flat `index: name` mapping with indices `0..n`.
#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    /// A line that is neither `index: name` nor an indented continuation.
    #[error("line {line}: expected `index: name`, found {text:?}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// The offending line.
        text: String,
    },
    /// A continuation line before the first entry.
    #[error("line {line}: continuation line before the first entry")]
    DanglingContinuation {
        /// 1-based line number.
        line: usize,
    },
    /// Quoted scalars, block scalars and the like are not needed for this file and not supported.
    #[error("line {line}: unsupported YAML construct in {text:?}")]
    Unsupported {
        /// 1-based line number.
        line: usize,
        /// The offending line.
        text: String,
    },
    /// Indices are not exactly `0, 1, …, n−1` in order.
    #[error("entry {position} has index {found}, expected {position}")]
    Index {
        /// Position of the entry in the file.
        position: usize,
        /// The index written in the file.
        found: usize,
    },
}

/// Class names indexed by classifier output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagenetLabels {
    names: Vec<String>,
}

impl ImagenetLabels {
    /// The 1008 labels of the TF-2015 Inception (embedded, parsed once).
    pub fn tf2015() -> &'static Self {
        static LABELS: OnceLock<ImagenetLabels> = OnceLock::new();
        LABELS.get_or_init(|| {
            Self::parse(LABELS_YML).expect("the embedded label file is a valid flat mapping")
        })
    }

    /// Parses a flat YAML mapping `index: name` with indices `0..n` in order.
    pub fn parse(text: &str) -> Result<Self, LabelsError> {
        let mut names: Vec<String> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim_end_matches('\r');
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                // Folded continuation of the previous plain scalar.
                let last = names
                    .last_mut()
                    .ok_or(LabelsError::DanglingContinuation { line: line_no })?;
                last.push(' ');
                last.push_str(trimmed);
                continue;
            }
            let syntax = || LabelsError::Syntax {
                line: line_no,
                text: line.to_string(),
            };
            let (key, value) = line.split_once(':').ok_or_else(syntax)?;
            let index: usize = key.trim().parse().map_err(|_| syntax())?;
            let value = value.trim();
            if value.is_empty()
                || value.starts_with(['"', '\'', '|', '>', '[', '{', '&', '*', '!'])
                || value.contains(": ")
                || value.contains(" #")
            {
                return Err(LabelsError::Unsupported {
                    line: line_no,
                    text: line.to_string(),
                });
            }
            if index != names.len() {
                return Err(LabelsError::Index {
                    position: names.len(),
                    found: index,
                });
            }
            names.push(value.to_string());
        }
        Ok(Self { names })
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no classes.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The full entry, e.g. `"kit fox, Vulpes macrotis"`.
    pub fn full(&self, class: usize) -> Option<&str> {
        self.names.get(class).map(String::as_str)
    }

    /// The first synonym, e.g. `"kit fox"` (the paper's `labels[c].split(',')[0]`).
    pub fn short(&self, class: usize) -> Option<&str> {
        self.full(class)
            .map(|s| s.split(',').next().unwrap_or_default())
    }

    /// The first synonym as the paper prints it on grids and charts, e.g. `"Kit fox"`
    /// (Python's `str.capitalize`, see [`capitalize`]).
    pub fn display(&self, class: usize) -> Option<String> {
        self.short(class).map(capitalize)
    }
}

/// The label of class `index` as plots show it ([`ImagenetLabels::display`] of the TF-2015 labels), e.g.
/// `1` → "Kit fox"; indices beyond the table give `class <index>`.
pub fn short_label(index: usize) -> String {
    ImagenetLabels::tf2015()
        .display(index)
        .unwrap_or_else(|| format!("class {index}"))
}

/// True for the placeholder outputs (0 and 1001..=1007) that are not ImageNet classes.
pub fn is_placeholder(index: usize) -> bool {
    index == 0 || (1001..NUM_CLASSES).contains(&index)
}

/// Python's `str.capitalize`: the first character upper-cased, **all others lower-cased**
/// (`"CD player"` → `"Cd player"`).
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_file_has_1008_classes() {
        let labels = ImagenetLabels::tf2015();
        assert_eq!(labels.len(), NUM_CLASSES);
        assert_eq!(labels.full(0), Some("empty1"));
        assert_eq!(labels.short(1), Some("kit fox"));
        assert_eq!(labels.short(1000), Some("dumbbell"));
        assert_eq!(labels.full(1007), Some("empty8"));
        assert_eq!(labels.full(1008), None);
        assert_eq!(labels.full(1), Some("kit fox, Vulpes macrotis"));
        assert_eq!(short_label(1), "Kit fox");
        assert_eq!(short_label(5000), "class 5000");
        assert!(is_placeholder(0) && is_placeholder(1001) && !is_placeholder(1000));
        // A continued entry is folded into one line.
        assert!((0..labels.len()).all(|c| {
            let s = labels.full(c).unwrap();
            !s.contains('\n') && !s.contains("  ")
        }));
    }

    #[test]
    fn continuation_lines_fold_into_one_space() {
        let labels = ImagenetLabels::parse("0: a, b\r\n  c d\r\n1: e\n").unwrap();
        assert_eq!(labels.full(0), Some("a, b c d"));
        assert_eq!(labels.full(1), Some("e"));
    }

    #[test]
    fn capitalize_lowercases_the_rest() {
        assert_eq!(capitalize("CD player"), "Cd player");
        assert_eq!(capitalize("kit fox"), "Kit fox");
        assert_eq!(capitalize(""), "");
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(matches!(
            ImagenetLabels::parse("1: a\n"),
            Err(LabelsError::Index {
                position: 0,
                found: 1
            })
        ));
        assert!(matches!(
            ImagenetLabels::parse("  a\n"),
            Err(LabelsError::DanglingContinuation { line: 1 })
        ));
        assert!(matches!(
            ImagenetLabels::parse("0: \"quoted\"\n"),
            Err(LabelsError::Unsupported { line: 1, .. })
        ));
        assert!(matches!(
            ImagenetLabels::parse("x: a\n"),
            Err(LabelsError::Syntax { line: 1, .. })
        ));
    }
}
