//! The Debian package: built by `cargo deb` from this tree's metadata, checked by `lintian`,
//! unpacked into a scratch root with `dpkg-deb -x`, and its installed units checked there by
//! `deploy/check-unit.sh` (`systemd-analyze verify` and `security`, exposure at most 1.5).
//!
//! The package is made from the test build (`--profile dev --no-build`, stripped) rather
//! than a release build, which would take minutes here: the files, units, scripts and
//! conffiles are the same; only the binary is the unoptimised one.
//!
//! `.ci/run` installs cargo-deb, lintian and systemd. In CI (`CI` set) a missing tool fails
//! the test; elsewhere the test says what to install and passes without checking.

use std::path::Path;
use std::process::{Command, Output};

/// The tools the test needs, each with what installs it, that are missing.
fn missing_tools() -> Vec<&'static str> {
    let works = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut missing = Vec::new();
    if !works("cargo", &["deb", "--version"]) {
        missing.push("cargo install --locked cargo-deb@3.8.0");
    }
    for (program, install) in [
        ("lintian", "apt-get install -y lintian"),
        ("dpkg-deb", "apt-get install -y dpkg"),
        ("systemd-analyze", "apt-get install -y systemd"),
    ] {
        if !works(program, &["--version"]) {
            missing.push(install);
        }
    }
    missing
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_debian_package_installs_a_checked_service_and_passes_lintian() {
    let missing = missing_tools();
    if !missing.is_empty() {
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(!in_ci, "packaging tools missing in CI: {missing:?}");
        eprintln!("NOT CHECKED: packaging tools missing: {missing:?}");
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = tempfile::tempdir().expect("scratch dir");
    let deb = scratch.path().join("seedfeed.deb");
    run(Command::new("cargo")
        .current_dir(repo)
        .args([
            "deb",
            "--no-build",
            "--profile",
            "dev",
            "--no-dbgsym",
            "--strip",
            "--fast",
            "--quiet",
            "--output",
        ])
        .arg(&deb));

    // lintian: no error (its one warning, initial-upload-closes-no-bugs, is about uploads
    // to Debian's archive).
    let lintian = Command::new("lintian")
        .arg(&deb)
        .output()
        .expect("run lintian");
    let report = String::from_utf8_lossy(&lintian.stdout).into_owned();
    println!("lintian:\n{report}");
    assert!(
        !report.lines().any(|l| l.starts_with("E:")),
        "lintian errors:\n{report}"
    );

    // What is in it, and which file is a conffile.
    let root = scratch.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    for file in [
        "usr/bin/seedfeed",
        "usr/lib/systemd/system/seedfeed.service",
        "usr/share/doc/seedfeed/examples/seedfeed.socket",
        "etc/seedfeed/seedfeed.toml",
        "usr/share/man/man1/seedfeed.1.gz",
        "usr/share/man/man1/seedfeed-serve.1.gz",
        "usr/share/bash-completion/completions/seedfeed",
        "usr/share/zsh/vendor-completions/_seedfeed",
        "usr/share/fish/vendor_completions.d/seedfeed.fish",
        "usr/share/doc/seedfeed/copyright",
        "usr/share/doc/seedfeed/changelog.Debian.gz",
    ] {
        assert!(root.join(file).is_file(), "{file} not in the package");
    }
    let control = scratch.path().join("control");
    run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&control));
    let conffiles = std::fs::read_to_string(control.join("conffiles")).expect("conffiles");
    assert_eq!(conffiles.trim(), "/etc/seedfeed/seedfeed.toml");
    // Enabled on install, not started; the socket (port 80) is an example to install.
    let postinst = std::fs::read_to_string(control.join("postinst")).expect("postinst");
    assert!(postinst.contains("deb-systemd-helper enable seedfeed.service"));
    assert!(!postinst.contains("seedfeed.socket"), "{postinst}");
    assert!(
        !postinst.lines().any(|l| l.contains("deb-systemd-invoke")
            && l.contains("start")
            && !l.contains("try-restart")),
        "{postinst}"
    );
    assert!(postinst.contains("install -d -m 0755 /var/lib/seedfeed /var/lib/seedfeed/seeds"));
    run(Command::new("sh").arg("-n").arg(control.join("postinst")));
    run(Command::new("sh").arg("-n").arg(control.join("postrm")));

    // The installed service, and the example socket beside it as deploy.md installs it,
    // checked with the installed binary and configuration.
    let binary = root.join("usr/bin/seedfeed");
    let units = root.join("usr/lib/systemd/system");
    std::fs::copy(
        root.join("usr/share/doc/seedfeed/examples/seedfeed.socket"),
        units.join("seedfeed.socket"),
    )
    .expect("copy the socket");
    let check = run(Command::new("sh")
        .arg(repo.join("deploy/check-unit.sh"))
        .arg(&binary)
        .env("UNIT_DIR", &units)
        .env("CONFIG", root.join("etc/seedfeed/seedfeed.toml"))
        .env("MAX_EXPOSURE", "1.5"));
    let check = text(&check);
    println!("{check}");
    assert!(check.contains("check-unit: all passed"), "{check}");
    let config = text(&run(Command::new(&binary)
        .args(["config", "--config"])
        .arg(root.join("etc/seedfeed/seedfeed.toml"))));
    assert!(
        config.contains("dir = \"/var/lib/seedfeed/seeds\""),
        "{config}"
    );

    // The man page and a completion script are the installed binary's own command line.
    let man = text(&run(Command::new("gzip")
        .arg("-dc")
        .arg(root.join("usr/share/man/man1/seedfeed.1.gz"))));
    assert!(man.contains(".TH seedfeed 1"), "{man}");
    assert!(man.contains("seedfeed\\-serve(1)"), "{man}");
    let bash = text(&run(Command::new(&binary).args(["completions", "bash"])));
    let packaged =
        std::fs::read_to_string(root.join("usr/share/bash-completion/completions/seedfeed"))
            .expect("bash completion");
    assert_eq!(bash, packaged);
}

