//! Parity of `burn_models::inception` with the trusted references on identical seeded weights.
//!
//! The fixtures in `tests/fixtures/inception/` hold four photographs (299², 256², 256², 211×173) and the outputs of
//! torch-fidelity 0.4.0 (`tf` preprocessing) and pytorch-fid 0.3.0 (`pytorch-fid` preprocessing) on weights from
//! `burn_models::inception::seeded_state_dict(PARITY_SEED)`. Regenerate them with (pip line in its header):
//!
//! ```text
//! python scripts/inception_reference.py --photos /tmp/skimg/skimage/data
//! ```
//!
//! Tolerance: 1e-4 of the largest reference value, per output. The two references themselves agree to about
//! 5e-5 relative (REFERENCE.md); dropping one architectural quirk moves pool3 by 5–30 % of its maximum and
//! switching preprocessing by 0.5 % (`reference.json`, `checks`), so the tolerance separates right from wrong by
//! two orders of magnitude.
//!
//! Set `FIDLAB_TEST_DEVICE=wgpu:cpu` (build with `--features wgpu`) to run the same checks on wgpu.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use burn::tensor::{Device, Tensor, TensorData};
use burn_models::device::test_device;
use burn_models::inception::weights::{self, StateDict};
use burn_models::inception::{
    Inception, InceptionConfig, InceptionOutput, PARITY_SEED, Preprocess, WeightsError,
    images_from_u8, seeded_state_dict,
};

/// Relative tolerance of pool3 / logits / mixed_10 against the reference (see the module docs).
const TOL: f32 = 1e-4;
/// Batch 1 against batch N: same arithmetic up to summation order in the convolutions.
const BATCH_TOL: f32 = 1e-5;

const IMAGES: [&str; 4] = [
    "astronaut_299.png",
    "chelsea_256.png",
    "coffee_256.png",
    "rocket_211x173.png",
];
/// Channels of `Mixed_7c` stored in the fixtures (4 per branch).
const MIXED_10_CHANNELS: [usize; 16] = [
    0, 1, 2, 3, 320, 321, 322, 323, 1088, 1089, 1090, 1091, 1856, 1857, 1858, 1859,
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/inception")
}

/// An RGB fixture as NCHW u8 bytes and its `[1, 3, H, W]` shape.
fn image(name: &str) -> (Vec<u8>, [usize; 4]) {
    let img = image::open(fixtures().join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .to_rgb8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let hwc = img.into_raw();
    let mut chw = vec![0u8; 3 * h * w];
    for (i, px) in hwc.chunks_exact(3).enumerate() {
        for c in 0..3 {
            chw[c * h * w + i] = px[c];
        }
    }
    (chw, [1, 3, h, w])
}

/// A reference array from the fixtures: values and shape.
fn npy(name: &str) -> (Vec<f32>, Vec<usize>) {
    let file = std::fs::File::open(fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let npy = npyz::NpyFile::new(std::io::BufReader::new(file)).unwrap();
    let shape = npy.shape().iter().map(|&d| d as usize).collect();
    (npy.into_vec::<f32>().unwrap(), shape)
}

fn seeded() -> &'static StateDict {
    static SD: OnceLock<StateDict> = OnceLock::new();
    SD.get_or_init(|| seeded_state_dict(PARITY_SEED))
}

/// The seeded network on the test device, built once per test binary.
fn net() -> &'static Inception {
    static NET: OnceLock<Inception> = OnceLock::new();
    NET.get_or_init(|| {
        Inception::from_state_dict(seeded(), &test_device()).expect("seeded weights fit")
    })
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec_as::<f32>().unwrap()
}

/// Largest absolute difference and largest reference magnitude.
fn compare(ours: &[f32], reference: &[f32]) -> (f32, f32) {
    assert_eq!(ours.len(), reference.len());
    let diff = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    let scale = reference.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    (diff, scale)
}

fn assert_close(what: &str, ours: &[f32], reference: &[f32], rel: f32) {
    let (diff, scale) = compare(ours, reference);
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    eprintln!(
        "{what}: max |diff| {diff:.3e} = {:.2e} of max |ref| {scale:.3}",
        diff / scale
    );
    assert!(
        diff <= rel * scale,
        "{what}: max |diff| {diff:e} > {rel:e} × {scale}; first values ours {:?} ref {:?}; norms {} vs {}",
        &ours[..4],
        &reference[..4],
        norm(ours),
        norm(reference)
    );
}

