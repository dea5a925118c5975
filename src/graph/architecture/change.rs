//! Overlay of a diff.
