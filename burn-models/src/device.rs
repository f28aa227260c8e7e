//! Turning a `--device` flag into a Burn [`Device`].
//!
//! This is the one place where fidlab names a backend. Everything else takes a `&Device`.

use burn::tensor::Device;

/// A device name that this build cannot serve.
#[derive(Debug, thiserror::Error)]
#[error("unknown or unavailable device `{given}`: this build supports {}", supported_devices().join(", "))]
pub struct DeviceError {
    /// What the user asked for.
    pub given: String,
}

/// The device names this build accepts, in the form the CLI takes them.
pub fn supported_devices() -> Vec<&'static str> {
    let mut names = vec!["cpu"];
    if cfg!(feature = "wgpu") {
        names.extend(["wgpu", "wgpu:cpu", "wgpu:N"]);
    }
    if cfg!(feature = "cuda") {
        names.extend(["cuda", "cuda:N"]);
    }
    names
}

/// Parses `cpu`, `wgpu`, `wgpu:cpu` (a CPU Vulkan such as Mesa's lavapipe), `wgpu:N` (discrete GPU N),
/// `cuda` or `cuda:N` into a [`Device`]. Names are case-insensitive.
///
/// `cpu` is Burn's pure-Rust `flex` backend. Backends that were not compiled in are an error
/// that lists what this build supports.
pub fn parse_device(spec: &str) -> Result<Device, DeviceError> {
    let lower = spec.trim().to_ascii_lowercase();
    let (name, index) = match lower.split_once(':') {
        Some((name, index)) => (name, Some(index)),
        None => (lower.as_str(), None),
    };
    let err = || DeviceError {
        given: spec.to_string(),
    };
    match (name, index) {
        ("cpu" | "flex", None) => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        ("wgpu", None) => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(feature = "wgpu")]
        ("wgpu", Some("cpu")) => Ok(Device::wgpu(burn::tensor::DeviceKind::Cpu)),
        #[cfg(feature = "wgpu")]
        ("wgpu", Some(i)) => {
            let i = i.parse::<usize>().map_err(|_| err())?;
            Ok(Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(i)))
        }
        #[cfg(feature = "cuda")]
        ("cuda", None) => Ok(Device::cuda(0)),
        #[cfg(feature = "cuda")]
        ("cuda", Some(i)) => {
            let i = i.parse::<usize>().map_err(|_| err())?;
            Ok(Device::cuda(i))
        }
        _ => Err(err()),
    }
}

/// The device tests run on: `FIDLAB_TEST_DEVICE` (same syntax as [`parse_device`]) or the CPU.
///
/// # Panics
/// If `FIDLAB_TEST_DEVICE` names a device this build does not support.
pub fn test_device() -> Device {
    match std::env::var("FIDLAB_TEST_DEVICE") {
        Ok(spec) => parse_device(&spec).unwrap_or_else(|e| panic!("FIDLAB_TEST_DEVICE: {e}")),
        Err(_) => Device::flex(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_always_available() {
        assert!(parse_device("cpu").is_ok());
        assert!(parse_device("CPU").is_ok());
    }

    #[test]
    fn unknown_device_lists_supported_ones() {
        let err = parse_device("tpu").unwrap_err().to_string();
        assert!(err.contains("`tpu`"), "{err}");
        assert!(err.contains("cpu"), "{err}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_feature_is_an_error() {
        let err = parse_device("cuda:0").unwrap_err().to_string();
        assert!(err.contains("this build supports"), "{err}");
    }
}
