//! The database itself: creating it on the server when it is missing.

use crate::error::Result;
use diesel::sql_types::Text;
use diesel::{sql_query, MysqlConnection, OptionalExtension, QueryableByName, RunQueryDsl};

/// The collation every reference database and table uses.
pub const COLLATION: &str = "utf8mb4_general_ci";

/// The default collation of a database, no row when it does not exist.
pub const DATABASE_COLLATION_SQL: &str = "SELECT default_collation_name AS name \
     FROM information_schema.schemata WHERE schema_name = ?";

/// `CREATE DATABASE` with the reference's character set and collation.
pub fn create_database_sql(name: &str) -> String {
    format!(
        "CREATE DATABASE IF NOT EXISTS {} CHARACTER SET utf8mb4 COLLATE {COLLATION}",
        quote_identifier(name)
    )
}

/// A MySQL identifier in backticks, a backtick inside doubled.
fn quote_identifier(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// What [`ensure_database`] found or did.
#[derive(Debug, Clone, PartialEq)]
pub enum Database {
    /// It was there already, with this default collation.
    Existed { collation: String },
    /// It was missing and is now created with [`COLLATION`].
    Created,
}

#[derive(QueryableByName)]
struct Collation {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Creates database `name` on the server unless it exists. `server` is a
/// connection that selects no database.
pub fn ensure_database(server: &mut MysqlConnection, name: &str) -> Result<Database> {
    let existing: Option<Collation> = sql_query(DATABASE_COLLATION_SQL)
        .bind::<Text, _>(name)
        .get_result(server)
        .optional()?;
    match existing {
        Some(found) => Ok(Database::Existed {
            collation: found.name,
        }),
        None => {
            sql_query(create_database_sql(name)).execute(server)?;
            Ok(Database::Created)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_with_the_reference_charset_and_collation() {
        assert_eq!(
            create_database_sql("mmstatus"),
            "CREATE DATABASE IF NOT EXISTS `mmstatus` CHARACTER SET utf8mb4 \
             COLLATE utf8mb4_general_ci"
        );
    }

    #[test]
    fn a_backtick_in_the_name_cannot_end_the_identifier() {
        assert_eq!(
            create_database_sql("a`b"),
            "CREATE DATABASE IF NOT EXISTS `a``b` CHARACTER SET utf8mb4 \
             COLLATE utf8mb4_general_ci"
        );
    }
}
