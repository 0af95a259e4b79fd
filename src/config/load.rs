//! Loading the layers: the config file, `SEEDFEED__SECTION__KEY` environment variables and
//! command-line flags over the built-in defaults, then `$STATE_DIRECTORY` for systemd.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};

use super::{
    ConfigError, DEFAULT_CONFIG_PATH, ENV_PREFIX, ENV_SEPARATOR, STATE_DIRECTORY_ENV, Settings,
};

/// Command-line values that override every other source.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--seeds`
    pub seeds_dir: Option<PathBuf>,
    /// `--listen`
    pub listen: Option<String>,
    /// `--state-dir`
    pub state_dir: Option<PathBuf>,
    /// `--base-url`
    pub base_url: Option<String>,
}

impl Settings {
    /// Loads the layered configuration. `file` is `--config`; when `None` the default path is
    /// read if it exists. An explicitly named file must exist. When no layer sets `state.dir`,
    /// `$STATE_DIRECTORY` (systemd's `StateDirectory=`) is used if set.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::load_from(
            file,
            overrides,
            Environment::with_prefix(ENV_PREFIX),
            std::env::var_os(STATE_DIRECTORY_ENV),
        )
    }

    #[cfg(test)]
    fn load_with_env(
        file: Option<&Path>,
        overrides: &Overrides,
        env: Environment,
    ) -> Result<Self, ConfigError> {
        Self::load_from(file, overrides, env, None)
    }

    fn load_from(
        file: Option<&Path>,
        overrides: &Overrides,
        env: Environment,
        state_directory: Option<OsString>,
    ) -> Result<Self, ConfigError> {
        let file_source = match file {
            Some(path) => File::from(path).format(FileFormat::Toml).required(true),
            None => File::with_name(DEFAULT_CONFIG_PATH)
                .format(FileFormat::Toml)
                .required(false),
        };
        let mut builder = Config::builder().add_source(file_source).add_source(
            env.prefix_separator(ENV_SEPARATOR)
                .separator(ENV_SEPARATOR)
                .try_parsing(true),
        );
        let path_string = |p: &PathBuf| p.to_string_lossy().into_owned();
        let pairs = [
            ("seeds.dir", overrides.seeds_dir.as_ref().map(path_string)),
            ("server.listen", overrides.listen.clone()),
            ("state.dir", overrides.state_dir.as_ref().map(path_string)),
            ("server.base_url", overrides.base_url.clone()),
        ];
        for (key, value) in pairs {
            if let Some(value) = value {
                builder = builder.set_override(key, value)?;
            }
        }
        let config = builder.build()?;
        // The built-in defaults are serde's, not a layer of `config`: this tells whether a
        // file, the environment or a flag set `state.dir`.
        let state_dir_set = config.get::<PathBuf>("state.dir").is_ok();
        let mut settings: Settings = config.try_deserialize()?;
        if !state_dir_set {
            if let Some(dir) = first_state_directory(state_directory) {
                settings.state.dir = dir;
            }
        }
        settings.validate()?;
        Ok(settings)
    }
}

