//! Image datasets: file order, filtering, decoding rules, batching, bad files.
//!
//! The parity test compares with Pillow through fixtures written by
//! `python scripts/dataset_fixture.py` (see its header for the pip line); the other tests build
//! zips and folders in a temporary directory with the `image` and `zip` crates.

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use fid_core::dataset::{
    Dataset, DatasetError, DatasetKind, DatasetOptions, ImageBatch, ImageSize, SizePolicy,
};
use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, RgbImage, Rgba};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dataset")
}

/// A deterministic RGB pattern, different per `seed`, every channel different.
fn pattern(seed: u32, width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            ((x * 7 + y * 13 + seed * 31) % 256) as u8,
            ((x * 3 + y * 5 + seed * 17 + 60) % 256) as u8,
            ((x * 11 + y * 2 + seed * 5 + 120) % 256) as u8,
        ])
    })
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

fn png(image: impl Into<DynamicImage>) -> Vec<u8> {
    encode(&image.into(), ImageFormat::Png)
}

/// Expected CHW bytes of an RGB image.
fn chw(image: &RgbImage) -> Vec<u8> {
    (0..3)
        .flat_map(|c| image.pixels().map(move |p| p[c]))
        .collect()
}

fn write_folder(root: &Path, files: &[(&str, Vec<u8>)]) {
    for (name, bytes) in files {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

/// Members alternate between deflated and stored.
fn write_zip(path: &Path, files: &[(&str, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    for (i, (name, bytes)) in files.iter().enumerate() {
        let method = [CompressionMethod::Deflated, CompressionMethod::Stored][i % 2];
        let options = SimpleFileOptions::default().compression_method(method);
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// The same files as a folder and as a zip, in a fresh temporary directory.
fn both(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("images");
    write_folder(&folder, files);
    let zip = dir.path().join("images.zip");
    write_zip(&zip, files);
    (dir, folder, zip)
}

/// Concatenated pixels, indices and names of the whole stream.
fn stream(dataset: &Dataset, batch_size: usize) -> (Vec<u8>, Vec<usize>, Vec<String>) {
    let mut all = (Vec::new(), Vec::new(), Vec::new());
    for batch in dataset.batches(batch_size) {
        let batch = batch.unwrap();
        assert_eq!(batch.data.len(), batch.shape().iter().product::<usize>());
        assert!(batch.batch <= batch_size && batch.batch > 0);
        assert_eq!(
            (batch.indices.len(), batch.names.len()),
            (batch.batch, batch.batch)
        );
        all.0.extend(batch.data);
        all.1.extend(batch.indices);
        all.2.extend(batch.names);
    }
    all
}

fn options() -> DatasetOptions {
    DatasetOptions::default()
}

fn first_error(dataset: &Dataset, batch_size: usize) -> DatasetError {
    let mut batches = dataset.batches(batch_size);
    let error = batches.by_ref().find_map(Result::err).expect("an error");
    assert!(batches.next().is_none(), "the stream ends after an error");
    error
}

/// Pillow parity: the names come out in the order of Python's `sorted()`, non-images (`.txt`,
/// `.bmp`, a file named `.png`) are ignored, and pixels equal Pillow's: PNG exactly (RGB, L,
/// P, RGBA, LA, 1-bit, 16-bit grey), JPEG within the libjpeg-turbo / zune-jpeg difference.
#[test]
fn pillow_parity_folder_and_zip() {
    let root = fixtures();
    let names: Vec<String> = fs::read_to_string(root.join("pil_names.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let npy = npyz::NpyFile::new(fs::File::open(root.join("pil_expected.npy")).unwrap()).unwrap();
    assert_eq!(npy.shape(), &[11, 3, 20, 24]);
    let expected: Vec<u8> = npy.into_vec().unwrap();
    let plane = 3 * 20 * 24;

    let mut streams = Vec::new();
    for (path, kind) in [
        (root.join("pil"), DatasetKind::Folder),
        (root.join("pil.zip"), DatasetKind::Zip),
    ] {
        let dataset = Dataset::open(&path, options()).unwrap();
        assert_eq!(dataset.kind(), kind);
        assert_eq!(dataset.names(), names.as_slice(), "{}", path.display());
        let (data, indices, streamed_names) = stream(&dataset, 4);
        assert_eq!(indices, (0..11).collect::<Vec<_>>());
        assert_eq!(streamed_names, names);
        for (i, name) in names.iter().enumerate() {
            let ours = &data[i * plane..(i + 1) * plane];
            let theirs = &expected[i * plane..(i + 1) * plane];
            let diffs: Vec<u8> = ours
                .iter()
                .zip(theirs)
                .map(|(a, b)| a.abs_diff(*b))
                .collect();
            let max = diffs.iter().copied().max().unwrap();
            let changed = diffs.iter().filter(|&&d| d > 0).count();
            if name.to_lowercase().ends_with(".png") {
                assert_eq!(max, 0, "{name}: PNG decoding must equal Pillow's");
            } else {
                // zune-jpeg and Pillow's libjpeg-turbo round the IDCT alike but upsample 4:2:0
                // chroma differently. Measured on these fixtures: 4:4:4 and grey within 2 levels
                // on < 2 % of samples; 4:2:0 (baseline and progressive) within 5 levels on 28 %
                // of samples, mean |diff| 0.41. Tolerance: 8 levels, mean |diff| 1.
                let mean = diffs.iter().map(|&d| f64::from(d)).sum::<f64>() / plane as f64;
                eprintln!(
                    "{name}: max |ours - Pillow| = {max}, mean {mean:.3}, \
                     {changed}/{plane} samples differ"
                );
                assert!(max <= 8 && mean <= 1.0, "{name}: max {max}, mean {mean}");
            }
        }
        streams.push(data);
    }
    assert_eq!(
        streams[0], streams[1],
        "folder and zip give the same pixels"
    );
}

/// Python: `sorted(["a_.png", "a0.png", "B.png", "a.png", "a/b.png", "A.PNG", "é.jpg"])`
/// == `['A.PNG', 'B.png', 'a.png', 'a/b.png', 'a0.png', 'a_.png', 'é.jpg']`.
#[test]
fn python_sort_order_max_images_and_pixels() {
    let order = [
        "A.PNG", "B.png", "a.png", "a/b.png", "a0.png", "a_.png", "é.jpg",
    ];
    let images: Vec<RgbImage> = (0..order.len() as u32).map(|i| pattern(i, 5, 4)).collect();
    // Written in a scrambled order, with non-images in between.
    let mut files: Vec<(&str, Vec<u8>)> = [3, 0, 6, 5, 1, 4, 2]
        .iter()
        .map(|&i| {
            let bytes = if order[i].ends_with(".jpg") {
                encode(&images[i].clone().into(), ImageFormat::Jpeg)
            } else {
                png(images[i].clone())
            };
            (order[i], bytes)
        })
        .collect();
    files.push(("readme.txt", b"text".to_vec()));
    files.push(("a/meta.json", b"{}".to_vec()));
    let (_dir, folder, zip) = both(&files);
    for path in [&folder, &zip] {
        let dataset = Dataset::open(path, options()).unwrap();
        assert_eq!(dataset.names(), order);
        assert_eq!((dataset.len(), dataset.available()), (7, 7));
        let (data, _, _) = stream(&dataset, 3);
        let png_part: Vec<u8> = images[..6].iter().flat_map(chw).collect();
        assert_eq!(
            &data[..png_part.len()],
            png_part,
            "PNG pixels, CHW, in order"
        );

        let first3 = DatasetOptions {
            max_images: Some(3),
            ..options()
        };
        let dataset = Dataset::open(path, first3).unwrap();
        assert_eq!(dataset.names(), &order[..3]);
        assert_eq!((dataset.len(), dataset.available()), (3, 7));
        let (data, indices, _) = stream(&dataset, 2);
        assert_eq!(indices, [0, 1, 2]);
        assert_eq!(data, images[..3].iter().flat_map(chw).collect::<Vec<_>>());

        let many = DatasetOptions {
            max_images: Some(100),
            ..options()
        };
        assert_eq!(Dataset::open(path, many).unwrap().len(), 7);
    }
}

/// Grey is repeated into R, G and B; alpha is dropped without compositing; 16-bit samples are
/// rounded to nearest, `round(v · 255 / 65535)` computed here in f64.
#[test]
fn channel_and_bit_depth_rules() {
    let grey = ImageBuffer::from_fn(3, 2, |x, y| Luma([(x * 50 + y * 100) as u8]));
    let grey_alpha =
        ImageBuffer::from_fn(3, 2, |x, y| LumaA([(x * 60 + y) as u8, (y * 200) as u8]));
    let rgba = ImageBuffer::from_fn(3, 2, |x, y| Rgba([x as u8, y as u8, 7, (x * 80) as u8]));
    let samples16 = [0u16, 128, 129, 385, 386, 32767, 32768, 65406, 65535];
    let rgb16 = ImageBuffer::from_fn(3, 3, |x, y| {
        let v = samples16[(y * 3 + x) as usize];
        Rgb([v, 65535 - v, v / 2])
    });
    let grey16 = ImageBuffer::from_fn(3, 3, |x, y| Luma([samples16[(y * 3 + x) as usize]]));
    let files = [
        ("0_grey.png", png(grey.clone())),
        ("1_grey_alpha.png", png(grey_alpha.clone())),
        ("2_rgba.png", png(rgba.clone())),
        ("3_rgb16.png", png(rgb16.clone())),
        ("4_grey16.png", png(grey16.clone())),
    ];
    let (_dir, folder, _zip) = both(&files);
    let mixed = DatasetOptions {
        sizes: SizePolicy::Mixed,
        ..options()
    };
    let dataset = Dataset::open(&folder, mixed).unwrap();
    let decoded: Vec<ImageBatch> = (0..5).map(|i| dataset.image(i).unwrap()).collect();

    let repeat = |plane: Vec<u8>| [plane.clone(), plane.clone(), plane].concat();
    assert_eq!(
        decoded[0].data,
        repeat(grey.pixels().map(|p| p[0]).collect())
    );
    assert_eq!(
        decoded[1].data,
        repeat(grey_alpha.pixels().map(|p| p[0]).collect())
    );
    let rgb_of_rgba = RgbImage::from_fn(3, 2, |x, y| {
        let p = rgba.get_pixel(x, y);
        Rgb([p[0], p[1], p[2]])
    });
    assert_eq!(decoded[2].data, chw(&rgb_of_rgba));

    let to8 = |v: u16| (f64::from(v) * 255.0 / 65535.0).round() as u8;
    let expected16 = RgbImage::from_fn(3, 3, |x, y| {
        let p = rgb16.get_pixel(x, y);
        Rgb([to8(p[0]), to8(p[1]), to8(p[2])])
    });
    assert_eq!(decoded[3].data, chw(&expected16));
    assert_eq!(
        decoded[4].data,
        repeat(samples16.iter().map(|&v| to8(v)).collect())
    );
    assert_eq!(decoded[4].shape(), [1, 3, 3, 3]);
    // 128 → 0.4998 → 0, 129 → 0.502 → 1: round to nearest, not truncation nor `v >> 8`.
    assert_eq!(&decoded[4].data[..3], &[0, 0, 1]);
}

/// A truncated PNG, garbage bytes named `.png`, and a stored zip member whose bytes were damaged
/// (CRC mismatch) are errors naming the file and its index; `skip_bad` counts and lists them.
#[test]
fn corrupt_files_name_file_and_index_or_are_skipped() {
    let good: Vec<(String, Vec<u8>)> = (0..6)
        .map(|i| (format!("img{i}.png"), png(pattern(i, 6, 5))))
        .collect();
    let mut files: Vec<(&str, Vec<u8>)> =
        good.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let truncated = files[2].1[..files[2].1.len() / 2].to_vec();
    files[2].1 = truncated;
    files[4].1 = b"this is not a png".to_vec();
    let (_dir, folder, zip) = both(&files);

    for path in [&folder, &zip] {
        let dataset = Dataset::open(path, options()).unwrap();
        for batch_size in [1, 4, 10] {
            match first_error(&dataset, batch_size) {
                DatasetError::Corrupt { name, index, .. } => {
                    assert_eq!((name.as_str(), index), ("img2.png", 2))
                }
                other => panic!("unexpected {other}"),
            }
        }
        let message = first_error(&dataset, 3).to_string();
        assert!(
            message.contains("img2.png") && message.contains("image 2"),
            "{message}"
        );

        let skip = DatasetOptions {
            skip_bad: true,
            ..options()
        };
        let dataset = Dataset::open(path, skip).unwrap();
        let mut batches = dataset.batches(4);
        let streamed: Vec<ImageBatch> = batches.by_ref().map(Result::unwrap).collect();
        let skipped: Vec<(usize, &str)> = batches
            .skipped()
            .iter()
            .map(|s| (s.index, s.name.as_str()))
            .collect();
        assert_eq!(skipped, [(2, "img2.png"), (4, "img4.png")]);
        assert!(matches!(
            batches.skipped()[1].error,
            DatasetError::Corrupt { index: 4, .. }
        ));
        let indices: Vec<usize> = streamed.iter().flat_map(|b| b.indices.clone()).collect();
        assert_eq!(indices, [0, 1, 3, 5]);
        let data: Vec<u8> = streamed.iter().flat_map(|b| b.data.clone()).collect();
        let kept: Vec<u8> = [0, 1, 3, 5]
            .iter()
            .flat_map(|&i| chw(&pattern(i, 6, 5)))
            .collect();
        assert_eq!(data, kept);
    }

    // Damage the bytes of a stored member inside an otherwise valid zip: the CRC check fails.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, bytes) in &good[..3] {
        zip.start_file(name.as_str(), stored).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    let mut bytes = fs::read(&path).unwrap();
    let member = &good[1].1;
    let at = bytes
        .windows(member.len())
        .position(|w| w == member.as_slice())
        .unwrap();
    bytes[at + member.len() - 20] ^= 0xFF;
    fs::write(&path, bytes).unwrap();
    let dataset = Dataset::open(&path, options()).unwrap();
    match first_error(&dataset, 2) {
        DatasetError::Corrupt { name, index, .. } => {
            assert_eq!((name.as_str(), index), ("img1.png", 1))
        }
        other => panic!("unexpected {other}"),
    }
}

/// Uniform (default): the first odd image is named with both sizes. Exact: the given size is
/// required. Mixed: every batch has one size and the stream is complete and in order.
#[test]
fn size_policies() {
    let sizes = [(8, 6), (8, 6), (8, 6), (5, 7), (5, 7), (8, 6), (4, 4)];
    let names: Vec<String> = (0..sizes.len()).map(|i| format!("s{i}.png")).collect();
    let files: Vec<(&str, Vec<u8>)> = names
        .iter()
        .zip(sizes)
        .enumerate()
        .map(|(i, (n, (w, h)))| (n.as_str(), png(pattern(i as u32, w, h))))
        .collect();
    let (_dir, folder, zip) = both(&files);
    for path in [&folder, &zip] {
        let dataset = Dataset::open(path, options()).unwrap();
        let error = first_error(&dataset, 2);
        let message = error.to_string();
        match error {
            DatasetError::SizeMismatch {
                name,
                index,
                found,
                expected,
                reference,
                ..
            } => {
                assert_eq!((name.as_str(), index), ("s3.png", 3));
                assert_eq!(
                    found,
                    ImageSize {
                        width: 5,
                        height: 7
                    }
                );
                assert_eq!(
                    expected,
                    ImageSize {
                        width: 8,
                        height: 6
                    }
                );
                assert_eq!(reference, Some((0, "s0.png".to_string())));
            }
            other => panic!("unexpected {other}"),
        }
        assert!(message.contains("s3.png") && message.contains("5x7") && message.contains("8x6"));

        let exact = DatasetOptions {
            sizes: SizePolicy::Exact(ImageSize {
                width: 5,
                height: 7,
            }),
            ..options()
        };
        let dataset = Dataset::open(path, exact).unwrap();
        assert!(matches!(
            first_error(&dataset, 4),
            DatasetError::SizeMismatch {
                index: 0,
                reference: None,
                ..
            }
        ));

        let mixed = DatasetOptions {
            sizes: SizePolicy::Mixed,
            ..options()
        };
        let dataset = Dataset::open(path, mixed).unwrap();
        let batches: Vec<ImageBatch> = dataset.batches(4).map(Result::unwrap).collect();
        // Chunks of 4 files, cut where the size changes: [0 1 2][3] [4][5][6].
        let layout: Vec<Vec<usize>> = batches.iter().map(|b| b.indices.clone()).collect();
        assert_eq!(layout, [vec![0, 1, 2], vec![3], vec![4], vec![5], vec![6]]);
        for batch in &batches {
            for (k, &i) in batch.indices.iter().enumerate() {
                let (w, h) = sizes[i];
                assert_eq!((batch.width, batch.height), (w as usize, h as usize));
                assert_eq!(batch.image(k), chw(&pattern(i as u32, w, h)));
            }
        }
    }
}

/// The pixel stream does not depend on the batch size nor on how many chunks are decoded ahead.
#[test]
fn stream_is_independent_of_batch_size_and_prefetch() {
    let names: Vec<String> = (0..23).map(|i| format!("d{}/i{i:02}.png", i % 3)).collect();
    let files: Vec<(&str, Vec<u8>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), png(pattern(i as u32, 7, 5))))
        .collect();
    let (_dir, folder, zip) = both(&files);
    let mut sorted = names.clone();
    sorted.sort();
    let reference: Vec<u8> = sorted
        .iter()
        .flat_map(|n| {
            chw(&pattern(
                names.iter().position(|m| m == n).unwrap() as u32,
                7,
                5,
            ))
        })
        .collect();
    for path in [&folder, &zip] {
        for prefetch in [0, 1, 3] {
            let dataset = Dataset::open(
                path,
                DatasetOptions {
                    prefetch,
                    ..options()
                },
            )
            .unwrap();
            for batch_size in [1, 4, 7, 23, 64] {
                let (data, indices, streamed) = stream(&dataset, batch_size);
                assert_eq!(data, reference, "batch {batch_size}, prefetch {prefetch}");
                assert_eq!(indices, (0..23).collect::<Vec<_>>());
                assert_eq!(streamed, sorted);
            }
        }
    }
}

/// Batches are full except the last; tensor data has the documented shape; dropping the
/// iterator early stops the decoding thread (the test would hang otherwise).
#[test]
fn batch_layout_tensor_data_and_early_drop() {
    let names: Vec<String> = (0..10).map(|i| format!("{i}.png")).collect();
    let files: Vec<(&str, Vec<u8>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), png(pattern(i as u32, 4, 3))))
        .collect();
    let (_dir, _folder, zip) = both(&files);
    let dataset = Dataset::open_zip(&zip, options()).unwrap();
    let sizes: Vec<usize> = dataset.batches(4).map(|b| b.unwrap().batch).collect();
    assert_eq!(sizes, [4, 4, 2]);
    let first = dataset.batches(4).next().unwrap().unwrap();
    assert_eq!(first.shape(), [4, 3, 3, 4]);
    let data = first.clone().into_tensor_data();
    assert_eq!(data.shape().as_slice(), &[4, 3, 3, 4]);
    assert_eq!(data.as_slice::<u8>().unwrap(), first.data.as_slice());
    let single = dataset.image(5).unwrap();
    assert_eq!((single.indices[0], single.names[0].as_str()), (5, "5.png"));
    assert_eq!(single.data, chw(&pattern(5, 4, 3)));
}

#[test]
fn opening_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.zip");
    assert!(matches!(
        Dataset::open(&missing, options()),
        Err(DatasetError::NotFound { .. })
    ));
    assert!(matches!(
        Dataset::open_folder(&missing, options()),
        Err(DatasetError::NotFound { .. })
    ));

    let text = dir.path().join("images.npz");
    fs::write(&text, b"definitely not a zip archive").unwrap();
    let error = Dataset::open(&text, options()).unwrap_err();
    assert!(matches!(error, DatasetError::NotAZip { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("neither a folder nor a readable zip"),
        "{error}"
    );
    assert!(matches!(
        Dataset::open_folder(&text, options()),
        Err(DatasetError::NotAFolder { .. })
    ));

    let folder = dir.path().join("no-images");
    write_folder(
        &folder,
        &[("a.txt", b"x".to_vec()), ("sub/b.gif", b"x".to_vec())],
    );
    assert!(matches!(
        Dataset::open(&folder, options()),
        Err(DatasetError::Empty { .. })
    ));
    let zip = dir.path().join("no-images.zip");
    write_zip(&zip, &[("a.txt", b"x".to_vec())]);
    assert!(matches!(
        Dataset::open(&zip, options()),
        Err(DatasetError::Empty { .. })
    ));

    write_folder(&folder, &[("c.png", png(pattern(0, 2, 2)))]);
    let none = DatasetOptions {
        max_images: Some(0),
        ..options()
    };
    assert!(matches!(
        Dataset::open(&folder, none),
        Err(DatasetError::Empty { .. })
    ));
    assert_eq!(Dataset::open(&folder, options()).unwrap().len(), 1);
}

/// The CLI shares datasets across threads and turns errors into `anyhow::Error`.
#[test]
fn types_are_thread_safe() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send + 'static>() {}
    send_sync::<Dataset>();
    send_sync::<DatasetError>();
    send_sync::<ImageBatch>();
    send::<fid_core::dataset::Batches>();
}
