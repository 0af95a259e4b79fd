//! The `seedfeed` command: parses the CLI, loads settings, sets up logging, calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use seedfeed::config::{Overrides, Settings};
use tracing_subscriber::EnvFilter;

/// Watches a folder of plain-text articles and serves it as RSS and Atom feeds.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: index the seeds folder, watch it, serve the feeds over HTTP.
    Serve(ConfigArgs),
    /// Index the seeds folder once and write the feeds and pages into a folder.
    Build {
        /// Output folder (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Show what the parser understands from article files; exits 1 if any would be skipped.
    Inspect {
        /// Print JSON: one object for one file, an array for several.
        #[arg(long)]
        json: bool,
        /// Article files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print the effective configuration (all layers merged) as TOML.
    Config(ConfigArgs),
}

/// Options that override the configuration file and environment.
#[derive(Args)]
struct ConfigArgs {
    /// Configuration file [default: config/default.toml if present]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Folder of articles (seeds.dir).
    #[arg(long, value_name = "DIR")]
    seeds: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (server.listen).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Folder of the state database (state.dir).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Public base URL for absolute links (server.base_url).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

impl ConfigArgs {
    fn load(&self) -> anyhow::Result<Settings> {
        let overrides = Overrides {
            seeds_dir: self.seeds.clone(),
            listen: self.listen.clone(),
            state_dir: self.state_dir.clone(),
            base_url: self.base_url.clone(),
        };
        Ok(Settings::load(self.config.as_deref(), &overrides)?)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("seedfeed: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            let settings = args.load()?;
            init_logging(&settings.log.level);
            serve(settings)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Build { out, config } => {
            let settings = config.load()?;
            init_logging(&settings.log.level);
            let report = seedfeed::export::build(&settings, &out)?;
            println!(
                "wrote {} files to {} ({} articles, {} skipped)",
                report.files.len(),
                out.display(),
                report.articles,
                report.skipped
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect {
            json,
            files,
            config,
        } => {
            let settings = config.load()?;
            let reports: Vec<_> = files
                .iter()
                .map(|f| seedfeed::inspect::inspect(f, &settings))
                .collect();
            if json {
                let out = match reports.as_slice() {
                    [one] => serde_json::to_string_pretty(one)?,
                    many => serde_json::to_string_pretty(many)?,
                };
                println!("{out}");
            } else {
                for report in &reports {
                    print!("{}", seedfeed::inspect::to_text(report));
                }
            }
            let any_skipped = reports.iter().any(|r| r.skipped.is_some());
            Ok(if any_skipped {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Config(args) => {
            print!("{}", args.load()?.to_toml());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Logs to stderr; colour only on a terminal, and under systemd's journal (`JOURNAL_STREAM`)
/// without timestamps, since journald adds its own.
fn init_logging(level: &str) {
    use std::io::IsTerminal;
    let filter = EnvFilter::builder()
        .parse(level)
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().init();
    } else {
        builder.init();
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(settings.server.listen)
            .await
            .with_context(|| format!("listening on {} (server.listen)", settings.server.listen))?;
        seedfeed::daemon::run(settings, listener, shutdown_signal()).await
    })
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the daemon");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
        _ = term.recv() => tracing::info!("SIGTERM received"),
    }
}