/// Runs each fixture image alone (their sizes differ) through `net`.
fn run_all(net: &Inception, preprocess: Preprocess) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (mut pool3, mut logits, mut mixed) = (vec![], vec![], vec![]);
    let device = test_device();
    for name in IMAGES {
        let (bytes, shape) = image(name);
        let images = images_from_u8(&bytes, shape, &device).unwrap();
        let m = net.mixed_10(images, preprocess);
        let [_, _, h, w] = m.dims();
        assert_eq!(
            [h, w],
            [8, 8],
            "{name}: mixed_10 is 8×8 after the resize to 299"
        );
        let m_values = values(m.clone());
        for &c in &MIXED_10_CHANNELS {
            mixed.extend_from_slice(&m_values[c * 64..(c + 1) * 64]);
        }
        let out = net.head(m);
        pool3.extend(values(out.pool3));
        logits.extend(values(out.logits));
    }
    (pool3, logits, mixed)
}

fn check_against(prefix: &str, preprocess: Preprocess) {
    let (pool3, logits, mixed) = run_all(net(), preprocess);
    let (ref_pool3, shape) = npy(&format!("{prefix}_pool3.npy"));
    assert_eq!(shape, vec![4, 2048]);
    let (ref_logits, shape) = npy(&format!("{prefix}_logits.npy"));
    assert_eq!(shape, vec![4, 1008]);
    let (ref_mixed, shape) = npy(&format!("{prefix}_mixed10.npy"));
    assert_eq!(shape, vec![4, 16, 8, 8]);
    assert_close(&format!("{prefix} pool3"), &pool3, &ref_pool3, TOL);
    assert_close(&format!("{prefix} logits"), &logits, &ref_logits, TOL);
    assert_close(
        &format!("{prefix} mixed_10[channels]"),
        &mixed,
        &ref_mixed,
        TOL,
    );
    // Per-image views: each row on its own, so one good image cannot hide a bad one.
    for (i, name) in IMAGES.iter().enumerate() {
        let row = i * 2048..(i + 1) * 2048;
        assert_close(
            &format!("{prefix} pool3 {name}"),
            &pool3[row.clone()],
            &ref_pool3[row],
            TOL,
        );
    }
}

/// The parity checks run where `FIDLAB_TEST_DEVICE` says: the network's parameters and its outputs live on that
/// device (with `wgpu:cpu`, a wgpu device on Mesa's lavapipe), not on a CPU fallback.
#[test]
fn network_and_outputs_live_on_the_test_device() {
    let device = test_device();
    let name = format!("{device:?}");
    eprintln!("test device: {name}");
    assert_eq!(net().device(), device);
    let (bytes, shape) = image("chelsea_256.png");
    let out = net().forward_u8(&bytes, shape, Preprocess::Tf).unwrap();
    assert_eq!(out.pool3.device(), device);
    let backend = match std::env::var("FIDLAB_TEST_DEVICE") {
        Ok(spec) => spec.split(':').next().unwrap().to_ascii_lowercase(),
        Err(_) => "flex".to_string(),
    };
    let backend = if backend == "cpu" {
        "flex".to_string()
    } else {
        backend
    };
    assert!(
        name.to_ascii_lowercase().contains(&backend),
        "FIDLAB_TEST_DEVICE asks for {backend}, the test device is {name}"
    );
}

/// `tf` preprocessing (TF1 bilinear, `(x − 128)/128`) against torch-fidelity's `FeatureExtractorInceptionV3`.
#[test]
fn tf_preprocessing_matches_torch_fidelity() {
    check_against("tf", Preprocess::Tf);
}

/// `pytorch-fid` preprocessing (half-pixel bilinear, `2x − 1`) against pytorch-fid's `InceptionV3`.
#[test]
fn pytorch_fid_preprocessing_matches_pytorch_fid() {
    check_against("pytorch-fid", Preprocess::PytorchFid);
}

/// Batch 1 and batch 4 give the same features (to 1e-5 relative).
#[test]
fn batch_of_four_equals_four_batches_of_one() {
    let order = [
        "chelsea_256.png",
        "coffee_256.png",
        "coffee_256.png",
        "chelsea_256.png",
    ];
    let mut all = vec![];
    let mut singles: Vec<InceptionOutput> = vec![];
    for name in order {
        let (bytes, shape) = image(name);
        all.extend_from_slice(&bytes);
        singles.push(net().forward_u8(&bytes, shape, Preprocess::Tf).unwrap());
    }
    // The batch goes in as u8 TensorData, as the dataset code yields it.
    let batch = net()
        .forward_data(TensorData::new(all, [4, 3, 256, 256]), Preprocess::Tf)
        .unwrap();
    let pool3 = values(batch.pool3);
    let logits = values(batch.logits);
    for (i, single) in singles.into_iter().enumerate() {
        let p = values(single.pool3);
        let l = values(single.logits);
        assert_close(
            &format!("batch row {i} pool3"),
            &pool3[i * 2048..(i + 1) * 2048],
            &p,
            BATCH_TOL,
        );
        assert_close(
            &format!("batch row {i} logits"),
            &logits[i * 1008..(i + 1) * 1008],
            &l,
            BATCH_TOL,
        );
    }
}

