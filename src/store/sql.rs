//! Hand-written SQL that PostgreSQL prepares once per connection.
//!
//! diesel caches a prepared statement for every query whose SQL text it can trust to stay fixed, but never for
//! `sql_query` or `sql()` fragments. The reads that grow with the blog (listing windows, counts) are written here as
//! one SQL text per query shape, with every value bound: diesel then keys its statement cache by that text, so each
//! shape is parsed once per connection instead of on every request.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::RunQueryDsl;

/// One bound value and its SQL type.
trait Bind: Send {
    fn walk<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

struct Typed<ST, T> {
    value: T,
    sql_type: std::marker::PhantomData<fn() -> ST>,
}

impl<ST, T> Bind for Typed<ST, T>
where
    Pg: HasSqlType<ST>,
    T: ToSql<ST, Pg> + Send,
{
    fn walk<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<ST, T>(&self.value)
    }
}

/// A statement under construction: SQL text with `$n` placeholders, and the values bound to them.
#[derive(Default)]
pub struct Sql {
    /// The text between binds: always one more part than binds.
    parts: Vec<String>,
    binds: Vec<Box<dyn Bind>>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            parts: vec![text.to_owned()],
            binds: Vec::new(),
        }
    }

    /// Appends SQL text. Never pass it a value a request chose: values go through `bind`.
    pub fn push(&mut self, text: &str) -> &mut Sql {
        if let Some(last) = self.parts.last_mut() {
            last.push_str(text);
        }
        self
    }

    /// Appends a placeholder for `value`, typed `ST`.
    pub fn bind<ST: 'static, T>(&mut self, value: T) -> &mut Sql
    where
        Pg: HasSqlType<ST>,
        T: ToSql<ST, Pg> + Send + 'static,
    {
        self.binds.push(Box::new(Typed {
            value,
            sql_type: std::marker::PhantomData,
        }));
        self.parts.push(String::new());
        self
    }

    /// The finished statement.
    pub fn done(&mut self) -> Sql {
        std::mem::take(self)
    }
}

impl QueryFragment<Pg> for Sql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut parts = self.parts.iter();
        if let Some(first) = parts.next() {
            out.push_sql(first);
        }
        for (bind, text) in self.binds.iter().zip(parts) {
            bind.walk(out.reborrow())?;
            out.push_sql(text);
        }
        Ok(())
    }
}

/// No static id: diesel keys the prepared statement by the SQL text and the bind types.
impl QueryId for Sql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Sql {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Sql {}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::{BigInt, Text};

    #[test]
    fn binds_become_numbered_placeholders_in_place() {
        let q = Sql::new("SELECT ")
            .bind::<BigInt, _>(1_i64)
            .push(" WHERE slug = ")
            .bind::<Text, _>("a".to_owned())
            .push(" LIMIT 1")
            .done();
        let text = diesel::debug_query::<Pg, _>(&q).to_string();
        assert!(
            text.starts_with("SELECT $1 WHERE slug = $2 LIMIT 1"),
            "{text}"
        );
    }
}
