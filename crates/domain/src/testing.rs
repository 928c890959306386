//! Test fixtures for the domain's own tests: a small town, actors by role, a stand-in sealer.

use std::collections::HashMap;

use time::OffsetDateTime;
use time::macros::datetime;

use crate::calendar::Calendar;
use crate::case::{Actor, ActorKind};
use crate::ids::{TenantId, UnitId, UserId};
use crate::role::Role;
use crate::settings::Settings;
use crate::unit::{Unit, UnitCode, UnitKind, UnitPath};
use crate::workflow::{ActCtx, Sealer};

/// Not encryption: marks the value so tests can see it was sealed.
pub struct TestSealer;

impl Sealer for TestSealer {
    fn seal(&self, plain: &str) -> String {
        format!("sealed:{}", plain.chars().rev().collect::<String>())
    }
    fn digest(&self, kind: &str, plain: &str) -> String {
        format!("{kind}:{}", plain.len())
    }
}

pub struct Town {
    pub tenant: TenantId,
    pub units: HashMap<UnitId, Unit>,
    pub town: UnitId,
    pub center: UnitId,
    pub longtan: UnitId,
    pub calendar: Calendar,
    pub settings: Settings,
}

impl Town {
    pub fn new() -> Self {
        let tenant = TenantId::new();
        let mut units = HashMap::new();
        let mut add = |parent: Option<&Unit>, code: &str, name: &str, kind: UnitKind| {
            let code = UnitCode::parse(code).unwrap();
            let path = parent.map_or_else(|| UnitPath::root(&code), |p| p.path.child(&code));
            let u = Unit {
                id: UnitId::new(),
                tenant_id: tenant,
                parent_id: parent.map(|p| p.id),
                kind,
                code,
                name: name.into(),
                path,
            };
            units.insert(u.id, u.clone());
            u
        };
        let town = add(None, "aotou", "鳌头镇", UnitKind::Town);
        let center = add(Some(&town), "zzzx", "综治中心", UnitKind::Department);
        let longtan = add(Some(&town), "longtan", "龙潭村", UnitKind::Village);
        add(Some(&town), "xitang", "西塘村", UnitKind::Village);
        Self {
            tenant,
            units,
            town: town.id,
            center: center.id,
            longtan: longtan.id,
            calendar: Calendar::builtin(),
            settings: Settings::default(),
        }
    }

    pub fn actor(&self, unit: UnitId, roles: &[Role]) -> Actor {
        let u = &self.units[&unit];
        Actor {
            kind: ActorKind::Staff,
            user_id: Some(UserId::new()),
            name: format!("{}{}", u.name, roles.first().map_or("", |r| r.label())),
            tenant_id: self.tenant,
            unit_id: Some(unit),
            unit_path: Some(u.path.clone()),
            roles: roles.to_vec(),
        }
    }

    pub fn ctx<'a>(&'a self, actor: &'a Actor, now: OffsetDateTime) -> ActCtx<'a> {
        ActCtx {
            actor,
            now,
            calendar: &self.calendar,
            settings: &self.settings,
            units: &self.units,
            sealer: &TestSealer,
            event_on: None,
        }
    }
}

/// A Friday morning before the 2024 National Day holiday.
pub const FRIDAY: OffsetDateTime = datetime!(2024-09-27 09:00 +8);
