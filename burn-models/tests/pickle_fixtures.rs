//! The pickle reader against fixtures written by PyTorch.
//!
//! Regenerate the fixtures with `/work/main/.venv-ref/bin/python scripts/make_pickle_fixtures.py`
//! (pip line in its header). `expected.json` holds, for each file, every pickled tensor (dtype, shape, contiguous
//! little-endian bytes in hex), the class of every module and a few attributes; comparisons are bit-exact
//! because the reader only moves bytes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use burn::tensor::{DType, TensorData};
use burn_models::pickle::{self, DataOptions, Dtype, Format, PickleError};
use serde_json::Value as Json;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pickle")
}

fn expected() -> BTreeMap<String, Json> {
    let text = std::fs::read_to_string(dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn fixture_names() -> Vec<String> {
    expected().keys().cloned().collect()
}

#[test]
fn every_tensor_bit_exact_in_every_fixture() {
    for (file, exp) in expected() {
        let ckpt = pickle::load_file(dir().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got = ckpt.root.flat_tensors();
        let want = exp["tensors"].as_object().expect("tensors");
        let got_names: Vec<&String> = got.keys().collect();
        let want_names: Vec<&String> = want.keys().collect();
        assert_eq!(got_names, want_names, "{file}: tensor names");
        for (name, w) in want {
            let t = got[name];
            assert_eq!(
                t.dtype.name(),
                w["dtype"].as_str().unwrap(),
                "{file}: {name} dtype"
            );
            let shape: Vec<usize> = w["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(t.shape, shape, "{file}: {name} shape");
            let bytes = t.contiguous_bytes(name, 1 << 20).unwrap();
            assert_eq!(
                bytes,
                unhex(w["hex"].as_str().unwrap()),
                "{file}: {name} bytes"
            );
        }
        eprintln!(
            "{file}: {} tensors bit-exact ({})",
            want.len(),
            ckpt.format.name()
        );
    }
}

#[test]
fn class_names_and_attributes() {
    for (file, exp) in expected() {
        let ckpt = pickle::load_file(dir().join(&file)).unwrap();
        let classes = ckpt.root.flat_classes();
        for (path, want) in exp["classes"].as_object().unwrap() {
            let got = classes
                .get(path)
                .unwrap_or_else(|| panic!("{file}: no module `{path}`"));
            let short = got.rsplit('.').next().unwrap();
            assert_eq!(
                short,
                want.as_str().unwrap(),
                "{file}: class of `{path}` ({got})"
            );
        }
        for (path, want) in exp["attributes"].as_object().unwrap() {
            let (node_path, attr) = path.rsplit_once('.').unwrap_or(("", path));
            let node = ckpt
                .root
                .find(node_path)
                .unwrap_or_else(|| panic!("{file}: no node `{node_path}`"));
            assert_eq!(
                node.attribute(attr),
                Some(want),
                "{file}: attribute `{path}`"
            );
        }
    }
}

#[test]
fn formats_persistence_and_shared_storages() {
    let load = |f: &str| pickle::load_file(dir().join(f)).unwrap();
    assert_eq!(load("persistent_dict_p4.pkl").format, Format::Pickle);
    assert_eq!(load("state_dict_legacy.pt").format, Format::LegacyTorchSave);
    assert_eq!(load("state_dict_zip.pt").format, Format::ZipTorchSave);
    assert_eq!(load("scripted.pt").format, Format::TorchScript);

    let ckpt = load("persistent_dict_p3.pkl");
    let (key, g) = ckpt.network(None).unwrap();
    assert_eq!(key, "G_ema");
    assert_eq!(g.class_name, "Generator");
    assert!(g.module_src.as_deref().unwrap().contains("never executes"));
    let t = g.flat_tensors();
    assert!(t["mapping.fc0.weight"].parameter && !t["mapping.w_avg"].parameter);
    assert!(!t["synthesis.b4.transposed"].is_contiguous());
    assert_eq!(t["synthesis.b4.offset_view"].offset, 4);

    for f in ["state_dict_zip.pt", "state_dict_legacy.pt"] {
        let ckpt = load(f);
        let t = ckpt.root.flat_tensors();
        assert_eq!(t["a.weight"].storage_key, t["a.t"].storage_key, "{f}");
        assert_eq!(t["a.weight"].storage_key, t["a.row"].storage_key, "{f}");
        assert_eq!(t["a.row"].offset, 12, "{f}");
    }
    let missing = load("state_dict_zip.pt")
        .network(Some("G_ema"))
        .unwrap_err();
    assert!(
        matches!(missing, PickleError::MissingKey { .. }),
        "{missing}"
    );
}

#[test]
fn tensor_data_conversion() {
    let ckpt = pickle::load_file(dir().join("persistent_dict_p4.pkl")).unwrap();
    let (_, g) = ckpt.network(Some("G_ema.synthesis.b4")).unwrap();
    let native = g.tensor_data(&DataOptions::default()).unwrap();
    let wide = g
        .tensor_data(&DataOptions {
            half_to_f32: true,
            ..DataOptions::default()
        })
        .unwrap();
    let views = g.flat_tensors();
    for (name, t) in &views {
        let (n, w) = (&native[name], &wide[name]);
        assert_eq!(n.shape().as_slice(), t.shape.as_slice(), "{name}");
        let expected_native = match t.dtype {
            Dtype::F16 => DType::F16,
            Dtype::BF16 => DType::BF16,
            Dtype::F32 => DType::F32,
            Dtype::F64 => DType::F64,
            Dtype::I64 => DType::I64,
            Dtype::U8 => DType::U8,
            Dtype::Bool => n.dtype(), // burn's bool storage
            other => panic!("unexpected {other}"),
        };
        assert_eq!(n.dtype(), expected_native, "{name}");
        if matches!(t.dtype, Dtype::F16 | Dtype::BF16) {
            assert_eq!(w.dtype(), DType::F32, "{name}");
            // Widening is exact: converting back gives the same bits.
            let back: Vec<f32> = w.try_to_vec().unwrap();
            let again = match t.dtype {
                Dtype::F16 => TensorData::new(
                    back.iter()
                        .map(|&x| burn::tensor::f16::from_f32(x))
                        .collect(),
                    t.shape.clone(),
                ),
                _ => TensorData::new(
                    back.iter()
                        .map(|&x| burn::tensor::bf16::from_f32(x))
                        .collect(),
                    t.shape.clone(),
                ),
            };
            assert_eq!(&again, n, "{name}");
        }
    }
    let weights = ckpt.network_weights(None, &DataOptions::default()).unwrap();
    assert_eq!(
        (weights.key.as_str(), weights.class_name.as_str()),
        ("G_ema", "Generator")
    );
    assert_eq!(weights.attributes["z_dim"], 4);
    let want: Vec<String> = expected()["persistent_dict_p4.pkl"]["tensors"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|k| k.strip_prefix("G_ema.").map(str::to_owned))
        .collect();
    assert_eq!(weights.tensors.keys().cloned().collect::<Vec<_>>(), want);
    let flags: Vec<bool> = native["mask_bool"].try_to_vec().unwrap();
    assert_eq!(flags, [true, false, true]);
    let counts: Vec<i64> = native["counts_i64"].try_to_vec().unwrap();
    assert_eq!(counts, [-3, 0, (1 << 40) + 7]);
}

#[test]
fn not_a_pickle_is_a_clean_error() {
    for bytes in [
        &b""[..],
        b"hello world, not a pickle",
        b"\x89PNG\r\n\x1a\n",
        b"PK\x03\x04garbage",
    ] {
        let err = pickle::load_bytes(bytes.to_vec()).unwrap_err();
        assert!(!err.to_string().contains('\n'), "{err}");
    }
    assert!(matches!(
        pickle::load_bytes(b"GIF89a".to_vec()),
        Err(PickleError::NotAPickle(_))
    ));
}

/// Every prefix of every fixture, and random byte flips, must give `Ok` or `Err`, never a panic.
#[test]
fn truncations_and_byte_flips_never_panic() {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut runs = 0usize;
    for file in fixture_names() {
        let bytes = std::fs::read(dir().join(&file)).unwrap();
        for len in 0..bytes.len() {
            let r = pickle::load_bytes(bytes[..len].to_vec());
            if let Ok(ckpt) = r {
                for (name, t) in ckpt.root.flat_tensors() {
                    let _ = t.contiguous_bytes(&name, 1 << 20);
                }
            }
            runs += 1;
        }
        for _ in 0..500 {
            let mut b = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % b.len() as u64) as usize;
                b[i] = match next() % 3 {
                    0 => b[i] ^ (1 << (next() % 8)),
                    1 => (next() % 256) as u8,
                    _ => [0x00, 0xff, 0x7f, 0x80][(next() % 4) as usize],
                };
            }
            if let Ok(ckpt) = pickle::load_bytes(b) {
                let _ = ckpt.root.render("root");
                for (name, t) in ckpt.root.flat_tensors() {
                    let _ = t.contiguous_bytes(&name, 1 << 20);
                }
            }
            runs += 1;
        }
    }
    eprintln!("{runs} mutated inputs read without a panic");
}
