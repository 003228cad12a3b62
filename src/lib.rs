//! mmstatus: Trackmania ranked matchmaking, tracked into MySQL.
//!
//! The binary is a thin shell over [`cli::main`]; the modules are public so
//! the integration tests can drive the same code against a real server.

pub mod atomic_file;
pub mod cli;
pub mod collect;
pub mod config;
pub mod db;
pub mod env;
pub mod error;
pub mod ids;
pub mod nadeo;
pub mod report;
pub mod stats;
pub mod time;
