//! The `folio` command line: a thin layer over the library.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use folio::config::Config;
use folio::db::Pool;
use folio::domain::scope::Scope;
use folio::startup::{self, Application, Database};
use folio::store;

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
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Load sample content.
    Seed {
        /// A small demo blog: two authors, twelve articles, a few tags, two featured.
        #[arg(long, required_unless_present = "corpus", conflicts_with = "corpus")]
        demo: bool,
        /// The benchmark corpus: this many ~1,500-word articles, loaded in bulk in one transaction. Into an empty
        /// database (no server using it: the load holds its tables) it builds the indexes once at the end.
        #[arg(long)]
        corpus: Option<usize>,
        /// Seed of the corpus generator.
        #[arg(long, default_value_t = 42)]
        corpus_seed: u64,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; prints its secret alone on the first line (shown only this once).
    Create {
        #[arg(long)]
        name: String,
        /// content:read, content:write or admin; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<Scope>,
        /// RFC 3339 time after which the token stops working.
        #[arg(long)]
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: uuid::Uuid },
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
        Command::Token(cmd) => with_pool(&cli.config, |pool| Box::pin(token(pool, cmd))),
        Command::Seed {
            corpus: Some(n),
            corpus_seed,
            ..
        } => with_pool(&cli.config, move |pool| {
            Box::pin(async move {
                let started = std::time::Instant::now();
                let loaded = folio::seed::corpus(&pool, n, corpus_seed, move |done| {
                    if done % 100_000 == 0 {
                        eprintln!("{done} articles in {:.0?}", started.elapsed());
                    }
                })
                .await
                .map_err(|e| e.to_string())?;
                println!("corpus: {loaded} articles in {:.1?}", started.elapsed());
                Ok(())
            })
        }),
        Command::Seed { .. } => with_pool(&cli.config, |pool| {
            Box::pin(async move {
                let report = folio::seed::demo(&pool).await.map_err(|e| e.to_string())?;
                println!(
                    "demo blog: {} created, {} updated, {} unchanged",
                    report.created, report.updated, report.unchanged
                );
                Ok(())
            })
        }),
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

type Task = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>>>>;

/// Runs `task` with a small pool on the configured database (migrated first, unless told not to), on an actix
/// runtime (the store runs on its blocking threads). No HTTP state is built.
fn with_pool(config: &Config, task: impl FnOnce(Pool) -> Task) -> Result<(), String> {
    let database = Database::open(config).map_err(|e| e.to_string())?;
    if config.auto_migrate {
        database.migrate().map_err(|e| e.to_string())?;
    }
    let pool = folio::db::build_pool(&database.url, 2, config.statement_timeout_ms);
    let result = actix_web::rt::System::new().block_on(task(pool));
    drop(database);
    result
}

async fn token(pool: Pool, cmd: TokenCommand) -> Result<(), String> {
    match cmd {
        TokenCommand::Create {
            name,
            scopes,
            expires_at,
        } => {
            let (token, secret) = store::run(&pool, move |conn| {
                store::tokens::issue(conn, &name, &scopes, expires_at)
            })
            .await
            .map_err(|e| e.to_string())?;
            // The secret must reach stdout; once it has, a reader that stopped listening (`| head -1`) is fine.
            let mut out = std::io::stdout().lock();
            writeln!(out, "{secret}")
                .and_then(|()| out.flush())
                .map_err(|e| {
                    format!(
                        "token {} was created, but its secret could not be printed: {e}",
                        token.id
                    )
                })?;
            let rest = writeln!(out, "id: {}", token.id)
                .and_then(|()| writeln!(out, "scopes: {}", token.scopes.join(", ")));
            quiet_on_broken_pipe(rest)?;
            eprintln!("Store the secret now: it is not shown again.");
        }
        TokenCommand::List => {
            let tokens = store::run(&pool, store::tokens::list)
                .await
                .map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            for t in tokens {
                let line = writeln!(
                    out,
                    "{}\t{}\t{}\tcreated {}\tlast used {}\texpires {}",
                    t.id,
                    t.name,
                    t.scopes.join(","),
                    t.created_at.to_rfc3339(),
                    t.last_used_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "never".into()),
                    t.expires_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "never".into()),
                );
                quiet_on_broken_pipe(line)?;
            }
        }
        TokenCommand::Revoke { id } => {
            let revoked = store::run(&pool, move |conn| store::tokens::revoke(conn, id))
                .await
                .map_err(|e| e.to_string())?;
            if !revoked {
                return Err(format!("no token has the id {id}"));
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}

/// A closed stdout (`| head -1`) ends the output quietly; any other write error is reported.
fn quiet_on_broken_pipe(result: std::io::Result<()>) -> Result<(), String> {
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

fn migrate(config: &Config) -> Result<(), String> {
    let database = Database::open(config).map_err(|e| e.to_string())?;
    let applied = database.migrate().map_err(|e| e.to_string())?;
    println!("applied {applied} migration(s)");
    Ok(())
}