/// The first entry of `$STATE_DIRECTORY` (systemd separates several with `:`).
fn first_state_directory(var: Option<OsString>) -> Option<PathBuf> {
    let var = var?;
    let first = var.to_str()?.split(':').next()?;
    (!first.is_empty()).then(|| PathBuf::from(first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::*;
    use std::collections::HashMap;
    use std::io::Write;

    /// The error with its sources, as `seedfeed` prints it.
    fn chain(err: &ConfigError) -> String {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(e) = source {
            text = format!("{text}: {e}");
            source = e.source();
        }
        text
    }

    fn load_toml(toml: &str) -> Result<Settings, ConfigError> {
        load_toml_env(toml, HashMap::new())
    }

    fn load_toml_env(toml: &str, env: HashMap<String, String>) -> Result<Settings, ConfigError> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(toml.as_bytes()).expect("write");
        let env = Environment::with_prefix(ENV_PREFIX).source(Some(env));
        Settings::load_with_env(Some(file.path()), &Overrides::default(), env)
    }

    #[test]
    fn defaults_are_valid() {
        let settings = load_toml("").expect("defaults load");
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.feed.items, 50);
    }

    #[test]
    fn bundled_default_toml_loads_and_matches_builtin_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CONFIG_PATH);
        let env = Environment::with_prefix(ENV_PREFIX).source(Some(HashMap::new()));
        let from_file = Settings::load_with_env(Some(&path), &Overrides::default(), env)
            .expect("config/default.toml loads");
        assert_eq!(from_file.to_toml(), Settings::default().to_toml());
    }

    #[test]
    fn unknown_key_is_named() {
        let err = load_toml("[feed]\ntitel = \"x\"\n").expect_err("unknown key");
        assert!(chain(&err).contains("titel"), "{}", chain(&err));
    }

    #[test]
    fn unknown_section_is_named() {
        let err = load_toml("[feeds]\ntitle = \"x\"\n").expect_err("unknown section");
        assert!(chain(&err).contains("feeds"), "{}", chain(&err));
    }

    #[test]
    fn bad_type_names_the_key() {
        let err = load_toml("[feed]\nitems = \"many\"\n").expect_err("bad type");
        assert!(chain(&err).contains("feed.items"), "{}", chain(&err));
    }

    #[test]
    fn bad_listen_address_names_the_key() {
        let err = load_toml("[server]\nlisten = \"localhost\"\n").expect_err("bad addr");
        assert!(chain(&err).contains("server.listen"), "{}", chain(&err));
    }

    #[test]
    fn out_of_range_values_name_the_key() {
        for (toml, key) in [
            ("[feed]\nitems = 0\n", "feed.items"),
            ("[server]\nbase_url = \"ftp://x\"\n", "server.base_url"),
            ("[server]\nbase_url = \"http://\"\n", "server.base_url"),
            ("[feed]\nlanguage = \"french language\"\n", "feed.language"),
            ("[seeds]\nignore = [\"a[\"]\n", "seeds.ignore"),
            ("[seeds]\nextensions = [\".txt\"]\n", "seeds.extensions"),
            ("[log]\nlevel = \"loud=,=\"\n", "log.level"),
            ("[watch]\ndebounce_ms = 999999\n", "watch.debounce_ms"),
            ("[watch]\ndebounce_ms = 0\n", "watch.debounce_ms"),
            (
                "[seeds]\nmax_file_bytes = 9223372036854775807\n",
                "seeds.max_file_bytes",
            ),
            ("[feed]\ntitle = \"bad\\u0001title\"\n", "feed.title"),
            ("[dates]\ntimezone = \"Mars/Olympus\"\n", "dates.timezone"),
            ("[dates]\ndefault_time = \"noon\"\n", "dates.default_time"),
            (
                "[dates]\nmonth_first_languages = [\"English\"]\n",
                "dates.month_first_languages",
            ),
            (
                "[boilerplate.languages.pt]\nlines = [\" \"]\n",
                "boilerplate.languages.pt.lines",
            ),
            (
                "[boilerplate.languages.Deutsch]\nlines = [\"x\"]\n",
                "boilerplate.languages.Deutsch",
            ),
            ("[boilerplate.languages.pt]\nline = [\"x\"]\n", "line"),
        ] {
            let err = load_toml(toml).expect_err(toml);
            assert!(chain(&err).contains(key), "{toml}: {}", chain(&err));
        }
    }

    #[test]
    fn environment_overrides_file_and_cli_overrides_environment() {
        let env = HashMap::from([
            ("SEEDFEED__FEED__TITLE".to_string(), "from env".to_string()),
            ("SEEDFEED__FEED__ITEMS".to_string(), "7".to_string()),
            (
                "SEEDFEED__SERVER__LISTEN".to_string(),
                "127.0.0.1:9000".to_string(),
            ),
        ]);
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(b"[feed]\ntitle = \"from file\"\nitems = 3\n")
            .expect("write");
        let overrides = Overrides {
            listen: Some("127.0.0.1:9100".into()),
            ..Overrides::default()
        };
        let env = Environment::with_prefix(ENV_PREFIX).source(Some(env));
        let settings = Settings::load_with_env(Some(file.path()), &overrides, env).expect("loads");
        assert_eq!(settings.feed.title, "from env");
        assert_eq!(settings.feed.items, 7);
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:9100");
    }

    #[test]
    fn unknown_environment_key_is_named() {
        let env = HashMap::from([("SEEDFEED__FEED__COLOUR".to_string(), "red".to_string())]);
        let err = load_toml_env("", env).expect_err("unknown env key");
        assert!(chain(&err).contains("colour"), "{}", chain(&err));
    }

    #[test]
    fn state_directory_applies_only_when_no_layer_sets_state_dir() {
        let systemd = Some(OsString::from("/var/lib/seedfeed:/var/lib/other"));
        let load = |toml: &str, overrides: &Overrides| {
            let mut file = tempfile::NamedTempFile::new().expect("temp file");
            file.write_all(toml.as_bytes()).expect("write");
            let env = Environment::with_prefix(ENV_PREFIX).source(Some(HashMap::new()));
            Settings::load_from(Some(file.path()), overrides, env, systemd.clone())
                .expect("loads")
                .state
                .dir
        };
        let none = Overrides::default();
        assert_eq!(load("", &none), PathBuf::from("/var/lib/seedfeed"));
        assert_eq!(
            load("[state]\ndir = \"state\"\n", &none),
            PathBuf::from("state")
        );
        let flag = Overrides {
            state_dir: Some("/srv/state".into()),
            ..Overrides::default()
        };
        assert_eq!(load("", &flag), PathBuf::from("/srv/state"));
        assert_eq!(first_state_directory(Some(OsString::new())), None);
        assert_eq!(first_state_directory(None), None);
    }

    #[test]
    fn base_url_defaults_from_bound_address() {
        let settings = Settings::default();
        let bound: SocketAddr = "0.0.0.0:8123".parse().expect("addr");
        assert_eq!(settings.public_base_url(bound), "http://127.0.0.1:8123");
        let mut settings = Settings::default();
        settings.server.base_url = "https://news.example.org/feeds/".into();
        assert_eq!(
            settings.public_base_url(bound),
            "https://news.example.org/feeds"
        );
    }
}
