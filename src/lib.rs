//! stackforge CLI library.
