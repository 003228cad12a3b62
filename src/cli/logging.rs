//! The logger every run installs: stderr, level from the flags or RUST_LOG.

use crate::cli::GlobalOpts;

/// Installs the logger the flags and the RUST_LOG variable ask for. The
/// binary calls it once at start; tests call it to log exactly as it does.
pub fn init_logging(global: &GlobalOpts) {
    let logger = build_logger(global, std::env::var("RUST_LOG").ok().as_deref());
    let max_level = logger.filter();
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(max_level);
    }
}

/// The logger the flags and RUST_LOG (which wins) ask for.
fn build_logger(global: &GlobalOpts, rust_log: Option<&str>) -> env_logger::Logger {
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
    // The HTTP client dumps raw requests and responses at trace level, tokens
    // included: whatever RUST_LOG asks, it never logs below info.
    for module in ["ureq", "ureq_proto"] {
        builder.filter_module(module, log::LevelFilter::Info);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled(logger: &env_logger::Logger, target: &str, level: log::Level) -> bool {
        use log::Log;
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
    fn the_http_client_never_logs_raw_traffic() {
        let opts = GlobalOpts {
            database_url: None,
            verbose: 2,
            quiet: false,
        };
        for spec in [None, Some("trace"), Some("ureq_proto=trace,ureq=trace")] {
            let logger = build_logger(&opts, spec);
            assert!(
                !enabled(&logger, "ureq_proto::util", log::Level::Trace),
                "{spec:?}"
            );
            assert!(
                !enabled(&logger, "ureq::run", log::Level::Debug),
                "{spec:?}"
            );
        }
        assert!(enabled(
            &build_logger(&opts, Some("trace")),
            "mmstatus",
            log::Level::Trace
        ));
    }
}