/// The fixtures catch each quirk: the torchvision variants (average pools counting the padding, an average pool
/// in the last block) land far outside the tolerance on the same weights.
#[test]
fn dropping_a_quirk_breaks_parity() {
    let device = test_device();
    let (bytes, shape) = image("chelsea_256.png");
    let (reference, _) = npy("tf_pool3.npy");
    let reference = &reference[2048..2 * 2048];
    let variants = [
        (
            "count_include_pad",
            InceptionConfig::fid_tf_2015().with_avg_pool_count_include_pad(true),
        ),
        (
            "avg pool in Mixed_7c",
            InceptionConfig::fid_tf_2015().with_last_block_max_pool(false),
        ),
    ];
    for (what, config) in variants {
        let net = Inception::from_state_dict_with(&config, seeded(), &device).unwrap();
        let out = net.forward_u8(&bytes, shape, Preprocess::Tf).unwrap();
        let (diff, scale) = compare(&values(out.pool3), reference);
        eprintln!("{what}: pool3 moves by {:.2e} of its maximum", diff / scale);
        assert!(
            diff > 20.0 * TOL * scale,
            "{what}: {diff} vs scale {scale}: the fixture would not catch it"
        );
    }
    // And the other preprocessing is distinguishable as well.
    let (tf, _) = npy("tf_pool3.npy");
    let (pt, _) = npy("pytorch-fid_pool3.npy");
    let (diff, scale) = compare(&pt[2048..4096], &tf[2048..4096]);
    assert!(
        diff > 20.0 * TOL * scale,
        "preprocessings differ by only {diff}"
    );
}

/// `head` is the tail of `forward_features`, and gradients flow from the logits back to the mixed_10 activation.
#[test]
fn split_forward_is_differentiable_at_mixed_10() {
    let device = test_device().autodiff();
    let net = Inception::from_state_dict(seeded(), &device).unwrap();
    let a = Tensor::<4>::random(
        [2, 2048, 8, 8],
        burn::tensor::Distribution::Uniform(0.0, 1.0),
        &device,
    )
    .require_grad();
    let out = net.head(a.clone());
    let grads = out.logits.sum().backward();
    let g = a.grad(&grads).expect("gradient at mixed_10");
    assert_eq!(g.dims(), [2, 2048, 8, 8]);
    // d(Σ logits)/d a[b, c, y, x] = Σ_k W[k, c] / 64.
    let w = seeded()["fc.weight"].try_to_vec::<f32>().unwrap();
    let expected: Vec<f32> = (0..2048)
        .map(|c| (0..1008).map(|k| w[k * 2048 + c]).sum::<f32>() / 64.0)
        .collect();
    let g = values(g);
    for c in [0, 1, 777, 2047] {
        let got = g[c * 64 + 5];
        assert!(
            (got - expected[c]).abs() <= 1e-5 * (1.0 + expected[c].abs()),
            "channel {c}: {got} vs {}",
            expected[c]
        );
    }
}

/// The tiny `.pth` and `.safetensors` fixtures (the stem layer only) read back as the seeded values, and loading
/// them as a whole network names what is missing.
#[test]
fn pth_and_safetensors_readers_agree_with_seeded_values() {
    for file in ["stem_state_dict.pth", "stem_state_dict.safetensors"] {
        let sd = weights::read_state_dict(&fixtures().join(file)).unwrap();
        let floats: Vec<&String> = sd
            .keys()
            .filter(|k| !k.ends_with("num_batches_tracked"))
            .collect();
        assert_eq!(floats.len(), 5, "{file}: {:?}", sd.keys());
        for name in floats {
            let data = &sd[name];
            let expected = weights::seeded_tensor(name, &data.shape().to_vec(), PARITY_SEED);
            assert_eq!(
                data.try_to_vec::<f32>().unwrap(),
                expected,
                "{file}: {name}"
            );
            assert_eq!(*data, seeded()[name], "{file}: {name}");
        }
        let err = Inception::from_state_dict(&sd, &Device::flex()).unwrap_err();
        let WeightsError::Keys(m) = &err else {
            panic!("{file}: {err}")
        };
        assert_eq!(m.missing.len(), 94 * 5 + 2 - 5, "{file}");
        assert!(
            m.unexpected.is_empty() && m.misshaped.is_empty(),
            "{file}: {err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("467 missing") && text.contains("Conv2d_2a_3x3.bn.bias"),
            "{text}"
        );
    }
}

