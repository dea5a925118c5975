//! The migration-api application.
