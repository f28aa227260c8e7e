//! Shared helpers for fidlab integration tests (see `tests/`).
