//! # fazhi-demo — the demo town
//!
//! 从化区 and its 鳌头镇, modelled on the seed report (`shared/seed`): the town's departments,
//! villages and a user of every role, and the year 2023 of cases whose figures are the seed's —
//! then a few cases of the current weeks, open in their working states, so the workbench has
//! something to show. Used by `fazhi demo`, `fazhi serve --demo` and the tests; the service does
//! not know it.
//!
//! Each kind has a **plan** (`work_order.rs`, `visit.rs`, `dispute.rs`, `petition.rs`): the year's
//! counts, shares, amounts and the seed figures it must reproduce, as data, and the path a case
//! of that kind takes. One **generator** (`generate.rs`) fills every plan: a seeded random
//! sequence, the town's people and dates, and the primitives that drive a case through its
//! kind's real workflow, action by action, at the time it would have happened. Everything is
//! written with the service's public use cases (`fazhi_service::seeding` for the bulk write).
//!
//! Deterministic: the same seeds give the same cases, texts, dates and outcomes on every run and
//! on either database; the golden report test (`tests/report.rs`) holds the year to the byte.

mod dispute;
mod generate;
mod petition;
mod report_draft;
mod town;
mod visit;
mod work_order;

use fazhi_service::{App, CaseFilter, Result, ServiceError};

pub use town::DEMO_PASSWORD;

/// A figure of the seed report a plan must reproduce: the catalogue's metric, the figure as the
/// report prints it, and the seed's wording.
#[derive(Debug, Clone, Copy)]
pub struct SeedFigure {
    pub metric: &'static str,
    pub figure: &'static str,
    pub seed: &'static str,
}

/// Every plan's seed figures, plan by plan (the demo's tests check each against the report).
pub fn seed_figures() -> Vec<SeedFigure> {
    [work_order::PLAN.seed_figures, visit::PLAN.seed_figures, dispute::PLAN.seed_figures, petition::PLAN.seed_figures]
        .concat()
}

/// The 12345 hotline orders of 2023 the loader reports progress against.
pub const HOTLINE_ORDERS_2023: usize = work_order::PLAN.count;

/// The kinds the demo fills (a load is whole when each has cases).
const KINDS: [&str; 4] = [work_order::SLUG, visit::SLUG, dispute::SLUG, petition::SLUG];

/// What the demo loader made.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// False when the demo town was already there (nothing was added).
    pub created: bool,
    /// (username, role label, unit code).
    pub users: Vec<(String, String, String)>,
    /// The hotline orders written (the year's and the current weeks').
    pub work_orders: usize,
    /// One receipt number and query code to try the public tracking page with.
    pub sample_receipt: Option<(String, String)>,
}

/// Loads the demo town unless it is there already; `progress(done, total)` hears of the hotline
/// orders as they are made.
///
/// # Errors
/// Database errors; a demo town left incomplete by an interrupted load; a step a workflow
/// refuses (a bug in a plan).
pub async fn load(app: &App, mut progress: impl FnMut(usize, usize)) -> Result<DemoReport> {
    if let Some(t) = app.tenants().iter().find(|t| t.code == town::TOWN) {
        for kind in KINDS {
            let filter = CaseFilter { kind: Some(kind.into()), ..Default::default() };
            if app.seeded_case_count(t.id, &filter).await? == 0 {
                return Err(ServiceError::Rule(
                    "演示数据不完整（上次载入被中断？）：请删除数据目录中的数据库后重新载入".into(),
                ));
            }
        }
        return Ok(DemoReport { created: false, users: town::users_listing(), work_orders: 0, sample_receipt: None });
    }
    let mut town = town::Town::create(app).await?;
    let cal = app.calendar();

    // The hotline orders, on their own random sequence; one transaction.
    let units = app.units();
    let (batch, sample) = {
        let mut g = generate::Gen::new(app, &town, &cal, &units, work_order::PLAN.seed);
        let sample = work_order::year(&mut g, &mut progress)?;
        (g.finish().0, sample)
    };
    app.import_seeded(&batch, &[]).await?;
    progress(HOTLINE_ORDERS_2023, HOTLINE_ORDERS_2023);
    report_draft::save(app, &town.tenant).await?;

    // Visits, disputes and petitions, on theirs; one transaction with their links.
    town.add_later_staff(app).await?;
    let units = app.units();
    let (cases, links) = {
        let mut g = generate::Gen::new(app, &town, &cal, &units, visit::PLAN.seed);
        visit::year(&mut g)?;
        g.finish()
    };
    app.import_seeded(&cases, &links).await?;
    Ok(DemoReport { created: true, users: town::users_listing(), work_orders: batch.len(), sample_receipt: sample })
}

/// The figure a plan states for `metric` ("" when it states none).
#[cfg(test)]
fn stated(figures: &[SeedFigure], metric: &str) -> String {
    figures.iter().find(|f| f.metric == metric).map_or(String::new(), |f| f.figure.to_string())
}
