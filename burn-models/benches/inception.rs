//! Burn side of the Inception CPU benchmark (`scripts/bench_inception.sh` runs it against onnxruntime in the same
//! run). Not a timed test: loads once, warms up, prints the median.
//!
//! ```text
//! cargo bench -p burn-models --bench inception -- --batch 16 --reps 5            # throughput, one JSON line
//! cargo bench -p burn-models --bench inception -- --batch 16 --profile           # op-by-op breakdown
//! ```
//!
//! `FIDLAB_BENCH_DEVICE` picks the device (`cpu` = flex by default; same syntax as `--device`).

use std::time::Instant;

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Distribution, Tensor};
use burn_models::device::parse_device;
use burn_models::inception::{BasicConv2d, Inception, PARITY_SEED, seeded_state_dict};

struct Args {
    batch: usize,
    reps: usize,
    warmup: usize,
    profile: bool,
    lowering: bool,
}

fn args() -> Args {
    let mut a = Args {
        batch: 16,
        reps: 5,
        warmup: 1,
        profile: false,
        lowering: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> usize {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--batch" => a.batch = num("--batch"),
            "--reps" => a.reps = num("--reps"),
            "--warmup" => a.warmup = num("--warmup"),
            "--profile" => a.profile = true,
            "--lowering" => a.lowering = true,
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `f` (which must synchronise, e.g. by reading data back) `reps` times after `warmup` runs.
fn time(warmup: usize, reps: usize, mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..warmup {
        f();
    }
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect()
}

fn sync<const D: usize>(t: Tensor<D>) {
    let _ = t.into_data();
}

fn main() {
    let a = args();
    let device = match std::env::var("FIDLAB_BENCH_DEVICE") {
        Ok(spec) => parse_device(&spec).expect("FIDLAB_BENCH_DEVICE"),
        Err(_) => Device::flex(),
    };
    let net = Inception::from_state_dict(&seeded_state_dict(PARITY_SEED), &device)
        .expect("seeded weights");
    let x = Tensor::<4>::random(
        [a.batch, 3, 299, 299],
        Distribution::Uniform(-1.0, 1.0),
        &device,
    );

    if a.lowering {
        lowering(&net, a.batch, a.reps.max(1));
        return;
    }
    if a.profile {
        profile(&net, &x, a.reps.max(1));
        return;
    }
    let mut seconds = time(a.warmup, a.reps, || {
        let out = net.head(net.mixed_10_normalized(x.clone()));
        sync(out.logits);
    });
    let med = median(&mut seconds.clone());
    seconds
        .iter_mut()
        .for_each(|s| *s = (*s * 1e4).round() / 1e4);
    println!(
        "{{\"backend\": \"burn-flex\", \"batch\": {}, \"threads\": {}, \"img_per_s_median\": {:.3}, \"seconds\": {:?}}}",
        a.batch,
        rayon_threads(),
        a.batch as f64 / med,
        seconds
    );
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Every conv layer with the spatial size of its input at 299².
fn layers(net: &Inception) -> Vec<(String, &BasicConv2d, usize)> {
    let mut v: Vec<(String, &BasicConv2d, usize)> = vec![
        ("Conv2d_1a_3x3".into(), &net.Conv2d_1a_3x3, 299),
        ("Conv2d_2a_3x3".into(), &net.Conv2d_2a_3x3, 149),
        ("Conv2d_2b_3x3".into(), &net.Conv2d_2b_3x3, 147),
        ("Conv2d_3b_1x1".into(), &net.Conv2d_3b_1x1, 73),
        ("Conv2d_4a_3x3".into(), &net.Conv2d_4a_3x3, 73),
    ];
    for (name, b) in [
        ("Mixed_5b", &net.Mixed_5b),
        ("Mixed_5c", &net.Mixed_5c),
        ("Mixed_5d", &net.Mixed_5d),
    ] {
        for (n, l) in [
            ("branch1x1", &b.branch1x1),
            ("branch5x5_1", &b.branch5x5_1),
            ("branch5x5_2", &b.branch5x5_2),
            ("branch3x3dbl_1", &b.branch3x3dbl_1),
            ("branch3x3dbl_2", &b.branch3x3dbl_2),
            ("branch3x3dbl_3", &b.branch3x3dbl_3),
            ("branch_pool", &b.branch_pool),
        ] {
            v.push((format!("{name}.{n}"), l, 35));
        }
    }
    let b = &net.Mixed_6a;
    for (n, l) in [
        ("branch3x3", &b.branch3x3),
        ("branch3x3dbl_1", &b.branch3x3dbl_1),
        ("branch3x3dbl_2", &b.branch3x3dbl_2),
        ("branch3x3dbl_3", &b.branch3x3dbl_3),
    ] {
        v.push((format!("Mixed_6a.{n}"), l, 35));
    }
    for (name, b) in [
        ("Mixed_6b", &net.Mixed_6b),
        ("Mixed_6c", &net.Mixed_6c),
        ("Mixed_6d", &net.Mixed_6d),
        ("Mixed_6e", &net.Mixed_6e),
    ] {
        for (n, l) in [
            ("branch1x1", &b.branch1x1),
            ("branch7x7_1", &b.branch7x7_1),
            ("branch7x7_2", &b.branch7x7_2),
            ("branch7x7_3", &b.branch7x7_3),
            ("branch7x7dbl_1", &b.branch7x7dbl_1),
            ("branch7x7dbl_2", &b.branch7x7dbl_2),
            ("branch7x7dbl_3", &b.branch7x7dbl_3),
            ("branch7x7dbl_4", &b.branch7x7dbl_4),
            ("branch7x7dbl_5", &b.branch7x7dbl_5),
            ("branch_pool", &b.branch_pool),
        ] {
            v.push((format!("{name}.{n}"), l, 17));
        }
    }
    let b = &net.Mixed_7a;
    for (n, l) in [
        ("branch3x3_1", &b.branch3x3_1),
        ("branch3x3_2", &b.branch3x3_2),
        ("branch7x7x3_1", &b.branch7x7x3_1),
        ("branch7x7x3_2", &b.branch7x7x3_2),
        ("branch7x7x3_3", &b.branch7x7x3_3),
        ("branch7x7x3_4", &b.branch7x7x3_4),
    ] {
        v.push((format!("Mixed_7a.{n}"), l, 17));
    }
    for (name, b) in [("Mixed_7b", &net.Mixed_7b), ("Mixed_7c", &net.Mixed_7c)] {
        for (n, l) in [
            ("branch1x1", &b.branch1x1),
            ("branch3x3_1", &b.branch3x3_1),
            ("branch3x3_2a", &b.branch3x3_2a),
            ("branch3x3_2b", &b.branch3x3_2b),
            ("branch3x3dbl_1", &b.branch3x3dbl_1),
            ("branch3x3dbl_2", &b.branch3x3dbl_2),
            ("branch3x3dbl_3a", &b.branch3x3dbl_3a),
            ("branch3x3dbl_3b", &b.branch3x3dbl_3b),
            ("branch_pool", &b.branch_pool),
        ] {
            v.push((format!("{name}.{n}"), l, 8));
        }
    }
    v
}

/// Op-by-op breakdown: whole forward, each conv layer alone (conv + bias), the ReLU, the batch-norm folding, and
/// per kernel kind the achieved GMAC/s.
fn profile(net: &Inception, x: &Tensor<4>, reps: usize) {
    let device = x.device();
    let [batch, ..] = x.dims();
    let whole = median(&mut time(1, reps, || {
        sync(net.head(net.mixed_10_normalized(x.clone())).logits)
    }));
    println!(
        "whole forward, batch {batch}: {whole:.3} s ({:.2} img/s)",
        batch as f64 / whole
    );

    let mut by_kind: std::collections::BTreeMap<String, (f64, f64)> = Default::default();
    let (mut conv_total, mut relu_total, mut fold_total, mut macs_total) = (0.0, 0.0, 0.0, 0.0);
    println!(
        "{:<34} {:>14} {:>9} {:>9} {:>8}",
        "layer", "kernel", "ms conv", "ms relu", "GMAC/s"
    );
    for (name, layer, size) in layers(net) {
        let [cout, cin, kh, kw] = layer.conv.weight.val().dims();
        let input = Tensor::<4>::random(
            [batch, cin, size, size],
            Distribution::Uniform(0.0, 1.0),
            &device,
        );
        let (scale, shift) = layer.bn.scale_shift();
        let weight = layer.conv.weight.val() * scale.reshape([cout, 1, 1, 1]);
        let [ph, pw] = match layer.conv.padding {
            burn::nn::PaddingConfig2d::Explicit(t, l, _, _) => [t, l],
            _ => [0, 0],
        };
        let options = ConvOptions::new(layer.conv.stride, [ph, pw], [1, 1], 1);
        let out = conv2d(
            input.clone(),
            weight.clone(),
            Some(shift.clone()),
            options.clone(),
        );
        let [_, _, oh, ow] = out.dims();
        let t_conv = median(&mut time(1, reps, || {
            sync(conv2d(
                input.clone(),
                weight.clone(),
                Some(shift.clone()),
                options.clone(),
            ))
        }));
        let t_relu = median(&mut time(1, reps, || {
            sync(burn::tensor::activation::relu(out.clone()))
        }));
        let t_fold = median(&mut time(1, reps, || {
            let (s, b) = layer.bn.scale_shift();
            sync(layer.conv.weight.val() * s.reshape([cout, 1, 1, 1]));
            sync(b);
        }));
        let macs = (batch * cout * oh * ow * cin * kh * kw) as f64;
        let kind = format!(
            "{kh}x{kw}{}",
            if layer.conv.stride[0] == 2 { " s2" } else { "" }
        );
        println!(
            "{name:<34} {:>14} {:>9.1} {:>9.1} {:>8.1}",
            format!("{kind} {cin}->{cout}"),
            t_conv * 1e3,
            t_relu * 1e3,
            macs / t_conv / 1e9
        );
        let e = by_kind.entry(kind).or_default();
        e.0 += t_conv;
        e.1 += macs;
        conv_total += t_conv;
        relu_total += t_relu;
        fold_total += t_fold;
        macs_total += macs;
    }
    println!("\nper kernel kind:");
    for (kind, (t, macs)) in &by_kind {
        println!(
            "  {kind:<8} {:>8.1} ms  {:>6.1} GMAC/s  {:>5.1} % of conv time",
            t * 1e3,
            macs / t / 1e9,
            100.0 * t / conv_total
        );
    }
    println!(
        "\nconv (with bias) {:.3} s = {:.0} % of the forward, {:.1} GMAC/s over {:.1} GMAC; relu {:.3} s; bn folding {:.3} s; rest (pools, concat, head) {:.3} s",
        conv_total,
        100.0 * conv_total / whole,
        macs_total / conv_total / 1e9,
        macs_total / 1e9,
        relu_total,
        fold_total,
        whole - conv_total - relu_total - fold_total
    );
}

/// The same convolution three ways: Burn's `conv2d`, and lowered onto matmul (1×1: a batched matmul with the
/// weight broadcast; k×k: `unfold4d` (im2col) then a batched matmul).
fn lowering(net: &Inception, batch: usize, reps: usize) {
    use burn::tensor::module::unfold4d;
    use burn::tensor::ops::UnfoldOptions;
    let picks = ["Conv2d_2b_3x3", "Conv2d_4a_3x3", "Mixed_5b.branch3x3dbl_3", "Mixed_6e.branch7x7dbl_3", "Mixed_6e.branch1x1", "Mixed_7c.branch3x3dbl_1"];
    for (name, layer, size) in layers(net).into_iter().filter(|(n, _, _)| picks.contains(&n.as_str())) {
        let device = layer.conv.weight.val().device();
        let [cout, cin, kh, kw] = layer.conv.weight.val().dims();
        let x = Tensor::<4>::random([batch, cin, size, size], Distribution::Uniform(0.0, 1.0), &device);
        let w = layer.conv.weight.val();
        let [ph, pw] = match layer.conv.padding {
            burn::nn::PaddingConfig2d::Explicit(t, l, _, _) => [t, l],
            _ => [0, 0],
        };
        let stride = layer.conv.stride;
        let direct = || conv2d(x.clone(), w.clone(), None, ConvOptions::new(stride, [ph, pw], [1, 1], 1));
        let out = direct();
        let [_, _, oh, ow] = out.dims();
        let lowered = || {
            let w2 = w.clone().reshape([1, cout, cin * kh * kw]);
            let cols = if kh * kw == 1 && stride == [1, 1] {
                x.clone().reshape([batch, cin, size * size])
            } else {
                unfold4d(x.clone(), [kh, kw], UnfoldOptions::new(stride, [ph, pw], [1, 1]))
            };
            w2.matmul(cols).reshape([batch, cout, oh, ow])
        };
        let diff = (lowered() - out).abs().max().into_scalar::<f32>();
        let macs = (batch * cout * oh * ow * cin * kh * kw) as f64;
        let t_d = median(&mut time(1, reps, || sync(direct())));
        let t_l = median(&mut time(1, reps, || sync(lowered())));
        println!(
            "{name:<28} {kh}x{kw} {cin}->{cout} @{size}: conv2d {:.1} GMAC/s, matmul lowering {:.1} GMAC/s (x{:.2}), max diff {diff:.1e}",
            macs / t_d / 1e9,
            macs / t_l / 1e9,
            t_d / t_l
        );
    }
}
