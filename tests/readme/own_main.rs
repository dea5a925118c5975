// src/main.rs of your app
use stackforge_constructs::aws::sns::{Topic, TopicProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

/// The app, for a region chosen when it runs.
pub fn app(region: &str) -> Result<App, Error> {
    let mut app = App::new("alerts");
    let dev = Environment::new("dev").with_region(region);
    let mut stack = Stack::new(&app, &dev, "topics", StackProps::default())?;
    Topic::new(&mut stack.root(), "Alerts", TopicProps::default())?;
    app.add_stack(stack)?;
    Ok(app)
}

pub fn main() -> std::process::ExitCode {
    let region = std::env::var("APP_REGION").unwrap_or_else(|_| "eu-west-1".to_owned());
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    let mut io = stackforge::Io {
        out: &mut out,
        err: &mut err,
    };
    // A closure: the app takes runtime configuration.
    let code = stackforge::run(std::env::args_os(), || app(&region), &mut io);
    std::process::ExitCode::from(code)
}
