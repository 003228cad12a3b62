//! Integration tests: the `mmstatus` binary against a real MariaDB/MySQL
//! server, each test in a database of its own.

mod bench_fetch;
mod cli;
mod collect_crash;
mod collect_elo;
mod collect_geo;
mod collect_locks;
mod collect_maps;
mod collect_matches;
mod collect_names;
mod collect_ranks;
mod collect_scenario;
mod collector;
mod common;
mod create_season;
mod db_connection;
mod deploy;
mod dev_db;
mod env_config;
mod fake_nadeo;
mod fetch;
mod gen_data;
mod init_db;
mod migrate;
mod nadeo_credentials_sharing;
mod nadeo_endpoints;
mod nadeo_harness;
mod nadeo_logging;
mod nadeo_server_numbers;
mod nadeo_tokens;
mod pipeline;
mod reference_db;
mod reference_schema;
mod relay;
mod schema_rs;
