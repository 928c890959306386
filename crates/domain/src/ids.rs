//! Typed ids. Every id is a time-ordered UUIDv7, written in its hyphenated form; a `CaseId` cannot
//! be passed where a `UserId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Invalid;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (from the database, or from a seeded generator).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// Parses the hyphenated form.
            ///
            /// # Errors
            /// A message saying the id is malformed.
            pub fn parse(s: &str) -> Result<Self, Invalid> {
                Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| Invalid::new("编号格式不正确"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = Invalid;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

typed_id!(
    /// A tenant: one town (镇/街道), or the district office that oversees towns.
    TenantId
);
typed_id!(
    /// A unit inside a tenant: the town, a department, a village or community, a grid.
    UnitId
);
typed_id!(
    /// A staff user.
    UserId
);
typed_id!(
    /// A case of any kind.
    CaseId
);
typed_id!(
    /// An event in the hash chain.
    EventId
);

/// Builds a UUIDv7 from a millisecond timestamp and 10 random bytes, so that seeded generators
/// (the demo data, the benchmarks) produce the same ids on every run.
pub fn uuid_v7_from(unix_ms: i64, random: [u8; 10]) -> Uuid {
    let ms = u64::try_from(unix_ms.max(0)).unwrap_or(0);
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6..].copy_from_slice(&random);
    b[6] = (b[6] & 0x0f) | 0x70; // version 7
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    Uuid::from_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_round_trips_through_its_text_form() {
        let id = CaseId::new();
        assert_eq!(CaseId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn a_malformed_id_is_refused_in_chinese() {
        assert_eq!(CaseId::parse("abc").unwrap_err().0, "编号格式不正确");
    }

    #[test]
    fn seeded_ids_are_version_7_and_ordered_by_time() {
        let a = uuid_v7_from(1_700_000_000_000, [9; 10]);
        let b = uuid_v7_from(1_700_000_000_001, [0; 10]);
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b);
    }
}
