//! The demo town: 从化区 (a district office) and its 鳌头镇, with the departments and the villages
//! the seed report names (桥头村, 西塘村, 龙潭村) and a user of every role. Made with the service's
//! ordinary administration use cases, as the system.

use std::collections::HashMap;

use fazhi_domain::case::{Actor, ActorKind};
use fazhi_domain::role::Role;
use fazhi_domain::unit::{Unit, UnitKind};
use fazhi_service::admin::NewUser;
use fazhi_service::{App, Result, ServiceError, Tenant, TenantKind};

/// The password of every demo user (printed by `serve --demo`).
pub const DEMO_PASSWORD: &str = "Fazhi@2023";

/// The town's code.
pub const TOWN: &str = "AT";

/// The town's departments under its root unit: (code, name).
const DEPARTMENTS: [(&str, &str); 8] = [
    ("dzb", "党政综合办公室"),
    ("zzzx", "综治中心"),
    ("zfb", "综合行政执法办公室"),
    ("sfs", "司法所"),
    ("jjfz", "经济发展办公室"),
    ("ghjs", "规划建设办公室"),
    ("nync", "农业农村办公室"),
    ("shsw", "社会事务办公室"),
];

/// username, name, unit code, role
const USERS: &[(&str, &str, &str, Role)] = &[
    ("admin", "赵系统", "dzb", Role::SysAdmin),
    ("security", "钱安全", "dzb", Role::SecurityAdmin),
    ("auditor", "孙审计", "dzb", Role::AuditAdmin),
    ("clerk", "李晓梅", "zzzx", Role::IntakeClerk),
    ("leader", "王建国", "aotou", Role::Leader),
    ("handler_longtan", "陈志强", "longtan", Role::Handler),
    ("handler_xitang", "黄丽华", "xitang", Role::Handler),
    ("handler_qiaotou", "梁国平", "qiaotou", Role::Handler),
    ("handler_ghjs", "刘建新", "ghjs", Role::Handler),
    ("handler_shsw", "何秀英", "shsw", Role::Handler),
    ("handler_nync", "罗永康", "nync", Role::Handler),
    ("grid_longtan", "谢小军", "longtan-g1", Role::GridWorker),
    ("officer1", "邓执法", "zfb", Role::EnforcementOfficer),
    ("officer2", "钟执法", "zfb", Role::EnforcementOfficer),
    ("reviewer", "曾审核", "sfs", Role::LegalReviewer),
    ("mediator", "朱调解", "sfs", Role::Mediator),
    ("advisor", "潘律师", "sfs", Role::LegalAdvisor),
    ("sifasuo", "吴司法", "sfs", Role::JudicialOffice),
    ("district", "区司法局督查员", "conghua", Role::District),
];

/// The discipline office, made after the first part of the year is written.
const LATER_DEPARTMENTS: [(&str, &str); 1] = [("jjjc", "纪检监察办公室")];

/// The village mediators and the discipline office's handler, made with it.
const LATER_USERS: &[(&str, &str, &str, Role)] = &[
    ("mediator_longtan", "陈村调", "longtan", Role::Mediator),
    ("mediator_xitang", "黄村调", "xitang", Role::Mediator),
    ("mediator_qiaotou", "梁村调", "qiaotou", Role::Mediator),
    ("handler_jjjc", "纪检监察员", "jjjc", Role::Handler),
];

/// Every demo user as the loader lists them: (username, role label, unit code).
pub fn users_listing() -> Vec<(String, String, String)> {
    USERS
        .iter()
        .chain(LATER_USERS)
        .map(|(u, _, unit, r)| ((*u).to_string(), r.label().to_string(), (*unit).to_string()))
        .collect()
}

/// The town as made: its tenant, its units and its staff by code.
pub struct Town {
    pub tenant: Tenant,
    pub code: String,
    pub units: HashMap<&'static str, Unit>,
    pub staff: HashMap<&'static str, Actor>,
}

