//! The `fazhi` binary: thin subcommands over the same service functions the web calls.

/// mimalloc rather than the system allocator: under load glibc's malloc and free were a sixth of
/// the writer thread's time (perf, intake scenario); see docs/performance.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use fazhi_domain::deadline::Period;
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{fmt_date, parse_date, weekday_zh};
use fazhi_service::admin::NewUser;
use fazhi_service::{App, Config, ServiceError, SystemClock};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(name = "fazhi", version, about = "法治政府建设工作平台 fazhi — rule-of-law work of a township government")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Configuration file (default: ./fazhi.toml when it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (database, key, attachments); overrides the configuration.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL (sqlite:PATH or postgres://…); overrides the configuration.
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages and the API.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
        /// Load the demo town first (if not loaded) and print its logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations.
    Migrate,
    /// Load the demo town (鳌头镇, 2023 work orders matching the seed report).
    Demo,
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Audit the hash-chained event log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// The working-day calendar.
    #[command(subcommand)]
    Calendar(CalendarCmd),
    /// Show the configuration in effect (secrets masked).
    #[command(subcommand)]
    Config(ConfigCmd),
    /// The annual 法治政府建设情况报告 and the district comparison.
    #[command(subcommand)]
    Report(ReportCmd),
}

#[derive(Subcommand)]
enum ReportCmd {
    /// Write a town's annual report.
    Annual {
        #[arg(long)]
        year: i32,
        /// Town code (AT); may be left out when there is one town.
        #[arg(long)]
        tenant: Option<String>,
        /// md, html or docx.
        #[arg(long, default_value = "md")]
        format: String,
        /// Output file (default: standard output for md and html; a file named after the town and
        /// year for docx).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A draft: allowed before the year is over, marked as a draft.
        #[arg(long)]
        draft: bool,
    },
    /// Each town's key rates beside the district's.
    Compare {
        #[arg(long)]
        year: i32,
        /// District code (CH); the first district when left out.
        #[arg(long)]
        district: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user; prints a temporary password unless --password is given. The installation's
    /// operator creates the three administrators here (三员分立: nobody on the web can); business
    /// accounts are better created on the web by the 系统管理员, with roles from the 安全管理员.
    Add {
        /// Tenant code (AT).
        #[arg(long)]
        tenant: String,
        /// Unit code within the tenant (zzzx).
        #[arg(long)]
        unit: String,
        #[arg(long)]
        username: String,
        /// Display name (张三).
        #[arg(long)]
        name: String,
        /// Role code; repeat for several (sys_admin, security_admin, audit_admin, handler …). None:
        /// an account awaiting roles from the 安全管理员.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Initial password (the user must still change it at first login).
        #[arg(long)]
        password: Option<String>,
    },
    /// Set a temporary password (printed here only); the user must change it at next login. The
    /// only way to reset an administrator's password.
    Passwd {
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// List users.
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk every tenant's chain (links, MACs, signed checkpoints) and hold every record — cases,
    /// users, units, report drafts, calendar years, attachments and their files — to the events;
    /// report what differs. Exit code 1 on any failure.
    Verify {
        /// Walk each chain only from its last good checkpoint (the records are still checked in
        /// full): fast, for daily use; run without it now and then.
        #[arg(long)]
        since_checkpoint: bool,
        /// A further checkpoint file to check against (a copy from another disk or the district);
        /// may be repeated.
        #[arg(long = "checkpoints", value_name = "FILE")]
        checkpoints: Vec<std::path::PathBuf>,
    },
    /// Sign every chain head that moved since its last checkpoint and append it to the checkpoint
    /// file (and send it to the district when `[audit] checkpoint_url` is set).
    Checkpoint,
}

#[derive(Subcommand)]
enum CalendarCmd {
    /// Count a period from a date: `fazhi calendar add 2024-09-27 5工作日`.
    Add { date: String, period: String },
    /// What kind of day a date is (working day, weekend, holiday, make-up day), or with a period
    /// the same as `add`.
    Explain { date: String, period: Option<String> },
    /// Import a year's arrangement (holiday-cn JSON); recomputes provisional open cases.
    Import { file: PathBuf },
    /// The years loaded.
    List,
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Print the configuration (secrets masked).
    Show,
}

/// An error for the terminal: the message, and the exit code.
struct Failure(String, u8);

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        match e.cause_chain() {
            Some(cause) => Failure(format!("错误：{e}（{cause}）"), 1),
            None => Failure(format!("错误：{e}"), 1),
        }
    }
}

fn load_config(g: &Global) -> Result<Config, Failure> {
    let mut c = Config::load(g.config.as_deref(), std::env::vars()).map_err(|e| Failure(e.to_string(), 2))?;
    if let Some(d) = &g.data_dir {
        c.data_dir.clone_from(d);
    }
    if let Some(u) = &g.database_url {
        c.database.url = fazhi_service::config::Secret(u.clone());
    }
    Ok(c)
}

/// Prints a verification: for each tenant whether its chain is whole and how far it was walked,
/// then every record that differs from its events, naming the tenant, the record and what changed.
fn print_audit(o: &fazhi_service::audit::AuditOutcome) {
    // The same words the audit page shows.
    for line in o.lines() {
        println!("{line}");
    }
}

async fn open(config: Config) -> Result<App, Failure> {
    Ok(App::open(config, Arc::new(SystemClock)).await?)
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(what.to_string());
    pb
}

async fn load_demo(app: &App) -> Result<fazhi_demo::DemoReport, Failure> {
    let pb = bar(fazhi_demo::HOTLINE_ORDERS_2023 as u64, "生成演示工单");
    let report = fazhi_demo::load(app, |done, _| pb.set_position(done as u64)).await?;
    pb.finish_and_clear();
    Ok(report)
}

fn print_demo(report: &fazhi_demo::DemoReport, url: Option<&str>) {
    if report.created {
        println!(
            "已载入演示数据：从化区 / 鳌头镇，2023年12345工单 {} 件（全部办结）。",
            fazhi_demo::HOTLINE_ORDERS_2023
        );
    } else {
        println!("演示数据已存在，未重复载入。");
    }
    println!();
    println!("演示账号（密码均为 {}）：", fazhi_demo::DEMO_PASSWORD);
    for (u, role, unit) in &report.users {
        println!("  {u:<18} {role:<8} {unit}");
    }
    if let Some((receipt, code)) = &report.sample_receipt {
        println!();
        println!("公开查询示例：受理编号 {receipt}，查询码 {code}");
    }
    if let Some(url) = url {
        println!();
        println!("请在浏览器打开 {url}");
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let config = load_config(&cli.global)?;
    match cli.command {
        Command::Serve { bind, demo } => {
            let bind = bind.unwrap_or_else(|| config.server.bind.clone());
            let addr: SocketAddr =
                bind.parse().map_err(|_| Failure(format!("错误：监听地址“{bind}”无效，应为 地址:端口"), 2))?;
            let app = open(config).await?;
            if demo {
                let report = load_demo(&app).await?;
                print_demo(&report, Some(&format!("http://{addr}")));
            }
            tracing::info!(%addr, database = app.backend_name(), "fazhi serving");
            println!("fazhi 正在监听 http://{addr}（Ctrl-C 退出）");
            fazhi_web::serve(app, addr).await.map_err(|e| Failure(format!("错误：无法监听 {addr}：{e}"), 1))?;
        }
        Command::Migrate => {
            let app = open(config).await?;
            println!("数据库迁移已完成（{}）。", app.backend_name());
        }
        Command::Demo => {
            let app = open(config).await?;
            let report = load_demo(&app).await?;
            print_demo(&report, None);
        }
        Command::User(cmd) => user(open(config).await?, cmd).await?,
        Command::Audit(AuditCmd::Verify { since_checkpoint, checkpoints }) => {
            let app = open(config).await?;
            let pb = ProgressBar::new_spinner();
            let req =
                fazhi_service::audit::VerifyRequest { since_checkpoint, checkpoint_files: checkpoints, tenant: None };
            let outcome = app.verify_all(&req, |t, n| pb.set_message(format!("{t}: {n}"))).await?;
            pb.finish_and_clear();
            print_audit(&outcome);
            if !outcome.is_whole() {
                return Err(Failure("审计验证未通过。".into(), 1));
            }
        }
        Command::Audit(AuditCmd::Checkpoint) => {
            let app = open(config).await?;
            let (written, send_problem) = app.checkpoint_now().await?;
            for c in &written {
                println!("{}：第 {} 号事件，链头 {}，已签名（密钥 {}）。", c.tenant_code, c.seq, c.hash, c.key_id);
            }
            if written.is_empty() {
                println!("自上次检查点以来事件链没有变化，未写入新的检查点。");
            } else {
                println!("检查点已追加到 {}。", app.config().checkpoint_path().display());
            }
            if let Some(p) = send_problem {
                return Err(Failure(p, 1));
            }
        }
        Command::Calendar(cmd) => calendar(config, cmd).await?,
        Command::Report(cmd) => report(open(config).await?, cmd).await?,
        Command::Config(ConfigCmd::Show) => {
            print!("{}", config.to_masked_toml());
            println!(
                "# database url in effect: {}",
                if config.database.url.0.is_empty() { config.database_url() } else { "******".into() }
            );
        }
    }
    Ok(())
}

async fn user(app: App, cmd: UserCmd) -> Result<(), Failure> {
    match cmd {
        UserCmd::Add { tenant, unit, username, name, roles, password } => {
            let t = app
                .tenant_by_code(&tenant)
                .await?
                .ok_or_else(|| Failure(format!("错误：镇（街道）代码“{tenant}”不存在"), 1))?;
            let u = app
                .units()
                .values()
                .find(|u| u.tenant_id == t.id && u.code.as_str() == unit)
                .cloned()
                .ok_or_else(|| Failure(format!("错误：{}没有代码为“{unit}”的单位", t.name), 1))?;
            let roles = roles
                .iter()
                .map(|r| Role::parse(r))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Failure(format!("错误：{e}"), 1))?;
            let actor = fazhi_domain::case::Actor::system(t.id);
            let (user, temp) = app
                .create_user_as(
                    &actor,
                    NewUser {
                        tenant: t.id,
                        unit: u.id,
                        username,
                        display_name: name,
                        roles,
                        password,
                        must_change: true,
                    },
                )
                .await?;
            println!("已创建用户 {}（{}，{}）。", user.username, user.display_name, u.name);
            if let Some(p) = temp {
                println!("临时密码：{p}（首次登录须修改）");
            }
        }
        UserCmd::Passwd { username, password } => {
            let user = app
                .user_by_username(&username)
                .await?
                .ok_or_else(|| Failure(format!("错误：用户“{username}”不存在"), 1))?;
            let actor = fazhi_domain::case::Actor::system(user.tenant_id);
            let pw = app.reset_password_as(&actor, &user, password).await?;
            println!("已重置 {username} 的密码：{pw}（下次登录须修改）");
        }
        UserCmd::List { tenant } => {
            let tid = match tenant {
                None => None,
                Some(code) => Some(
                    app.tenant_by_code(&code)
                        .await?
                        .ok_or_else(|| Failure(format!("错误：镇（街道）代码“{code}”不存在"), 1))?
                        .id,
                ),
            };
            for u in app.users_of(tid).await? {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.label()).collect();
                let unit = app.unit(u.unit_id).map(|x| x.name).unwrap_or_default();
                let state = fazhi_service::admin::account_status(&u, app.now_ms());
                println!("{:<18} {:<10} {:<14} {:<20} {}", u.username, u.display_name, unit, roles.join("、"), state);
            }
        }
    }
    Ok(())
}