#[test]
fn install_sh_moves_the_state_of_earlier_versions_and_installs_local_paths() {
    let destdir = tempfile::tempdir().expect("destdir");
    let root = destdir.path();
    // The layout of versions before 0.2: StateDirectory=seedfeed under DynamicUser=yes.
    let private = root.join("var/lib/private/seedfeed");
    std::fs::create_dir_all(&private).expect("mkdir");
    std::fs::write(private.join("state.redb"), "records").expect("write");
    std::os::unix::fs::symlink("private/seedfeed", root.join("var/lib/seedfeed")).expect("link");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run(Command::new("sh")
        .arg(repo.join("deploy/install.sh"))
        .arg(env!("CARGO_BIN_EXE_seedfeed"))
        .env("DESTDIR", root));
    println!("{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(private.join("state/state.redb")).expect("moved"),
        "records"
    );
    let var_lib = root.join("var/lib/seedfeed");
    assert!(!var_lib.is_symlink() && var_lib.join("seeds").is_dir());
    let unit =
        std::fs::read_to_string(root.join("etc/systemd/system/seedfeed.service")).expect("unit");
    assert!(
        unit.contains("\nExecStart=/usr/local/bin/seedfeed serve "),
        "{unit}"
    );
    assert!(unit.contains("\nStateDirectory=seedfeed/state\n"), "{unit}");
    assert!(root.join("usr/local/bin/seedfeed").is_file());
    // Run again: nothing left to move, nothing broken.
    run(Command::new("sh")
        .arg(repo.join("deploy/install.sh"))
        .arg(env!("CARGO_BIN_EXE_seedfeed"))
        .env("DESTDIR", root));
    assert!(private.join("state/state.redb").is_file());
}
