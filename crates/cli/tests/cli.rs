//! The `fazhi` binary as an operator uses it.

use std::path::Path;
use std::process::{Command, Output};

fn fazhi(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fazhi"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "error")
        .output()
        .expect("run fazhi")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn calendar_add_prints_the_date_and_how_it_was_counted() {
    let dir = tempfile::tempdir().unwrap();
    let o = fazhi(dir.path(), &["calendar", "add", "2024-09-27", "5工作日"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("2024-10-10（星期四）\n"), "{out}");
    assert!(out.contains("计入调休上班日：2024-09-29（星期日，国庆节调休上班）"), "{out}");
    assert!(out.contains("跳过法定节假日：2024-10-01至2024-10-07（国庆节）"), "{out}");
    let o = fazhi(dir.path(), &["calendar", "add", "2024-09-27", "8工作日"]);
    assert!(stdout(&o).starts_with("2024-10-14（星期一）"));
    let o = fazhi(dir.path(), &["calendar", "explain", "2026-02-28"]);
    assert_eq!(stdout(&o).trim(), "2026-02-28（星期六）：调休上班日（春节）");
    let o = fazhi(dir.path(), &["calendar", "add", "2026-12-30", "5工作日"]);
    assert!(stdout(&o).contains("【暂定】"), "{}", stdout(&o));
}

#[test]
fn bad_cli_input_says_what_is_wrong_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = fazhi(dir.path(), &["calendar", "add", "2024-02-30", "5工作日"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("“2024-02-30”不是有效日期"), "{}", stderr(&o));
    let o = fazhi(dir.path(), &["calendar", "add", "2024-09-27", "五天"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("fazhi.db").exists(), "nothing was created");
    // A malformed calendar file is refused and nothing is imported.
    let f = dir.path().join("2027.json");
    std::fs::write(&f, r#"{"year": 2027, "days": [{"name": "春节", "date": "2027-02-03", "isOffDay": false}]}"#)
        .unwrap();
    let o = fazhi(dir.path(), &["calendar", "import", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("2027-02-03 标记为调休上班，但该日本来就是工作日（星期三）"), "{}", stderr(&o));
    let o = fazhi(dir.path(), &["calendar", "list"]);
    assert!(!stdout(&o).contains("2027"));
    // A good one is.
    std::fs::write(
        &f,
        r#"{"year": 2027, "papers": [], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#,
    )
    .unwrap();
    let o = fazhi(dir.path(), &["calendar", "import", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&fazhi(dir.path(), &["calendar", "list"])).contains("2027：放假 1 天"));
    // A bad configuration value is named.
    let o = Command::new(env!("CARGO_BIN_EXE_fazhi"))
        .args(["--data-dir", dir.path().to_str().unwrap(), "migrate"])
        .env("FAZHI__SECURITY__LOCKOUT_THRESHOLD", "0")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("lockout_threshold"), "{}", stderr(&o));
}

#[test]
fn users_are_added_listed_and_reset_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = fazhi(dir.path(), &["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = fazhi(
        dir.path(),
        &[
            "user",
            "add",
            "--tenant",
            "AT",
            "--unit",
            "zzzx",
            "--username",
            "newclerk",
            "--name",
            "新人",
            "--role",
            "intake_clerk",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("临时密码："));
    let o = fazhi(
        dir.path(),
        &[
            "user",
            "add",
            "--tenant",
            "AT",
            "--unit",
            "zzzx",
            "--username",
            "newclerk",
            "--name",
            "重复",
            "--role",
            "intake_clerk",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("用户名：已被使用"), "{}", stderr(&o));
    let o = fazhi(
        dir.path(),
        &[
            "user",
            "add",
            "--tenant",
            "AT",
            "--unit",
            "nowhere",
            "--username",
            "x1y",
            "--name",
            "某",
            "--role",
            "leader",
        ],
    );
    assert!(stderr(&o).contains("没有代码为“nowhere”的单位"));
    let o = fazhi(
        dir.path(),
        &["user", "add", "--tenant", "AT", "--unit", "zzzx", "--username", "x2y", "--name", "某", "--role", "emperor"],
    );
    assert!(stderr(&o).contains("未知的角色“emperor”"));
    let o = fazhi(dir.path(), &["user", "passwd", "newclerk", "--password", "Another@2024"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // 三员分立: the installation's operator sets up the administrators here, never with a
    // business role; the web cannot do either.
    let admin = |name: &str, roles: &[&str]| {
        let mut args =
            vec!["user", "add", "--tenant", "AT", "--unit", "zzzx", "--username", name, "--name", "某管理员"];
        for r in roles {
            args.extend(["--role", r]);
        }
        fazhi(dir.path(), &args)
    };
    let o = admin("auditor2", &["audit_admin", "leader"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("审计管理员不能与其他角色兼任（三员分立）"), "{}", stderr(&o));
    let o = admin("auditor2", &["audit_admin"]);
    assert!(o.status.success() && stdout(&o).contains("临时密码："), "{}", stderr(&o));
    let o = admin("norole", &[]);
    assert!(o.status.success(), "an account awaiting roles: {}", stderr(&o));
    let list = stdout(&fazhi(dir.path(), &["user", "list", "--tenant", "AT"]));
    assert!(list.contains("newclerk") && list.contains("受理员"), "{list}");
    assert!(list.lines().any(|l| l.starts_with("norole") && l.contains("待修改临时密码")), "{list}");
    // The demo is loaded once.
    assert!(stdout(&fazhi(dir.path(), &["demo"])).contains("演示数据已存在"));
    // And its chain verifies.
    let o = fazhi(dir.path(), &["audit", "verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("鳌头镇（AT）：事件链完整"));
}

#[test]
fn audit_verify_reports_the_first_broken_link_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    assert!(fazhi(dir.path(), &["demo"]).status.success());
    let db = dir.path().join("fazhi.db");
    let conn = Command::new("sqlite3").arg(&db).arg("DROP TRIGGER events_no_update; UPDATE events SET actor_name = '伪造' WHERE seq = (SELECT MIN(seq) FROM events WHERE case_id IS NOT NULL AND tenant_id = (SELECT id FROM tenants WHERE code = 'AT')) AND tenant_id = (SELECT id FROM tenants WHERE code = 'AT');").output();
    let Ok(conn) = conn else {
        eprintln!("skipping: the sqlite3 command-line tool is not installed");
        return;
    };
    assert!(conn.status.success(), "{}", String::from_utf8_lossy(&conn.stderr));
    let o = fazhi(dir.path(), &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("鳌头镇（AT）：事件链断裂！第"), "{out}");
    assert!(out.contains("AT-GD-2023-"), "names the case by receipt number: {out}");
    assert!(out.contains("事件内容被修改"), "{out}");
}

/// Issue 10 item 11: figures changed by editing case rows (按时办结率 and 满意率 raised to 100%)
/// are caught and named; a checkpoint signed before a tail is deleted and the head rolled back
/// catches that too; the fast path starts at the last checkpoint.
#[test]
fn audit_verify_names_case_rows_edited_to_raise_the_rates_and_a_tail_cut_after_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    assert!(fazhi(dir.path(), &["demo"]).status.success());
    let o = fazhi(dir.path(), &["audit", "checkpoint"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("AT：第 ") && stdout(&o).contains("已签名"), "{}", stdout(&o));
    let o = fazhi(dir.path(), &["audit", "verify", "--since-checkpoint"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("自第 "), "the fast path says where it started: {}", stdout(&o));
    let db = dir.path().join("fazhi.db");
    let sql = "UPDATE cases SET data = json_set(data, '$.on_time', 'yes') WHERE kind = 'work_order' AND json_extract(data, '$.on_time') = 'no'; \
               UPDATE cases SET data = json_set(data, '$.satisfaction', 'satisfied') WHERE kind = 'work_order' AND json_extract(data, '$.satisfaction') = 'unsatisfied';";
    let Ok(conn) = Command::new("sqlite3").arg(&db).arg(sql).output() else {
        eprintln!("skipping: the sqlite3 command-line tool is not installed");
        return;
    };
    assert!(conn.status.success(), "{}", String::from_utf8_lossy(&conn.stderr));
    let o = fazhi(dir.path(), &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("鳌头镇（AT）：事件链完整"), "the chain itself is untouched: {out}");
    assert!(out.contains("鳌头镇（AT）：案件 AT-GD-2023-"), "names the tenant and the case: {out}");
    assert!(out.contains("数据（on_time") && out.contains("条记录与事件不一致"), "every edited row is counted: {out}");
    // Cut the tail and roll the head back: consistent in itself, shorter than the checkpoint.
    let cut = "DROP TRIGGER events_no_delete; \
               CREATE TEMP TABLE cut AS SELECT tenant_id, seq - 3 AS keep FROM chain_heads WHERE tenant_id = (SELECT id FROM tenants WHERE code = 'AT'); \
               DELETE FROM outbox WHERE event_id IN (SELECT e.id FROM events e JOIN cut ON e.tenant_id = cut.tenant_id AND e.seq > cut.keep); \
               DELETE FROM events WHERE id IN (SELECT e.id FROM events e JOIN cut ON e.tenant_id = cut.tenant_id AND e.seq > cut.keep); \
               UPDATE chain_heads SET seq = (SELECT keep FROM cut), hash = (SELECT e.hash FROM events e JOIN cut ON e.tenant_id = cut.tenant_id AND e.seq = cut.keep) WHERE tenant_id = (SELECT tenant_id FROM cut);";
    let conn = Command::new("sqlite3").arg(&db).arg(cut).output().unwrap();
    assert!(conn.status.success(), "{}", String::from_utf8_lossy(&conn.stderr));
    let o = fazhi(dir.path(), &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("鳌头镇（AT）：事件链断裂！") && stdout(&o).contains("与已签名的检查点不符"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn the_annual_report_is_written_in_each_format_and_opens_in_libreoffice() {
    let dir = tempfile::tempdir().unwrap();
    assert!(fazhi(dir.path(), &["demo"]).status.success());
    let md = fazhi(dir.path(), &["report", "annual", "--year", "2023", "--tenant", "AT"]);
    assert!(md.status.success(), "{}", stderr(&md));
    assert!(stdout(&md).contains("承办广州12345政府服务热线工单4326件，办结率达100%。"));
    let html = dir.path().join("r.html");
    assert!(
        fazhi(dir.path(), &["report", "annual", "--year", "2023", "--format", "html", "--out", html.to_str().unwrap()])
            .status
            .success()
    );
    assert!(std::fs::read_to_string(&html).unwrap().contains("<svg"));
    let docx = dir.path().join("report.docx");
    let o =
        fazhi(dir.path(), &["report", "annual", "--year", "2023", "--format", "docx", "--out", docx.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&docx).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let cmp = fazhi(dir.path(), &["report", "compare", "--year", "2023"]);
    assert!(stdout(&cmp).contains("鳌头镇") && stdout(&cmp).contains("全区合计"), "{}", stdout(&cmp));

    // LibreOffice must open it without repair: convert to PDF and render page 1 as an artefact.
    let Ok(lo) = Command::new("libreoffice").arg("--version").output() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but LibreOffice is not installed (apt-get install libreoffice-writer-nogui poppler-utils)");
        }
        eprintln!("skipping the LibreOffice conversion: libreoffice is not installed");
        return;
    };
    assert!(lo.status.success());
    let out = dir.path().join("pdf");
    let profile = dir.path().join("lo-profile");
    let conv = Command::new("libreoffice")
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--convert-to", "pdf", "--outdir", out.to_str().unwrap(), docx.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(conv.status.success(), "{}", String::from_utf8_lossy(&conv.stderr));
    let pdf = out.join("report.pdf");
    assert!(std::fs::metadata(&pdf).map(|m| m.len() > 1000).unwrap_or(false), "a PDF came out");
    let artefacts = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/report");
    std::fs::create_dir_all(&artefacts).unwrap();
    std::fs::copy(&pdf, artefacts.join("annual-2023.pdf")).unwrap();
    let png = Command::new("pdftoppm")
        .args([
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf.to_str().unwrap(),
            artefacts.join("annual-2023-page1").to_str().unwrap(),
        ])
        .output();
    if let Ok(png) = png {
        assert!(png.status.success(), "{}", String::from_utf8_lossy(&png.stderr));
        assert!(artefacts.join("annual-2023-page1.png").exists());
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but pdftoppm (poppler-utils) is not installed");
    }
}

#[test]
fn a_refused_report_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(fazhi(dir.path(), &["demo"]).status.success());
    let out = dir.path().join("r.docx");
    let this_year =
        fazhi(dir.path(), &["report", "annual", "--year", "2026", "--format", "docx", "--out", out.to_str().unwrap()]);
    assert_eq!(this_year.status.code(), Some(1));
    assert!(stderr(&this_year).contains("2026年尚未结束，只能生成草稿"), "{}", stderr(&this_year));
    assert!(!out.exists());
    let unknown = fazhi(
        dir.path(),
        &["report", "annual", "--year", "2023", "--tenant", "ZZ", "--format", "docx", "--out", out.to_str().unwrap()],
    );
    assert!(stderr(&unknown).contains("代码“ZZ”不存在"));
    assert!(!out.exists());
    let fmt = fazhi(dir.path(), &["report", "annual", "--year", "2023", "--format", "pdf"]);
    assert_eq!(fmt.status.code(), Some(2));
    let draft = fazhi(dir.path(), &["report", "annual", "--year", "2026", "--draft"]);
    assert!(draft.status.success());
    assert!(stdout(&draft).contains("> 草稿，未定稿。数据截至"));
}

#[test]
fn a_database_url_with_a_password_is_never_printed() {
    // 等保 2.0 §8.1.4.8: authentication data stays secret, in an error message too.
    let dir = tempfile::tempdir().unwrap();
    for url in ["mysql://fazhi:S3cret-pw@db/fazhi", "postgres://fazhi:S3cret-pw@127.0.0.1:1/fazhi"] {
        let o = Command::new(env!("CARGO_BIN_EXE_fazhi"))
            .args(["--data-dir", dir.path().to_str().unwrap(), "--database-url", url, "migrate"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        let said = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!said.contains("S3cret-pw") && said.contains("fazhi:******@"), "{said}");
    }
}
