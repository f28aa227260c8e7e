//! The 1008 output labels of the TF-2015 Inception classifier (the FID network).
//!
//! Index 0 is the placeholder `empty1`, 1..=1000 are the ImageNet-2012 classes in the graph's order
//! (1 = "kit fox, Vulpes macrotis", 1000 = "dumbbell"), 1001..=1007 are `empty2`..`empty8`. The
//! file ships with the crate (`data/imagenet-2012-labels-tf2015.yml`, the paper's
//! `data/imagenet-2012-labels.yml`) and is read without a YAML library: it is a flat mapping
//! `index: plain scalar` whose long values continue on indented lines (folded into one space).

use std::sync::OnceLock;

/// The label file, embedded at compile time.
pub const LABELS_YML: &str = include_str!("../data/imagenet-2012-labels-tf2015.yml");

/// Number of outputs of the TF-2015 Inception classifier.
pub const NUM_CLASSES: usize = 1008;

/// A label file that is not a flat `index: name` mapping over `0..n`.
#[derive(Debug, thiserror::Error)]
#[error("labels, line {line}: {reason}")]
pub struct LabelsError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses `index: name` lines (with indented continuation lines) into names ordered by index.
pub fn parse_labels(text: &str) -> Result<Vec<String>, LabelsError> {
    let mut names: Vec<String> = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let err = |reason: String| LabelsError {
            line: k + 1,
            reason,
        };
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let last = names
                .last_mut()
                .ok_or_else(|| err("continuation line before the first entry".into()))?;
            last.push(' ');
            last.push_str(line.trim());
            continue;
        }
        let (index, name) = line
            .split_once(':')
            .ok_or_else(|| err(format!("expected `index: name`, found {line:?}")))?;
        let index: usize = index
            .trim()
            .parse()
            .map_err(|_| err(format!("bad index {:?}", index.trim())))?;
        if index != names.len() {
            return Err(err(format!(
                "index {index} out of order (expected {})",
                names.len()
            )));
        }
        names.push(name.trim().to_string());
    }
    Ok(names)
}

/// The 1008 labels (full synonym lists), parsed once.
pub fn labels() -> &'static [String] {
    static LABELS: OnceLock<Vec<String>> = OnceLock::new();
    LABELS.get_or_init(|| {
        parse_labels(LABELS_YML).expect("the shipped label file is a valid index: name mapping")
    })
}

/// The first synonym of class `index`, capitalised (as the paper's plots label bars), e.g.
/// `1` → "Kit fox". Indices beyond the table give `class <index>`.
pub fn short_label(index: usize) -> String {
    match labels().get(index) {
        Some(full) => {
            let first = full.split(',').next().unwrap_or(full).trim();
            let mut c = first.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => format!("class {index}"),
            }
        }
        None => format!("class {index}"),
    }
}

/// True for the placeholder outputs (0 and 1001..=1007) that are not ImageNet classes.
pub fn is_placeholder(index: usize) -> bool {
    index == 0 || (1001..NUM_CLASSES).contains(&index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_has_1008_labels_in_graph_order() {
        let l = labels();
        assert_eq!(l.len(), NUM_CLASSES);
        assert_eq!(l[0], "empty1");
        assert_eq!(l[1], "kit fox, Vulpes macrotis");
        assert_eq!(l[1000], "dumbbell");
        assert_eq!(l[1007], "empty8");
        assert_eq!(short_label(1), "Kit fox");
        assert!(is_placeholder(0) && is_placeholder(1001) && !is_placeholder(1000));
        // A continued entry is folded into one line.
        assert!(l.iter().all(|s| !s.contains('\n') && !s.contains("  ")));
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(parse_labels("1: a\n").is_err());
        assert!(parse_labels("  dangling\n").is_err());
        assert!(parse_labels("0 a\n").is_err());
    }
}