/// Writes a file whole or not at all: to a temporary file beside it, then renamed.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<(), Failure> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let fail = |e: std::io::Error| Failure(format!("错误：无法写入 {}：{e}", path.display()), 1);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

async fn report(app: App, cmd: ReportCmd) -> Result<(), Failure> {
    match cmd {
        ReportCmd::Annual { year, tenant, format, out, draft } => {
            if !matches!(format.as_str(), "md" | "html" | "docx") {
                return Err(Failure(format!("错误：格式“{format}”不支持，应为 md、html 或 docx"), 2));
            }
            let town = app.town(tenant.as_deref())?;
            // Everything is produced in memory first: a refused report writes no file.
            let r = app.annual_report(&town, year, draft, None).await?;
            let bytes = match format.as_str() {
                "md" => r.to_markdown().into_bytes(),
                "html" => r.to_html_document().into_bytes(),
                _ => fazhi_report::docx::to_docx(&r).map_err(|e| Failure(format!("错误：{e}"), 1))?,
            };
            let out = out.or_else(|| {
                (format == "docx").then(|| {
                    PathBuf::from(format!(
                        "{}-{year}年度法治政府建设情况报告{}.docx",
                        town.name,
                        if r.draft { "（草稿）" } else { "" }
                    ))
                })
            });
            match out {
                Some(path) => {
                    write_atomically(&path, &bytes)?;
                    eprintln!("已生成 {}", path.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes).map_err(|e| Failure(format!("错误：{e}"), 1))?;
                }
            }
        }
        ReportCmd::Compare { year, district } => {
            let d = match district {
                None => None,
                Some(code) => Some(
                    app.tenant_by_code(&code)
                        .await?
                        .ok_or_else(|| Failure(format!("错误：区代码“{code}”不存在"), 1))?
                        .id,
                ),
            };
            let c = app.compare(d, year).await?;
            println!("{}{}年各镇（街道）主要比率与全区对比", c.district, c.year);
            let names: Vec<&str> = c.metrics.iter().map(|m| m.name).collect();
            println!("{:<12}{}", "", names.iter().map(|n| format!("{n:>14}")).collect::<String>());
            for (town, figs) in &c.towns {
                println!("{town:<12}{}", figs.iter().map(|f| format!("{:>16}", f.to_string())).collect::<String>());
            }
            println!(
                "{:<12}{}",
                "全区合计",
                c.district_pooled.iter().map(|f| format!("{:>16}", f.to_string())).collect::<String>()
            );
            println!("{:<12}{}", "各镇平均", c.town_mean.iter().map(|f| format!("{f:>16}")).collect::<String>());
            println!("（全区合计：全区各镇案件合并计算；各镇平均：各镇比率的算术平均，无分母的镇不计。）");
        }
    }
    Ok(())
}

