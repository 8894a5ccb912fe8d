//! Pure rules shared by the HTTP layer and the store: value types and text processing.
