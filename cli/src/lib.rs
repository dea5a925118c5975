//! The stackforge CLI as a library: synth, list, diff, check, deploy, graph and new over any
//! [`App`](stackforge_construct_model::App) (`stackforge_constructs::App`, which apps import,
//! is the same type: the CLI depends on the model, not on the AWS constructs). The workspace's root package (`src/main.rs`) runs it on the
//! migration-api app; an app of its own depends on this crate (`cli/` of the workspace) and
//! calls [`run`] from its `main`:
//!
//! ```no_run
//! # fn app() -> Result<stackforge_constructs::App, stackforge_constructs::Error> { todo!() }
//! #[global_allocator]
//! static ALLOCATOR: stackforge::Allocator = stackforge::Allocator;
//!
//! # fn main() {
//! let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
//! let mut io = stackforge::Io { out: &mut out, err: &mut err };
//! let code = stackforge::run(std::env::args_os(), app, &mut io); // or a closure
//! std::process::exit(code.into());
//! # }
//! ```
//!
//! What an app needs is [`run`], [`AppFactory`] and [`Io`], and [`Allocator`] for speed. The
//! policy gate ([`policy`]), the semantic diff ([`diff`]) and the graph builder ([`graph`])
//! are exported for tools that want them without the command line; everything else is
//! internal.

mod cli;
mod commands;
mod deploy;
pub mod diff;
mod error;
mod files;
pub mod graph;
mod lock;
pub mod migrate;
mod output;
mod params;
mod pipeline;
pub mod policy;
mod scaffold;

pub use cli::{run, run_with_new_app, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
pub use error::CliError;
pub use pipeline::{AppFactory, Io};
pub use scaffold::NewApp;

/// The memory allocator stackforge's binaries declare: the system allocator on MSVC
/// targets, where jemalloc does not build.
#[cfg(target_env = "msvc")]
pub use std::alloc::System as Allocator;
/// The memory allocator stackforge's binaries declare (`#[global_allocator]`): jemalloc.
/// Synth and the policy gate allocate many small maps and strings; with glibc's malloc,
/// allocating and freeing them was about 30% of the time. Measured with the synth bench
/// (README "Performance"): synth + gate of 20,000 resources about a third faster, peak
/// memory lower from 20,000 resources up (a few MiB higher for small apps). A library cannot
/// choose the allocator of a program, so an app's `main.rs` declares it (see the example
/// above); without it, everything works on the system allocator.
#[cfg(not(target_env = "msvc"))]
pub use tikv_jemallocator::Jemalloc as Allocator;

/// jemalloc's options, read when it starts (`_RJEM_MALLOC_CONF` in the environment still
/// overrides them). Measured with the synth bench at 100,000 resources (README
/// "Performance"), same speed:
/// - `dirty_decay_ms:1000`: pages freed stay reserved for one second instead of ten, so the
///   memory synth frees is returned before the gate allocates its own (peak RSS with the gate
///   256-262 -> 200-213 MiB);
/// - `narenas:2`: two arenas instead of four per CPU, so memory one thread frees is found by
///   the others (peak RSS at 20,000 resources 64 -> 55 MiB).
#[cfg(not(target_env = "msvc"))]
#[used]
#[export_name = "_rjem_malloc_conf"]
static JEMALLOC_OPTIONS: JemallocOptions =
    JemallocOptions(c"narenas:2,dirty_decay_ms:1000".as_ptr());

/// A C string pointer jemalloc reads once, at start.
#[cfg(not(target_env = "msvc"))]
#[repr(transparent)]
struct JemallocOptions(*const std::ffi::c_char);

// SAFETY: the pointer is to a string literal: immutable, and alive for the whole program.
#[cfg(not(target_env = "msvc"))]
unsafe impl Sync for JemallocOptions {}
