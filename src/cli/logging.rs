//! The logger every run installs: stderr, level from the flags or RUST_LOG.

use crate::cli::GlobalOpts;

/// Crates of the HTTP stack. Below info they log raw traffic (the HTTP
/// client dumps every request and response byte at trace level), which holds
/// tokens, refresh tokens, client secrets and passwords.
const HTTP_STACK: &[&str] = &[
    "ureq",
    "ureq_proto",
    "http",
    "httparse",
    "rustls",
    "rustls_pki_types",
    "webpki",
    "hyper",
    "h2",
    "native_tls",
    "openssl",
];

/// The progress bar on screen, if any: records are printed above it.
static PROGRESS_BAR: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// Makes log records print above `bar` (None: no bar any more), so a bar and
/// log lines on one terminal do not overwrite each other.
pub fn set_progress_bar(bar: Option<indicatif::ProgressBar>) {
    if let Ok(mut current) = PROGRESS_BAR.lock() {
        *current = bar;
    }
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    PROGRESS_BAR.lock().ok().and_then(|bar| bar.clone())
}

/// Installs the logger the flags and the RUST_LOG variable ask for. The
/// binary calls it once at start; tests call it to log exactly as it does.
pub fn init_logging(global: &GlobalOpts) {
    let logger = build_logger(global, std::env::var("RUST_LOG").ok().as_deref());
    let max_level = logger.inner.filter();
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(max_level);
    }
}

/// env_logger's logger, minus every record below info from the HTTP stack.
/// This is done here rather than with filter directives because RUST_LOG
/// can always name a module more precisely than a directive overrides.
struct SecretSafeLogger {
    inner: env_logger::Logger,
}

impl log::Log for SecretSafeLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        !is_http_stack_detail(metadata.level(), metadata.target(), None)
            && self.inner.enabled(metadata)
    }

    fn log(&self, record: &log::Record) {
        if is_http_stack_detail(record.level(), record.target(), record.module_path())
            || !self.inner.matches(record)
        {
            return;
        }
        match progress_bar() {
            Some(bar) => bar.suspend(|| self.inner.log(record)),
            None => self.inner.log(record),
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Whether a record is below info and comes from the HTTP stack, by its
/// target or its module path.
fn is_http_stack_detail(level: log::Level, target: &str, module_path: Option<&str>) -> bool {
    let from_http_stack = |path: &str| {
        let krate = path.split("::").next().unwrap_or(path);
        HTTP_STACK.contains(&krate)
    };
    level > log::Level::Info
        && (from_http_stack(target) || module_path.is_some_and(from_http_stack))
}

/// The logger the flags and RUST_LOG (which wins) ask for.
fn build_logger(global: &GlobalOpts, rust_log: Option<&str>) -> SecretSafeLogger {
    let level = match (global.quiet, global.verbose) {
        (true, _) => log::LevelFilter::Error,
        (false, 0) => log::LevelFilter::Info,
        (false, 1) => log::LevelFilter::Debug,
        (false, _) => log::LevelFilter::Trace,
    };
    let mut builder = env_logger::Builder::new();
    builder.filter_level(log::LevelFilter::Warn);
    builder.filter_module("mmstatus", level);
    if let Some(spec) = rust_log {
        builder.parse_filters(spec);
    }
    SecretSafeLogger {
        inner: builder.build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use log::Log;

    fn enabled(logger: &SecretSafeLogger, target: &str, level: log::Level) -> bool {
        logger.enabled(&log::Metadata::builder().target(target).level(level).build())
    }

    #[test]
    fn verbosity_flags_and_rust_log() {
        let opts = |verbose, quiet| GlobalOpts {
            database_url: None,
            verbose,
            quiet,
        };
        let default = build_logger(&opts(0, false), None);
        assert!(enabled(&default, "mmstatus::db", log::Level::Info));
        assert!(!enabled(&default, "mmstatus::db", log::Level::Debug));
        assert!(!enabled(&default, "diesel", log::Level::Info));
        assert!(enabled(
            &build_logger(&opts(1, false), None),
            "mmstatus",
            log::Level::Debug
        ));
        assert!(!enabled(
            &build_logger(&opts(0, true), None),
            "mmstatus",
            log::Level::Warn
        ));
        let from_env = build_logger(&opts(0, true), Some("mmstatus=trace"));
        assert!(
            enabled(&from_env, "mmstatus::nadeo", log::Level::Trace),
            "RUST_LOG wins"
        );
    }

    #[test]
    fn the_http_stack_never_logs_below_info() {
        let opts = GlobalOpts {
            database_url: None,
            verbose: 2,
            quiet: false,
        };
        for spec in [
            None,
            Some("trace"),
            Some("ureq_proto=trace,ureq=trace"),
            Some("ureq_proto::util=trace"),
            Some("ureq_proto::client::amended=trace"),
            Some("rustls::client=trace"),
        ] {
            let logger = build_logger(&opts, spec);
            for target in ["ureq_proto::util", "ureq::run", "rustls::conn", "http"] {
                assert!(
                    !enabled(&logger, target, log::Level::Trace),
                    "{spec:?} {target}"
                );
                assert!(
                    !enabled(&logger, target, log::Level::Debug),
                    "{spec:?} {target}"
                );
            }
        }
        let everything = build_logger(&opts, Some("trace"));
        assert!(enabled(&everything, "mmstatus", log::Level::Trace));
        assert!(enabled(&everything, "ureq::run", log::Level::Info));
        assert!(
            enabled(&everything, "ureqx", log::Level::Trace),
            "only whole crate names match"
        );
    }

    #[test]
    fn records_are_judged_by_module_path_too() {
        assert!(is_http_stack_detail(
            log::Level::Trace,
            "custom-target",
            Some("ureq_proto::util")
        ));
        assert!(is_http_stack_detail(log::Level::Debug, "ureq", None));
        assert!(!is_http_stack_detail(
            log::Level::Info,
            "custom-target",
            Some("ureq_proto::util")
        ));
        assert!(!is_http_stack_detail(
            log::Level::Trace,
            "mmstatus::nadeo",
            Some("mmstatus::nadeo::transport")
        ));
    }
}
