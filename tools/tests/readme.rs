//! The README's CLI reference must match the binary's `--help` texts.
//! Regenerate it with `scripts/readme_cli_reference.sh target/debug/fidlab`.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fidlab"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn readme_cli_reference_matches_help() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let top = help(&[]);
    let mut pages = vec![(String::from("fidlab"), top.clone())];
    let commands: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect();
    for c in &commands {
        pages.push((format!("fidlab {c}"), help(&[c])));
    }
    pages.push(("fidlab stats merge".into(), help(&["stats", "merge"])));
    for (name, text) in pages {
        assert!(
            readme.contains(text.trim_end()),
            "README.md's reference for `{name}` is out of date; regenerate it with scripts/readme_cli_reference.sh"
        );
    }
}
