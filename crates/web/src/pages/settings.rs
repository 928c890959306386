//! The settings page: the configuration in effect, by section, for the 系统管理员 and the
//! 安全管理员 (`fazhi_service::configuration`). Read-only: a setting is changed in `fazhi.toml` and
//! takes effect at the next start, after validation.

use askama::Template;
use axum::extract::State;
use fazhi_service::App;
use fazhi_service::configuration::ConfigSection;

use super::session::Staff;
use super::{Layout, PageResult, render};

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage {
    layout: Layout,
    sections: Vec<ConfigSection>,
}

pub async fn page(State(app): State<App>, Staff(p): Staff) -> PageResult {
    let sections = app.configuration(&p)?;
    let layout = Layout::new(&app, &p, "系统设置", "/admin/settings").crumb("/admin/settings", "系统设置");
    Ok(render(&SettingsPage { layout, sections }))
}