fn parse_period(raw: &str) -> Result<Period, Failure> {
    Period::parse(raw).map_err(|e| Failure(format!("错误：期限：{e}"), 2))
}

async fn calendar(config: Config, cmd: CalendarCmd) -> Result<(), Failure> {
    let date = |raw: &str| parse_date(raw).map_err(|e| Failure(format!("错误：日期：{e}"), 2));
    match cmd {
        CalendarCmd::Add { date: d, period } | CalendarCmd::Explain { date: d, period: Some(period) } => {
            let (start, period) = (date(&d)?, parse_period(&period)?);
            let app = open(config).await?;
            let c = app.explain_add(start, period);
            println!("{}（{}）{}", fmt_date(c.due), weekday_zh(c.due), if c.provisional { " 【暂定】" } else { "" });
            for s in &c.steps {
                println!("  {s}");
            }
        }
        CalendarCmd::Explain { date: d, period: None } => {
            let day = date(&d)?;
            let app = open(config).await?;
            let info = app.calendar().day(day);
            let what = match &info.kind {
                fazhi_domain::calendar::DayKind::Weekday => "工作日".to_string(),
                fazhi_domain::calendar::DayKind::Weekend => "休息日（周末）".to_string(),
                fazhi_domain::calendar::DayKind::Holiday(n) => format!("法定节假日（{n}）"),
                fazhi_domain::calendar::DayKind::MakeUp(n) => format!("调休上班日（{n}）"),
            };
            println!("{}（{}）：{what}", fmt_date(day), weekday_zh(day));
            if info.provisional {
                println!("  ⚠ {}年节假日安排尚未导入，以上按周一至周五推算，为暂定结果。", day.year());
            }
        }
        CalendarCmd::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Failure(format!("错误：无法读取 {}：{e}", file.display()), 1))?;
            let app = open(config).await?;
            let by = std::env::var("USER").unwrap_or_else(|_| "cli".into());
            let o = app.import_calendar(&text, &by).await?;
            println!(
                "已导入 {} 年节假日安排：放假 {} 天，调休上班 {} 天{}。重算暂定期限的在办案件 {} 件。",
                o.year,
                o.off_days,
                o.make_up_days,
                if o.replaced { "（替换原有安排）" } else { "" },
                o.recomputed
            );
        }
        CalendarCmd::List => {
            let app = open(config).await?;
            for y in app.calendar().years() {
                println!("{}：放假 {} 天，调休上班 {} 天　{}", y.year, y.off.len(), y.work.len(), y.papers.join(" "));
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default = if matches!(cli.command, Command::Serve { .. }) { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg, code)) => {
            eprintln!("{msg}");
            ExitCode::from(code)
        }
    }
}
