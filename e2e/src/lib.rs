//! Examples and end-to-end suites only: see `examples/` and `tests/`.
