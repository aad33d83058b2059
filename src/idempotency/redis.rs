//! Redis store (in progress).
