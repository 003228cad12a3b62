//! Everything that talks to MySQL: connections, the database itself, locks,
//! migrations, the Diesel schema, models and the queries of each table.

pub mod bulk;
pub mod collector_state;
pub mod connection;
pub mod database;
pub mod elo;
pub mod game;
pub mod lock;
pub mod lock_retry;
pub mod map;
pub mod migrations;
pub mod models;
pub mod names;
pub mod player_geo;
pub mod report;
pub mod schema;
pub mod season;
pub mod season_transition;
pub mod text;
pub mod zone;
pub mod zone_tree;

pub use connection::{connect, connect_server};
