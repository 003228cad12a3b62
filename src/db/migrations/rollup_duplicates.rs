//! The duplicate rankstatrollup rows a reference database may hold (its
//! writers checked for a row before inserting, without a unique key), counted
//! before the migration that deletes them and adds the key, so that `migrate`
//! can say what it removed.

use crate::error::Result;
use diesel::sql_types::BigInt;
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};

/// Per key with more than one row: how many rows go (all but the lowest id)
/// and whether the copies disagree on what they count.
pub const COUNT_DUPLICATES_SQL: &str = "SELECT CAST(COUNT(*) AS SIGNED) AS `keys`, \
     CAST(IFNULL(SUM(`rows` - 1), 0) AS SIGNED) AS `extra`, \
     CAST(IFNULL(SUM(`variants` > 1), 0) AS SIGNED) AS `differing` \
     FROM (SELECT COUNT(*) AS `rows`, \
             COUNT(DISTINCT `count`, IFNULL(`last_game_time`, '0000-00-00 00:00:00')) AS `variants` \
           FROM `rankstatrollup` GROUP BY `period`, `rank`, `start_time`, `end_time` \
           HAVING COUNT(*) > 1) AS `dups`";

/// What the unique key's migration deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct RollupDuplicates {
    /// Keys (period, rank, start_time, end_time) held by more than one row.
    #[diesel(sql_type = BigInt)]
    pub keys: i64,
    /// Rows deleted: all but the lowest id of each such key.
    #[diesel(sql_type = BigInt)]
    pub extra: i64,
    /// Keys whose rows differ in `count` or `last_game_time`.
    #[diesel(sql_type = BigInt)]
    pub differing: i64,
}

pub fn count(conn: &mut MysqlConnection) -> Result<RollupDuplicates> {
    Ok(sql_query(COUNT_DUPLICATES_SQL).get_result(conn)?)
}

impl RollupDuplicates {
    /// The line `migrate` prints after deleting them.
    pub fn describe(&self) -> String {
        let mut line = format!(
            "rankstatrollup: deleted {} duplicate row(s) of {} (period, rank, start_time, end_time) \
             key(s), keeping the row of lowest id of each",
            self.extra, self.keys
        );
        if self.differing > 0 {
            line.push_str(&format!(
                "; the copies of {} key(s) differed in count or last_game_time",
                self.differing
            ));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_says_what_went_and_whether_copies_differed() {
        let same = RollupDuplicates {
            keys: 2,
            extra: 3,
            differing: 0,
        };
        assert_eq!(
            same.describe(),
            "rankstatrollup: deleted 3 duplicate row(s) of 2 (period, rank, start_time, end_time) \
             key(s), keeping the row of lowest id of each"
        );
        let differing = RollupDuplicates {
            differing: 1,
            ..same
        };
        assert!(differing
            .describe()
            .ends_with("; the copies of 1 key(s) differed in count or last_game_time"));
    }
}
