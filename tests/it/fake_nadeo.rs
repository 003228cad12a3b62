//! The fake Nadeo and Trackmania APIs the tests use: the simulator's server
//! core (crate `mmstatus-sim`), under the names the tests know.

pub use mmstatus_sim::{
    jwt, unix_now, AnswerShape, FakeApi, Recorded, Reply, Scenario, ScenarioMatch, TokenAuthority,
    PLAYERS,
};
