//! The command line, as types: parsed once in `main`, and read by `build.rs` to write the man
//! page and the shell completions (so this file uses nothing but `clap` and `std`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Watches a folder of plain-text articles and serves it as RSS and Atom feeds.
#[derive(Parser)]
#[command(
    name = "seedfeed",
    version,
    about,
    long_about = "Watches a folder of plain-text articles (.txt and .md files) and keeps RSS 2.0, \
Atom 1.0 and JSON Feed feeds of it current, served over HTTP with an HTML page per article. \
Drop, edit, rename or delete a file and the feeds follow within a fraction of a second.",
    after_long_help = "FILES:\n  /etc/seedfeed/seedfeed.toml  the configuration of the service (seedfeed.service)\n  \
/var/lib/seedfeed/seeds      the articles folder it serves by default\n  \
/var/lib/seedfeed/state      its state database (ids and first-seen dates)\n\n\
Every setting is documented in /usr/share/doc/seedfeed/README.md."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
        /// Show each line's role in the head and tail of the article (title, byline, date,
        /// chrome, paragraph) and the signal that decided it.
        #[arg(long)]
        explain: bool,
        /// Article files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print the effective configuration (all layers merged) as TOML.
    Config(ConfigArgs),
    /// Print the completion script for SHELL (the package installs bash, zsh and fish ones).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Options that override the configuration file and environment.
#[derive(Args)]
pub(crate) struct ConfigArgs {
    /// Configuration file [default: config/default.toml if present]
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Folder of articles (seeds.dir).
    #[arg(long, value_name = "DIR")]
    pub(crate) seeds: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (server.listen).
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// Folder of the state database (state.dir).
    #[arg(long, value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// Public base URL for absolute links (server.base_url).
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
}
