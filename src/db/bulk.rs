//! Set-based statements over a batch of rows, whose number of placeholders
//! depends on the batch: `IN (?, …)` lists and `CASE key WHEN ? THEN ? … END`
//! expressions, the values bound in the order the text places them.
//!
//! `CASE` rather than a derived table of bound rows: a bound string compared
//! with a column takes the column's collation, where a derived table's column
//! would clash with it.

use chrono::NaiveDateTime;
use diesel::mysql::Mysql;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Datetime, Nullable, Text};
use diesel::{MysqlConnection, QueryResult, QueryableByName, RunQueryDsl};

/// A value to bind.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Int(i64),
    NullableInt(Option<i64>),
    Text(String),
    NullableText(Option<String>),
    Datetime(NaiveDateTime),
}

impl From<i64> for Bind {
    fn from(v: i64) -> Bind {
        Bind::Int(v)
    }
}

impl From<i32> for Bind {
    fn from(v: i32) -> Bind {
        Bind::Int(i64::from(v))
    }
}

impl From<Option<i32>> for Bind {
    fn from(v: Option<i32>) -> Bind {
        Bind::NullableInt(v.map(i64::from))
    }
}

impl From<&str> for Bind {
    fn from(v: &str) -> Bind {
        Bind::Text(v.to_string())
    }
}

impl From<&String> for Bind {
    fn from(v: &String) -> Bind {
        Bind::Text(v.clone())
    }
}

impl From<String> for Bind {
    fn from(v: String) -> Bind {
        Bind::Text(v)
    }
}

impl From<Option<String>> for Bind {
    fn from(v: Option<String>) -> Bind {
        Bind::NullableText(v)
    }
}

impl From<NaiveDateTime> for Bind {
    fn from(v: NaiveDateTime) -> Bind {
        Bind::Datetime(v)
    }
}

/// SQL text and its values, built left to right.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statement {
    sql: String,
    binds: Vec<Bind>,
}

impl Statement {
    pub fn new(sql: &str) -> Statement {
        Statement {
            sql: sql.to_string(),
            binds: Vec::new(),
        }
    }

    /// Appends text.
    pub fn push(mut self, sql: &str) -> Statement {
        self.sql.push_str(sql);
        self
    }

    /// Appends one placeholder.
    pub fn value(mut self, value: impl Into<Bind>) -> Statement {
        self.sql.push('?');
        self.binds.push(value.into());
        self
    }

    /// Appends `(?, ?, …)`, one placeholder per value. An empty list is a
    /// syntax error in SQL: callers skip the statement instead.
    pub fn list<V: Into<Bind>>(mut self, values: impl IntoIterator<Item = V>) -> Statement {
        self.sql.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push('?');
            self.binds.push(v.into());
        }
        self.sql.push(')');
        self
    }

    /// Appends `CASE <key> WHEN ? THEN ? … END`: the value of each key.
    pub fn case<K: Into<Bind>, V: Into<Bind>>(
        mut self,
        key: &str,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Statement {
        self.sql.push_str("CASE ");
        self.sql.push_str(key);
        for (k, v) in pairs {
            self.sql.push_str(" WHEN ? THEN ?");
            self.binds.push(k.into());
            self.binds.push(v.into());
        }
        self.sql.push_str(" END");
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    fn query(self) -> BoxedSqlQuery<'static, Mysql, SqlQuery> {
        let mut query = diesel::sql_query(self.sql).into_boxed::<Mysql>();
        for bind in self.binds {
            query = match bind {
                Bind::Int(v) => query.bind::<BigInt, _>(v),
                Bind::NullableInt(v) => query.bind::<Nullable<BigInt>, _>(v),
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::NullableText(v) => query.bind::<Nullable<Text>, _>(v),
                Bind::Datetime(v) => query.bind::<Datetime, _>(v),
            };
        }
        query
    }

    /// Runs it; the number of rows it changed.
    pub fn execute(self, conn: &mut MysqlConnection) -> QueryResult<usize> {
        self.query().execute(conn)
    }

    /// Runs a query and reads its rows.
    pub fn load<U: QueryableByName<Mysql> + 'static>(
        self,
        conn: &mut MysqlConnection,
    ) -> QueryResult<Vec<U>> {
        self.query().load(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_values_in_order() {
        let s = Statement::new("UPDATE t SET a = ")
            .case("k", [("x", 1i64), ("y", 2)])
            .push(", b = ")
            .value(7)
            .push(" WHERE k IN ")
            .list(["x", "y"]);
        assert_eq!(
            s.sql(),
            "UPDATE t SET a = CASE k WHEN ? THEN ? WHEN ? THEN ? END, b = ? WHERE k IN (?, ?)"
        );
        assert_eq!(
            s.binds,
            [
                Bind::from("x"),
                Bind::Int(1),
                Bind::from("y"),
                Bind::Int(2),
                Bind::Int(7),
                Bind::from("x"),
                Bind::from("y")
            ]
        );
    }
}
