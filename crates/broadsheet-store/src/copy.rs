//! `migrate-to`: copies a whole SQLite site into an empty PostgreSQL schema in one
//! transaction, then checks every table's row count and an order-independent checksum of its
//! rows on both sides. Columns are taken from the PostgreSQL schema and read from SQLite by
//! name, so a table added to both migrations is copied without touching this file.

use std::collections::BTreeMap;

use sqlx::{QueryBuilder, Row};
use xxhash_rust::xxh3::xxh3_64;

use crate::{PgStore, Result, SqliteStore, StoreError};

/// One table's figures after the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub rows: u64,
    /// Whether the checksums of both sides agree.
    pub matches: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    BigInt,
    Int,
    Bool,
    Float,
    Text,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(Option<i64>),
    Int32(Option<i32>),
    Bool(Option<bool>),
    Float(Option<f64>),
    Text(Option<String>),
}

impl Value {
    /// A canonical text form, the same from either database.
    fn canonical(&self, out: &mut Vec<u8>) {
        let s = match self {
            Value::Int(v) => v.map(|v| v.to_string()),
            Value::Int32(v) => v.map(|v| v.to_string()),
            Value::Bool(v) => v.map(|v| u8::from(v).to_string()),
            Value::Float(v) => v.map(|v| format!("{:e}", v)),
            Value::Text(v) => v.clone(),
        };
        match s {
            Some(s) => {
                out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            None => out.extend_from_slice(&u64::MAX.to_le_bytes()),
        }
    }
}

/// Tables in the PostgreSQL schema that SQLite has too, and their columns, in order. Tables
/// only PostgreSQL has are derived (its search index): the nodes build them, nobody copies
/// them.
async fn pg_tables(
    pg: &PgStore,
    in_sqlite: &[String],
) -> Result<BTreeMap<String, Vec<(String, Kind)>>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text
         FROM information_schema.columns c
         JOIN information_schema.tables t
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
           AND c.table_name <> '_migrations'
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(pg.pool())
    .await?;
    let mut out: BTreeMap<String, Vec<(String, Kind)>> = BTreeMap::new();
    for (table, column, ty) in rows {
        if !in_sqlite.contains(&table) {
            continue;
        }
        let kind = match ty.as_str() {
            "bigint" => Kind::BigInt,
            "integer" => Kind::Int,
            "boolean" => Kind::Bool,
            "double precision" => Kind::Float,
            "text" => Kind::Text,
            other => {
                return Err(StoreError::Conflict(format!(
                    "column {table}.{column} has type {other}, which migrate-to does not copy"
                )));
            }
        };
        out.entry(table).or_default().push((column, kind));
    }
    Ok(out)
}

fn select(table: &str, columns: &[(String, Kind)]) -> String {
    let list: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
    format!("SELECT {} FROM {table}", list.join(", "))
}

fn read_sqlite(row: &sqlx::sqlite::SqliteRow, columns: &[(String, Kind)]) -> Result<Vec<Value>> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                Kind::BigInt => Value::Int(row.try_get(i)?),
                Kind::Int => Value::Int32(
                    row.try_get::<Option<i64>, _>(i)?
                        .map(|v| {
                            i32::try_from(v).map_err(|_| {
                                StoreError::Conflict(format!(
                                    "{} = {v} does not fit the PostgreSQL column",
                                    columns[i].0
                                ))
                            })
                        })
                        .transpose()?,
                ),
                Kind::Bool => Value::Bool(row.try_get::<Option<i64>, _>(i)?.map(|v| v != 0)),
                Kind::Float => Value::Float(row.try_get(i)?),
                Kind::Text => Value::Text(row.try_get(i)?),
            })
        })
        .collect()
}

fn read_pg(row: &sqlx::postgres::PgRow, columns: &[(String, Kind)]) -> Result<Vec<Value>> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                Kind::BigInt => Value::Int(row.try_get(i)?),
                Kind::Int => Value::Int32(row.try_get(i)?),
                Kind::Bool => Value::Bool(row.try_get(i)?),
                Kind::Float => Value::Float(row.try_get(i)?),
                Kind::Text => Value::Text(row.try_get(i)?),
            })
        })
        .collect()
}

