//! # fazhi-report — documents
//!
//! What fazhi writes for people to read outside its pages: the annual report ([`annual`]) as
//! Markdown, HTML and Word ([`docx`]); charts as SVG ([`charts`]) and PNG ([`png`]); ledgers as
//! Excel workbooks with Chinese headers ([`ledger`]). Input is plain data assembled by the
//! service; nothing here reads the database or speaks HTTP.
//!
//! Must not depend on axum or sqlx.

pub mod annual;
pub mod charts;
pub mod docx;
pub mod ledger;
pub mod named;
pub mod paper;
pub mod png;
