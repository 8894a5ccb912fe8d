//! The site's settings: one row holding one JSON document, versioned like every written resource.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use serde_json::Value;

use super::{lock_counts, Error, Outcome, Result};
use crate::db::schema::site;
use crate::domain::site::SiteSettings;

/// The settings as stored, with their version and the time of their last change.
#[derive(Debug, Clone)]
pub struct Site {
    pub settings: SiteSettings,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// Stored settings that no longer follow the rules (written by hand in the database) read as the defaults, and
/// the log says so: reads keep working, and the next write through the API stores valid settings.
fn settings_of(value: Value) -> SiteSettings {
    match serde_json::from_value::<SiteSettings>(value) {
        Ok(settings) => settings.parse().unwrap_or_else(|errors| {
            log::warn!(
                "the stored site settings break the rules ({errors:?}); reading the defaults"
            );
            SiteSettings::default()
        }),
        Err(e) => {
            log::warn!("the stored site settings do not parse ({e}); reading the defaults");
            SiteSettings::default()
        }
    }
}

fn load(conn: &mut PgConnection, lock: bool) -> Result<Site> {
    let q = site::table.select((site::settings, site::version, site::updated_at));
    let row: Option<(Value, i64, DateTime<Utc>)> = if lock {
        q.for_update().first(conn).optional()?
    } else {
        q.first(conn).optional()?
    };
    let (settings, version, updated_at) = row.ok_or(Error::NotFound)?;
    Ok(Site {
        settings: settings_of(settings),
        version,
        updated_at,
    })
}

/// The current settings.
pub fn get(conn: &mut PgConnection) -> Result<Site> {
    load(conn, false)
}

/// Replaces the settings with what `merge` makes of the current ones (locked): identical settings write nothing.
pub fn update_with<E>(
    conn: &mut PgConnection,
    merge: impl FnOnce(&Site) -> std::result::Result<SiteSettings, E>,
) -> std::result::Result<Outcome<Site>, E>
where
    E: From<Error> + From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        lock_counts(conn)?;
        let current = load(conn, true)?;
        let next = merge(&current)?;
        if next == current.settings {
            return Ok(Outcome::Unchanged(current));
        }
        let value = serde_json::to_value(&next)
            .map_err(|e| Error::Db(diesel::result::Error::SerializationError(Box::new(e))))?;
        diesel::update(site::table)
            .set((
                site::settings.eq(value),
                site::version.eq(site::version + 1),
                site::updated_at.eq(sql::<Timestamptz>("now()")),
            ))
            .execute(conn)?;
        Ok(Outcome::Updated(load(conn, false)?))
    })
}
