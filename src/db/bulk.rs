//! Set-based statements over a batch of rows, whose number of placeholders
//! depends on the batch: `IN (?, …)` lists and `CASE key WHEN ? THEN ? … END`
//! expressions, the values bound in the order the text places them.
//!
//! `CASE` rather than a derived table of bound rows: a bound string compared
//! with a column takes the column's collation, where a derived table's column
//! would clash with it.
//!
//! A statement run for every unit of work (a match) can stay prepared on the
//! connection ([`Statement::execute_prepared`]): the server then parses it
//! once per shape and run, not once per unit.

use chrono::NaiveDateTime;
use diesel::mysql::Mysql;
use diesel::query_builder::{AstPass, BoxedSqlQuery, Query, QueryFragment, QueryId, SqlQuery};
use diesel::sql_types::{BigInt, Datetime, Nullable, Text, Untyped};
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

impl From<bool> for Bind {
    fn from(v: bool) -> Bind {
        Bind::Int(i64::from(v))
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
    /// Where each placeholder is in `sql`, in the order of `binds`.
    placeholders: Vec<usize>,
}

impl Statement {
    pub fn new(sql: &str) -> Statement {
        Statement {
            sql: sql.to_string(),
            ..Statement::default()
        }
    }

    /// SQL whose `?` placeholders (none inside quotes) take `values`, in
    /// order.
    pub fn bound(sql: &str, values: impl IntoIterator<Item = Bind>) -> Statement {
        Statement::default().push_bound(sql, values)
    }

    /// Appends text.
    pub fn push(mut self, sql: &str) -> Statement {
        self.sql.push_str(sql);
        self
    }

    /// Appends text whose `?` placeholders (none inside quotes) take
    /// `values`, in order.
    pub fn push_bound(mut self, text: &str, values: impl IntoIterator<Item = Bind>) -> Statement {
        let start = self.sql.len();
        self.placeholders
            .extend(text.match_indices('?').map(|(i, _)| start + i));
        self.sql.push_str(text);
        self.binds.extend(values);
        self
    }

    /// Appends one placeholder.
    pub fn value(mut self, value: impl Into<Bind>) -> Statement {
        self.placeholder(value.into());
        self
    }

    fn placeholder(&mut self, value: Bind) {
        self.placeholders.push(self.sql.len());
        self.sql.push('?');
        self.binds.push(value);
    }

    /// Appends `(?, ?, …)`, one placeholder per value. An empty list is a
    /// syntax error in SQL: callers skip the statement instead.
    pub fn list<V: Into<Bind>>(mut self, values: impl IntoIterator<Item = V>) -> Statement {
        self.sql.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.placeholder(v.into());
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
            self.sql.push_str(" WHEN ");
            self.placeholder(k.into());
            self.sql.push_str(" THEN ");
            self.placeholder(v.into());
        }
        self.sql.push_str(" END");
        self
    }

    /// Appends `CASE <key> WHEN ? THEN ? … ELSE ? END`: the value of each
    /// key, `default` for any other (just `?`, the default, without keys).
    pub fn case_else<K: Into<Bind>, V: Into<Bind>>(
        mut self,
        key: &str,
        pairs: impl IntoIterator<Item = (K, V)>,
        default: impl Into<Bind>,
    ) -> Statement {
        let mut pairs = pairs.into_iter().peekable();
        if pairs.peek().is_none() {
            return self.value(default);
        }
        self = self.case(key, pairs);
        self.sql.truncate(self.sql.len() - " END".len());
        self.sql.push_str(" ELSE ");
        self.value(default).push(" END")
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

    /// Runs it as a statement the connection keeps prepared for the rest of
    /// its life, keyed by its text: for a statement run once per unit of work
    /// whose text takes only a few shapes (one per batch size, say), never
    /// for text that varies without bound.
    pub fn execute_prepared(self, conn: &mut MysqlConnection) -> QueryResult<usize> {
        Prepared(self).execute(conn)
    }

    /// Runs a query as [`Statement::execute_prepared`] does, and reads its
    /// rows.
    pub fn load_prepared<U: QueryableByName<Mysql> + 'static>(
        self,
        conn: &mut MysqlConnection,
    ) -> QueryResult<Vec<U>> {
        Prepared(self).load(conn)
    }

    /// Runs a query and reads its rows.
    pub fn load<U: QueryableByName<Mysql> + 'static>(
        self,
        conn: &mut MysqlConnection,
    ) -> QueryResult<Vec<U>> {
        self.query().load(conn)
    }
}

/// A [`Statement`] that Diesel may cache: it never calls
/// `unsafe_to_cache_prepared`, and without a static query id Diesel keys
/// the cache by the SQL text and the bind types.
struct Prepared(Statement);

impl QueryId for Prepared {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Mysql> for Prepared {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
        let Statement {
            sql,
            binds,
            placeholders,
        } = &self.0;
        let mut from = 0;
        for (at, bind) in placeholders.iter().zip(binds) {
            out.push_sql(&sql[from..*at]);
            match bind {
                Bind::Int(v) => out.push_bind_param::<BigInt, _>(v)?,
                Bind::NullableInt(v) => out.push_bind_param::<Nullable<BigInt>, _>(v)?,
                Bind::Text(v) => out.push_bind_param::<Text, _>(v)?,
                Bind::NullableText(v) => out.push_bind_param::<Nullable<Text>, _>(v)?,
                Bind::Datetime(v) => out.push_bind_param::<Datetime, _>(v)?,
            }
            from = at + 1;
        }
        out.push_sql(&sql[from..]);
        Ok(())
    }
}

impl Query for Prepared {
    type SqlType = Untyped;
}

impl RunQueryDsl<MysqlConnection> for Prepared {}

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
        assert_placeholders_found(&s);
    }

    /// Each recorded placeholder is a `?` of the text, one per value.
    fn assert_placeholders_found(s: &Statement) {
        let marks: Vec<usize> = s.sql.match_indices('?').map(|(i, _)| i).collect();
        assert_eq!(s.placeholders, marks);
        assert_eq!(s.binds.len(), marks.len());
    }

    #[test]
    fn bound_text_takes_its_values_in_order() {
        let s = Statement::new("INSERT INTO t VALUES ")
            .push_bound("(?, 'x', ?)", [Bind::Int(1), Bind::from("a")])
            .push(", ")
            .push_bound("(?, 'x', ?)", [Bind::Int(2), Bind::from("b")]);
        assert_eq!(s.sql(), "INSERT INTO t VALUES (?, 'x', ?), (?, 'x', ?)");
        assert_eq!(
            s.binds,
            [Bind::Int(1), Bind::from("a"), Bind::Int(2), Bind::from("b")]
        );
        assert_placeholders_found(&s);
    }

    #[test]
    fn case_else_gives_the_default_to_other_keys() {
        let s = Statement::new("SET a = ").case_else("k", [("x", true)], false);
        assert_eq!(s.sql(), "SET a = CASE k WHEN ? THEN ? ELSE ? END");
        assert_eq!(s.binds, [Bind::from("x"), Bind::Int(1), Bind::Int(0)]);
        assert_placeholders_found(&s);
        let none: [(&str, i64); 0] = [];
        let s = Statement::new("SET a = ").case_else("k", none, Bind::NullableInt(None));
        assert_eq!(s.sql(), "SET a = ?");
        assert_eq!(s.binds, [Bind::NullableInt(None)]);
        assert_placeholders_found(&s);
    }
}
