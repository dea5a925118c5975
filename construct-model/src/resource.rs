//! Resources: the typed-resource trait, handles with typed attributes, per-resource options,
//! the raw escape hatch and the type facts of the schema index. The trait, options, raw
//! resources and the index come from `stackforge-core`; the handle comes from
//! `stackforge-catalog`, whose generated attribute accessors are inherent methods on it.

pub use stackforge_catalog::ResourceHandle;
pub use stackforge_core::resource::*;
