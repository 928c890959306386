//! # fazhi-domain — the pure core
//!
//! Everything fazhi knows about the law and about a township's work, with no I/O:
//! validated value types ([`values`]: 居民身份证号码, 统一社会信用代码, phone numbers, money),
//! typed ids ([`ids`]), units and roles ([`unit`], [`role`]), the official working-day calendar and
//! the deadline engine ([`calendar`], [`deadline`]), the workflow engine ([`workflow`]) that runs
//! every case kind from a table, the hash chain of events ([`event`]), the metric catalogue
//! ([`metric`]), and one folder per case kind ([`work_order`], [`visit`], [`dispute`], [`petition`]).
//!
//! This crate must not depend on tokio, sqlx or axum: it is tested without a database or a network,
//! and every other crate builds on it.

pub mod calendar;
pub mod case;
pub mod deadline;
pub mod dispute;
pub mod error;
pub mod event;
pub mod ids;
pub mod kinds;
pub mod metric;
pub mod petition;
pub mod rate;
pub mod record;
pub mod role;
pub mod search;
pub mod settings;
pub mod time_util;
pub mod unit;
pub mod values;
pub mod visit;
pub mod work_order;
pub mod workflow;

#[cfg(test)]
mod conformance_tests;
#[cfg(test)]
pub(crate) mod testing;

pub use error::{FieldError, Invalid};
