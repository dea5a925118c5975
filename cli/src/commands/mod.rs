//! One module per subcommand; each is a clap `Args` struct with an `execute` method.

pub mod check;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod drift;
pub mod graph;
pub mod list;
pub mod migrate;
pub mod new;
pub mod synth;

/// The `aws` options `destroy` and `drift` share (passed to every `aws` call).
#[derive(Debug, Clone, clap::Args)]
pub struct AwsArgs {
    /// AWS region (passed to every `aws` call).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS CLI profile (passed to every `aws` call).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Endpoint URL (passed to every `aws` call; for emulators).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}
