//! Rows of the reference tables, as Diesel reads and writes them.

use crate::db::schema::{season, zone};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = season)]
pub struct Season {
    pub id: i32,
    pub name: String,
    pub start_time: NaiveDateTime,
    pub end_time: NaiveDateTime,
    pub is_aggregated: bool,
}

impl Season {
    /// Seasons include both ends of their window, as in the reference.
    pub fn contains(&self, time: NaiveDateTime) -> bool {
        self.start_time <= time && time <= self.end_time
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = season)]
pub struct NewSeason<'a> {
    pub name: &'a str,
    pub start_time: NaiveDateTime,
    pub end_time: NaiveDateTime,
    pub is_aggregated: bool,
}

/// A node of the Nadeo zone tree (World, continents, countries, regions…).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = zone, treat_none_as_null = true)]
pub struct Zone {
    pub id: i32,
    pub uuid: String,
    pub name: String,
    pub parent_id: Option<i32>,
    pub country_alpha3: Option<String>,
    pub file_name: String,
}
