//! Staff roles (PRODUCT.md, "Who uses it") and what each may see. The three administrators are
//! separate roles that see no case data and cannot be combined with any other role
//! (等保 2.0 三员分立, GB/T 22239-2019 §8.1.4.2: least privilege and separation of admin roles).

use serde::{Deserialize, Serialize};

use crate::error::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 受理员 (综治中心, 12345 联络员, 窗口): registers and dispatches.
    IntakeClerk,
    /// 承办人 (部门、村(居)委): handles what is dispatched to the unit.
    Handler,
    /// 网格员: reports events found on patrol.
    GridWorker,
    /// 执法人员 (综合行政执法办).
    EnforcementOfficer,
    /// 法制审核人员.
    LegalReviewer,
    /// 调解员.
    Mediator,
    /// 政府法律顾问.
    LegalAdvisor,
    /// 司法所.
    JudicialOffice,
    /// 领导 (镇长、书记、分管领导): the dashboard, 督办, approvals.
    Leader,
    /// 区司法局 / 区依法治区办: reads every town of the district.
    District,
    /// 系统管理员: units and users.
    SysAdmin,
    /// 安全管理员: role grants, locks, keys.
    SecurityAdmin,
    /// 审计管理员: the audit log, read-only.
    AuditAdmin,
}

/// How far a role lets a user see cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// No case data at all (the three admins).
    None,
    /// The cases of the user's own unit and the units below it.
    Subtree,
    /// Every case of the user's tenant (town).
    Tenant,
    /// Every case of every town of the user's district.
    District,
}

impl Role {
    pub const ALL: [Role; 13] = [
        Self::IntakeClerk,
        Self::Handler,
        Self::GridWorker,
        Self::EnforcementOfficer,
        Self::LegalReviewer,
        Self::Mediator,
        Self::LegalAdvisor,
        Self::JudicialOffice,
        Self::Leader,
        Self::District,
        Self::SysAdmin,
        Self::SecurityAdmin,
        Self::AuditAdmin,
    ];

    /// The role's code, the same word in the database, the API and the configuration.
    pub fn code(self) -> &'static str {
        match self {
            Self::IntakeClerk => "intake_clerk",
            Self::Handler => "handler",
            Self::GridWorker => "grid_worker",
            Self::EnforcementOfficer => "enforcement_officer",
            Self::LegalReviewer => "legal_reviewer",
            Self::Mediator => "mediator",
            Self::LegalAdvisor => "legal_advisor",
            Self::JudicialOffice => "judicial_office",
            Self::Leader => "leader",
            Self::District => "district",
            Self::SysAdmin => "sys_admin",
            Self::SecurityAdmin => "security_admin",
            Self::AuditAdmin => "audit_admin",
        }
    }

    /// The Chinese name staff know the role by.
    pub fn label(self) -> &'static str {
        match self {
            Self::IntakeClerk => "受理员",
            Self::Handler => "承办人",
            Self::GridWorker => "网格员",
            Self::EnforcementOfficer => "执法人员",
            Self::LegalReviewer => "法制审核人员",
            Self::Mediator => "调解员",
            Self::LegalAdvisor => "政府法律顾问",
            Self::JudicialOffice => "司法所",
            Self::Leader => "领导",
            Self::District => "区级监督",
            Self::SysAdmin => "系统管理员",
            Self::SecurityAdmin => "安全管理员",
            Self::AuditAdmin => "审计管理员",
        }
    }

    /// # Errors
    /// An unknown role code.
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code.trim())
            .ok_or_else(|| Invalid::new(format!("未知的角色“{}”", code.trim())))
    }

    /// How far this role lets its holder see cases. Intake clerks, leaders and the town's legal
    /// staff work for the whole town; handlers, grid workers, mediators and officers for their unit.
    pub fn reach(self) -> Reach {
        match self {
            Self::Handler | Self::GridWorker | Self::EnforcementOfficer | Self::Mediator => Reach::Subtree,
            Self::IntakeClerk | Self::LegalReviewer | Self::LegalAdvisor | Self::JudicialOffice | Self::Leader => {
                Reach::Tenant
            }
            Self::District => Reach::District,
            Self::SysAdmin | Self::SecurityAdmin | Self::AuditAdmin => Reach::None,
        }
    }

    /// What the role's workbench is for, told when no case kind gives the role work yet: 网格员
    /// report what they find on patrol, which fazhi does not take in yet; the sentence says what
    /// they will do there instead of showing an empty page.
    pub fn workbench_purpose(self) -> Option<&'static str> {
        match self {
            Self::GridWorker => Some(
                "这里是网格员工作台：您在网格巡查中发现的矛盾纠纷、安全隐患和群众诉求将在这里上报，并跟踪镇里的处理结果；派回您网格核实的事项也会列在这里。目前没有需要您处理的事项，发现紧急情况请直接报告镇综治中心。",
            ),
            _ => None,
        }
    }

    /// One of the three administrators.
    pub fn is_admin(self) -> bool {
        matches!(self, Self::SysAdmin | Self::SecurityAdmin | Self::AuditAdmin)
    }

    /// Checks a set of roles held by one user: an administrator role stands alone (三员分立).
    /// An empty set is an account that exists but may do nothing yet: the 系统管理员 creates
    /// accounts that way and the 安全管理员 grants their business roles.
    ///
    /// # Errors
    /// A Chinese reason naming the clash.
    pub fn check_combination(roles: &[Role]) -> Result<(), Invalid> {
        if let Some(admin) = roles.iter().find(|r| r.is_admin())
            && roles.len() > 1
        {
            return Err(Invalid::new(format!("{}不能与其他角色兼任（三员分立）", admin.label())));
        }
        Ok(())
    }
}

/// The widest reach of a set of roles.
pub fn reach_of(roles: &[Role]) -> Reach {
    roles.iter().map(|r| r.reach()).max().unwrap_or(Reach::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_code() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn administrators_see_no_cases_and_stand_alone() {
        for r in [Role::SysAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            assert_eq!(r.reach(), Reach::None);
            assert!(Role::check_combination(&[r]).is_ok());
            assert!(Role::check_combination(&[r, Role::Leader]).is_err());
        }
        assert_eq!(
            Role::check_combination(&[Role::SysAdmin, Role::AuditAdmin]).unwrap_err().0,
            "系统管理员不能与其他角色兼任（三员分立）"
        );
    }

    #[test]
    fn an_account_may_hold_no_role_until_the_security_admin_grants_one() {
        assert!(Role::check_combination(&[]).is_ok());
        assert!(Role::check_combination(&[Role::Handler, Role::Mediator]).is_ok());
        assert_eq!(reach_of(&[]), Reach::None, "an account without roles sees no case");
    }

    #[test]
    fn the_widest_reach_wins() {
        assert_eq!(reach_of(&[Role::Handler]), Reach::Subtree);
        assert_eq!(reach_of(&[Role::Handler, Role::Leader]), Reach::Tenant);
        assert_eq!(reach_of(&[]), Reach::None);
    }
}