impl Town {
    /// Makes the district, the town, their units and users.
    ///
    /// # Errors
    /// Database errors, a code already taken.
    pub async fn create(app: &App) -> Result<Self> {
        let district = app.create_tenant("CH", "从化区", TenantKind::District, None).await?;
        let town = app.create_tenant(TOWN, "鳌头镇", TenantKind::Town, Some(district.id)).await?;
        let sys = Actor::system(town.id);
        let dsys = Actor::system(district.id);
        let ch = app.create_unit_as(&dsys, district.id, None, "conghua", "从化区司法局", UnitKind::District).await?;
        let root = app.create_unit_as(&sys, town.id, None, "aotou", "鳌头镇人民政府", UnitKind::Town).await?;
        let mut units: HashMap<&'static str, Unit> = HashMap::new();
        for (code, name) in DEPARTMENTS {
            units.insert(
                code,
                app.create_unit_as(&sys, town.id, Some(root.id), code, name, UnitKind::Department).await?,
            );
        }
        // Each village with two grids; the first grid is where the grid worker is.
        for (code, name, first_grid) in [
            ("qiaotou", "桥头村", "qiaotou-g1"),
            ("xitang", "西塘村", "xitang-g1"),
            ("longtan", "龙潭村", "longtan-g1"),
        ] {
            let v = app.create_unit_as(&sys, town.id, Some(root.id), code, name, UnitKind::Village).await?;
            for g in 1..=2 {
                let gc = format!("{code}-g{g}");
                let gn = format!("{name}第{}网格", ["一", "二"][g - 1]);
                let grid = app.create_unit_as(&sys, town.id, Some(v.id), &gc, &gn, UnitKind::Grid).await?;
                if g == 1 {
                    units.insert(first_grid, grid);
                }
            }
            units.insert(code, v);
        }
        units.insert("aotou", root);
        units.insert("conghua", ch);
        let mut t = Self { code: town.code.clone(), tenant: town, units, staff: HashMap::new() };
        t.add_users(app, USERS).await?;
        Ok(t)
    }

    /// Adds the discipline office and the users who mediate in the villages and handle
    /// accusations (after the work orders are written, as the demo always has: the audit chain
    /// keeps that order).
    ///
    /// # Errors
    /// Database errors.
    pub async fn add_later_staff(&mut self, app: &App) -> Result<()> {
        let sys = Actor::system(self.tenant.id);
        let root = self.unit("aotou")?.id;
        for (code, name) in LATER_DEPARTMENTS {
            let unit = app.create_unit_as(&sys, self.tenant.id, Some(root), code, name, UnitKind::Department).await?;
            self.units.insert(code, unit);
        }
        self.add_users(app, LATER_USERS).await
    }

    fn unit(&self, code: &str) -> Result<&Unit> {
        self.units.get(code).ok_or_else(|| ServiceError::internal(format!("demo unit {code} missing")))
    }

    async fn add_users(&mut self, app: &App, users: &[(&'static str, &str, &str, Role)]) -> Result<()> {
        for (username, name, unit, role) in users {
            let unit = self.unit(unit)?.clone();
            let sys = Actor::system(unit.tenant_id);
            let (user, _) = app
                .create_user_as(
                    &sys,
                    NewUser {
                        tenant: unit.tenant_id,
                        unit: unit.id,
                        username: (*username).into(),
                        display_name: (*name).into(),
                        roles: vec![*role],
                        password: Some(DEMO_PASSWORD.into()),
                        must_change: false,
                    },
                )
                .await?;
            let actor = Actor {
                kind: ActorKind::Staff,
                user_id: Some(user.id),
                name: user.display_name.clone(),
                tenant_id: unit.tenant_id,
                unit_id: Some(unit.id),
                unit_path: Some(unit.path.clone()),
                roles: vec![*role],
            };
            self.staff.insert(username, actor);
        }
        Ok(())
    }
}
