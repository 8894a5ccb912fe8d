//! Diesel queries per resource: rows in, rows out. No HTTP types here.
