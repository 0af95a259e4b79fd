//! The `seedfeed` command: parses the CLI, loads settings, sets up logging, calls the library.

use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser};
use seedfeed::config::{Overrides, Settings};

use cli::{Cli, Command, ConfigArgs};

mod cli;
use seedfeed::{LogLevelSetter, Trigger};
use tracing_subscriber::EnvFilter;

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

/// jemalloc rather than glibc's malloc: what the threads that parse files (and the one that
/// signs articles after start-up) freed stayed in glibc's arenas of those threads, while
/// jemalloc gives unused pages back to the system after a few seconds. At 100,000 articles,
/// VmRSS after the related-stories signatures went from 162 to 142 MiB and after serving
/// from 167 to 139 MiB, start-up and req/s the same within noise (mimalloc, tried earlier,
/// held more). The `jemalloc` feature (on by default) turns it off.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
            let set_log_level = init_logging(&settings.log.level);
            serve(args, settings, set_log_level)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Build { out, config } => {
            let settings = config.load()?;
            // `build` runs once: nothing to reload.
            let _ = init_logging(&settings.log.level);
            let report = seedfeed::build(&settings, &out)?;
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
            explain,
            files,
            config,
        } => {
            let settings = config.load()?;
            let reports = seedfeed::inspect_all(&files, &settings, explain)?;
            if json {
                let out = match reports.as_slice() {
                    [one] => serde_json::to_string_pretty(one)?,
                    many => serde_json::to_string_pretty(many)?,
                };
                println!("{out}");
            } else {
                for report in &reports {
                    print!("{}", seedfeed::to_text(report));
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
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "seedfeed",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Logs to stderr; colour only on a terminal, and under systemd's journal (`JOURNAL_STREAM`)
/// without timestamps, since journald adds its own. Returns what swaps the filter on a
/// configuration reload.
fn init_logging(level: &str) -> LogLevelSetter {
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
        let builder = builder.without_time().with_filter_reloading();
        let handle = builder.reload_handle();
        builder.init();
        log_level_setter(handle)
    } else {
        let builder = builder.with_filter_reloading();
        let handle = builder.reload_handle();
        builder.init();
        log_level_setter(handle)
    }
}

fn log_level_setter<S: 'static>(
    handle: tracing_subscriber::reload::Handle<EnvFilter, S>,
) -> LogLevelSetter {
    Box::new(move |level| {
        let filter = EnvFilter::builder()
            .parse(level)
            .with_context(|| format!("log.level {level:?}"))?;
        handle.reload(filter).context("swapping the log filter")
    })
}

fn serve(
    args: ConfigArgs,
    settings: Settings,
    set_log_level: LogLevelSetter,
) -> anyhow::Result<()> {
    // Before the runtime starts its threads: taking the socket edits the environment.
    let inherited = seedfeed::inherited_listener()
        .context("socket activation (LISTEN_FDS from the service manager)")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = match inherited {
            Some(listener) => {
                tracing::info!(
                    "serving the socket passed by the service manager; server.listen ({}) is ignored",
                    settings.server.listen
                );
                listener
                    .set_nonblocking(true)
                    .context("preparing the inherited socket")?;
                tokio::net::TcpListener::from_std(listener)
                    .context("preparing the inherited socket")?
            }
            None => tokio::net::TcpListener::bind(settings.server.listen)
                .await
                .with_context(|| {
                    format!("listening on {} (server.listen)", settings.server.listen)
                })?,
        };
        // A reload reads the same file, environment and flags as this start did.
        let (trigger, reloads) =
            seedfeed::reload_channel(Box::new(move || args.load()), set_log_level);
        reload_on_sighup(trigger);
        seedfeed::run(settings, listener, shutdown_signal(), reloads).await
    })
}

/// Asks for a configuration reload on every SIGHUP. Installed before the first index, since
/// SIGHUP's default action would end the process.
fn reload_on_sighup(trigger: Trigger) {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::hangup()) {
        Ok(mut hangup) => {
            tokio::spawn(async move {
                while hangup.recv().await.is_some() {
                    tracing::info!("SIGHUP received");
                    trigger.request();
                }
            });
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; configuration changes need a restart");
        }
    }
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
