//! # fazhi-report — documents
//!
//! What fazhi writes for people to read outside its pages: charts as SVG ([`charts`]), ledgers as
//! Excel workbooks with Chinese headers ([`ledger`]). Input is plain data assembled by the
//! service; nothing here reads the database or speaks HTTP.
//!
//! Must not depend on axum or sqlx.

pub mod charts;
pub mod ledger;
