//! Writes the man pages (`seedfeed.1.gz`, and `seedfeed-serve.1.gz` and the like for each
//! subcommand) and the bash, zsh and fish completions of the command
//! line defined in `src/cli.rs` into `target/<profile>/assets/`, where `cargo deb` takes them:
//! its asset paths start with `target/release/`, which it maps to the profile's folder, and a
//! build script's own `OUT_DIR` has a hash in its name that no asset path can know.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

#[path = "src/cli.rs"]
#[allow(dead_code)]
mod cli;

fn main() -> std::io::Result<()> {
    println!("cargo::rerun-if-changed=src/cli.rs");
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| std::io::Error::other("OUT_DIR is not set (run by cargo)"))?;
    // OUT_DIR is target/<profile>/build/seedfeed-<hash>/out.
    let assets = out_dir
        .ancestors()
        .nth(3)
        .map(|profile| profile.join("assets"))
        .ok_or_else(|| std::io::Error::other("OUT_DIR is not inside a profile folder"))?;
    std::fs::create_dir_all(&assets)?;
    write_man_pages(&out_dir.join("man"), &assets)?;
    for (shell, name) in [
        (Shell::Bash, "seedfeed.bash"),
        (Shell::Zsh, "_seedfeed"),
        (Shell::Fish, "seedfeed.fish"),
    ] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cli::Cli::command(), "seedfeed", &mut script);
        write_if_changed(&assets.join(name), &script)?;
    }
    Ok(())
}

/// The man pages, written into `pages` and then gzipped into `assets` at the best level with
/// no name or time in their header (Debian's policy for manual pages; the same bytes from the
/// same sources).
fn write_man_pages(pages: &Path, assets: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(pages)?;
    clap_mangen::generate_to(cli::Cli::command(), pages)?;
    for page in std::fs::read_dir(pages)? {
        let page = page?.path();
        let Some(name) = page.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), flate2::Compression::best());
        gz.write_all(&std::fs::read(&page)?)?;
        write_if_changed(&assets.join(format!("{name}.gz")), &gz.finish()?)?;
    }
    Ok(())
}

/// Writes `bytes` unless the file already holds them (its time then stays as it is).
fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes)
}
