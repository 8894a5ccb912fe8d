//! The `folio` command line: a thin layer over the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use folio::config::Config;
use folio::startup::{self, Application, Database};

#[derive(Parser)]
#[command(
    name = "folio",
    version,
    about = "Folio: a headless content API",
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    /// What to do (default: serve).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::new()
        .parse_filters(&cli.config.log_filter)
        .init();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config),
        Command::Migrate => migrate(&cli.config),
        Command::Openapi => {
            print!("{}", startup::openapi_to_string(&startup::openapi()));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("folio: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config).map_err(|e| e.to_string())?;
        let addr = app.addr();
        println!("Folio listens on http://{addr}/api/v1 — API reference at http://{addr}/docs/");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

fn migrate(config: &Config) -> Result<(), String> {
    let database = Database::open(config).map_err(|e| e.to_string())?;
    let applied = database.migrate().map_err(|e| e.to_string())?;
    println!("applied {applied} migration(s)");
    Ok(())
}