/// Row count and an order-independent checksum (a wrapping sum of row hashes).
fn fold(rows: &[Vec<Value>]) -> (u64, u64) {
    let mut sum = 0u64;
    let mut buf = Vec::new();
    for row in rows {
        buf.clear();
        for v in row {
            v.canonical(&mut buf);
        }
        sum = sum.wrapping_add(xxh3_64(&buf));
    }
    (rows.len() as u64, sum)
}

/// Copies every table of `from` into `to`, which must hold no rows yet (a fresh schema),
/// and checks the copy. Nothing is written unless the whole copy succeeds.
pub async fn sqlite_to_postgres(from: &SqliteStore, to: &PgStore) -> Result<Vec<TableCopy>> {
    let in_sqlite: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(from.reader())
            .await?;
    let every: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
           AND table_name <> '_migrations'",
    )
    .fetch_all(to.pool())
    .await?;
    // Only the site's own tables must be empty: the search crate's (which a node that
    // opened the database has created) are derived and rebuilt after the copy.
    for table in every.iter().filter(|t| in_sqlite.contains(t)) {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(to.pool())
                .await?;
        if n > 0 {
            return Err(StoreError::Conflict(format!(
                "the PostgreSQL database is not empty ({table} holds {n} rows): \
                 migrate-to only copies into a new, empty database"
            )));
        }
    }
    let tables = pg_tables(to, &in_sqlite).await?;
    let mut source: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut tx = to.begin().await?;
    // Tables refer to each other in a circle (media, users, authors): checked at commit.
    sqlx::query("SET CONSTRAINTS ALL DEFERRED")
        .execute(&mut *tx)
        .await?;
    for (table, columns) in &tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(select(table, columns)))
            .fetch_all(from.reader())
            .await
            .map_err(|e| {
                StoreError::Conflict(format!("cannot read {table} from the SQLite site: {e}"))
            })?;
        let values = rows
            .iter()
            .map(|r| read_sqlite(r, columns))
            .collect::<Result<Vec<_>>>()?;
        source.insert(table, fold(&values));
        // Batches well under PostgreSQL's 65,535 parameters.
        let per_batch = (30_000 / columns.len().max(1)).max(1);
        for batch in values.chunks(per_batch) {
            let names: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
            let mut q = QueryBuilder::<sqlx::Postgres>::new(format!(
                "INSERT INTO {table} ({}) ",
                names.join(", ")
            ));
            q.push_values(batch, |mut b, row| {
                for v in row {
                    match v {
                        Value::Int(v) => b.push_bind(*v),
                        Value::Int32(v) => b.push_bind(*v),
                        Value::Bool(v) => b.push_bind(*v),
                        Value::Float(v) => b.push_bind(*v),
                        Value::Text(v) => b.push_bind(v.clone()),
                    };
                }
            });
            q.build().execute(&mut *tx).await?;
        }
        // Identity columns continue after the copied ids.
        let identity: Option<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1
               AND is_identity = 'YES'",
        )
        .bind(table)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(col) = identity {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{col}'),
                               COALESCE((SELECT MAX({col}) FROM {table}), 0) + 1, false)"
            )))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    // Fresh statistics, so the planner's first queries on the copied tables are not planned
    // as if they were empty.
    for table in tables.keys() {
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {table}")))
            .execute(to.pool())
            .await?;
    }

    let mut out = Vec::new();
    for (table, columns) in &tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(select(table, columns)))
            .fetch_all(to.pool())
            .await?;
        let values = rows
            .iter()
            .map(|r| read_pg(r, columns))
            .collect::<Result<Vec<_>>>()?;
        let copied = fold(&values);
        let expected = source.get(table.as_str()).copied().unwrap_or_default();
        out.push(TableCopy {
            table: table.clone(),
            rows: copied.0,
            matches: copied == expected,
        });
    }
    Ok(out)
}
