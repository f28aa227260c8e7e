//! `fidlab inspect` and `fidlab convert` end to end, through the binary, on the PyTorch-written fixtures of
//! `scripts/make_pickle_fixtures.py`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value as Json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pickle")
}

fn expected(file: &str) -> Json {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).unwrap();
    let all: BTreeMap<String, Json> = serde_json::from_str(&text).unwrap();
    all[file].clone()
}

fn fidlab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fidlab"))
        .args(args)
        .output()
        .expect("run fidlab")
}

#[test]
fn inspect_lists_every_tensor_and_class() {
    let file = fixtures().join("persistent_dict_p4.pkl");
    let out = fidlab(&["inspect", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let exp = expected("persistent_dict_p4.pkl");
    for (name, t) in exp["tensors"].as_object().unwrap() {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name.as_str()));
        let line = line.unwrap_or_else(|| panic!("tensor {name} not listed:\n{text}"));
        assert!(line.contains(t["dtype"].as_str().unwrap()), "{line}");
    }
    // Module headers read `name: Class` (persistent classes) or `name: module.Class`.
    let listed: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter_map(|(_, c)| c.split_whitespace().next())
        .collect();
    for class in exp["classes"].as_object().unwrap().values() {
        let class = class.as_str().unwrap();
        let dotted = format!(".{class}");
        assert!(
            listed.iter().any(|c| *c == class || c.ends_with(&dotted)),
            "class {class} not listed:\n{text}"
        );
    }
    assert!(text.contains("@z_dim = 4"), "{text}");
}

#[test]
fn convert_g_ema_writes_exactly_the_pickled_tensors() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("G.safetensors");
    let file = fixtures().join("persistent_dict_p2.pkl");
    let out = fidlab(&[
        "convert",
        file.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
        "--key",
        "G_ema",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bytes = std::fs::read(&out_path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let exp = expected("persistent_dict_p2.pkl");
    let want: BTreeMap<String, &Json> = exp["tensors"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("G_ema.").map(|k| (k.to_owned(), v)))
        .collect();
    let mut got: Vec<String> = st.names().into_iter().map(str::to_owned).collect();
    got.sort();
    assert_eq!(got, want.keys().cloned().collect::<Vec<_>>());
    for (name, w) in &want {
        let t = st.tensor(name).unwrap();
        let hex: String = t.data().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, w["hex"].as_str().unwrap(), "{name}");
        let shape: Vec<usize> = w["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(t.shape(), shape.as_slice(), "{name}");
    }
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["z_dim"], "4");
    assert_eq!(meta["__class__"], "Generator");
    let kwargs: Json = serde_json::from_str(&meta["init_kwargs"]).unwrap();
    assert_eq!(kwargs["synthesis_kwargs"]["num_fp16_res"], 4);

    // The output is never overwritten without --force.
    let again = fidlab(&[
        "convert",
        file.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert_eq!(std::fs::read(&out_path).unwrap(), bytes);
}

#[test]
fn inspect_of_a_non_pickle_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "these are not weights\n").unwrap();
    let out = fidlab(&["inspect", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("not a pickle"),
        "{err}"
    );
}