/// Tensors under NVIDIA's TF-2015 names (`layers.conv.weight`, `.beta`, `.mean`, `.var`) are renamed to torchvision's,
/// with the batch-norm scale the TF graph lacks set to one.
#[test]
fn nvidia_names_are_remapped_on_read() {
    let sd = weights::read_state_dict(&fixtures().join("nvidia_stem_state_dict.pth")).unwrap();
    let names: Vec<&str> = sd.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "Conv2d_1a_3x3.bn.bias",
            "Conv2d_1a_3x3.bn.running_mean",
            "Conv2d_1a_3x3.bn.running_var",
            "Conv2d_1a_3x3.bn.weight",
            "Conv2d_1a_3x3.conv.weight"
        ]
    );
    assert_eq!(
        sd["Conv2d_1a_3x3.bn.weight"].try_to_vec::<f32>().unwrap(),
        vec![1.0; 32]
    );
    for name in ["Conv2d_1a_3x3.conv.weight", "Conv2d_1a_3x3.bn.running_var"] {
        assert_eq!(sd[name], seeded()[name], "{name}");
    }
}

/// The provenance digest depends on the tensors only, not on the route they took.
#[test]
fn provenance_digest_is_format_independent() {
    let digest = net().provenance().unwrap().tensors_sha256.clone();
    assert_eq!(digest, weights::state_dict_sha256(seeded()).unwrap());
    let mut other = seeded().clone();
    let v = other["fc.bias"]
        .try_to_vec::<f32>()
        .unwrap()
        .into_iter()
        .map(|x| x + 1.0)
        .collect::<Vec<_>>();
    other.insert("fc.bias".into(), TensorData::new(v, [1008]));
    assert_ne!(digest, weights::state_dict_sha256(&other).unwrap());
}

/// With pytorch-fid's real weights: the features equal pytorch-fid's on the fixture photographs, and the cat is a cat.
///
/// Needs the 95 MB `pt_inception-2015-12-05-6726825d.pth` (see `InceptionWeights::PytorchFid` for URL and SHA-256).
/// Produce the reference outputs with pytorch-fid / torch-fidelity and run the test:
///
/// ```text
/// python scripts/inception_reference.py --real-weights pt_inception-2015-12-05-6726825d.pth --out /tmp/inception-real
/// FIDLAB_INCEPTION_WEIGHTS=pt_inception-2015-12-05-6726825d.pth FIDLAB_INCEPTION_REAL_REFERENCE=/tmp/inception-real \
///     cargo test -p burn-models --test inception_parity -- --ignored --nocapture
/// ```
///
/// Without `FIDLAB_INCEPTION_REAL_REFERENCE` only the file checks and the class check run.
#[test]
#[ignore = "needs pt_inception-2015-12-05-6726825d.pth; see the doc comment"]
fn real_weights_match_pytorch_fid() {
    let path = std::env::var_os("FIDLAB_INCEPTION_WEIGHTS")
        .expect("set FIDLAB_INCEPTION_WEIGHTS to the .pth file");
    let device = test_device();
    let net = Inception::load(PathBuf::from(path), &device).unwrap();
    let provenance = net.provenance().unwrap();
    eprintln!("{provenance:?}");
    assert_eq!(
        provenance.file_sha256.as_deref(),
        Some(burn_models::inception::InceptionWeights::DEFAULT.sha256())
    );

    // chelsea is a tabby cat: TF-2015 classes 8 (Egyptian cat), 55 (tiger cat), 174 (tabby).
    let (bytes, shape) = image("chelsea_256.png");
    let logits = values(
        net.forward_u8(&bytes, shape, Preprocess::Tf)
            .unwrap()
            .logits,
    );
    let top = (0..logits.len())
        .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
        .unwrap();
    assert!(
        [8, 55, 174].contains(&top),
        "chelsea's top-1 class is {top}"
    );

    if let Some(dir) = std::env::var_os("FIDLAB_INCEPTION_REAL_REFERENCE") {
        for (prefix, preprocess) in [
            ("tf", Preprocess::Tf),
            ("pytorch-fid", Preprocess::PytorchFid),
        ] {
            let (pool3, logits, _) = run_all(&net, preprocess);
            for (what, ours) in [("pool3", pool3), ("logits", logits)] {
                let file =
                    std::fs::File::open(Path::new(&dir).join(format!("{prefix}_{what}.npy")))
                        .unwrap();
                let reference = npyz::NpyFile::new(std::io::BufReader::new(file))
                    .unwrap()
                    .into_vec::<f32>()
                    .unwrap();
                assert_close(&format!("real {prefix} {what}"), &ours, &reference, TOL);
            }
        }
    }
}
