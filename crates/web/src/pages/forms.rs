//! Form fields rendered from a workflow action's field definitions, and form input read back.
//! A form that comes back with errors shows each message next to its field and keeps what was
//! typed.

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::extract::multipart::Field;
use fazhi_domain::FieldError;
use fazhi_domain::unit::Unit;
use fazhi_domain::workflow::{FieldDef, FieldKind};
use fazhi_service::attachments::{MAX_FILES, Upload};
use fazhi_service::{App, ServiceError};
use serde_json::{Map, Value as Json};

use super::html::esc;

/// What a form submitted: text values by name, files staged on disk, and what was wrong with
/// any file.
#[derive(Debug, Default)]
pub struct Submitted {
    pub values: HashMap<String, String>,
    pub uploads: Vec<Upload>,
    /// Files refused while they arrived (type, size, count), each naming the file.
    pub file_errors: Vec<FieldError>,
}

impl Submitted {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.values.get(k).map(String::as_str)
    }

    /// The values of the given fields as the engine's input (strings), skipping the form's own
    /// controls.
    pub fn input(&self, fields: &[FieldDef]) -> Map<String, Json> {
        fields
            .iter()
            .filter_map(|f| self.values.get(f.name).map(|v| (f.name.to_string(), Json::String(v.clone()))))
            .collect()
    }
}

/// Why a multipart form could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The body is malformed or cut short.
    Malformed(String),
    /// A file came before the form's CSRF token matched.
    Csrf,
    /// Staging a file failed (disk).
    Service(ServiceError),
}

/// The longest text field read (the longest text an action takes is 5,000 characters): a text
/// field is held in memory, so a body of 100 MB of "text" is refused, not buffered.
const MAX_TEXT_BYTES: usize = 256 * 1024;

async fn read_text(field: &mut Field<'_>) -> Result<String, ReadError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| ReadError::Malformed(format!("表单数据不完整：{e}")))?
    {
        if buf.len() + chunk.len() > MAX_TEXT_BYTES {
            return Err(ReadError::Malformed(format!("表单字段“{}”过长", field.name().unwrap_or(""))));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf).map_err(|_| ReadError::Malformed("表单数据不是有效的UTF-8文本".into()))
}

async fn drain(field: &mut Field<'_>) -> Result<(), ReadError> {
    while field.chunk().await.map_err(|e| ReadError::Malformed(format!("文件上传失败：{e}")))?.is_some() {}
    Ok(())
}

/// Reads a multipart form: text fields, and files streamed chunk by chunk to a staging file under
/// the data directory while they are hashed — never held whole in memory, so a request of
/// 100 MB costs a few buffers, not 100 MB (issue 10 item 12). Files are staged only once the form's
/// `_csrf` field (which precedes them in fazhi's forms) matched `csrf`. A file of a refused type,
/// over the size limit or over the count is drained unstored and named in `file_errors`; empty
/// file inputs are skipped.
///
/// # Errors
/// A malformed body; a file before a matching CSRF token; the disk failing.
pub async fn read_multipart(app: &App, csrf: &str, mut mp: Multipart) -> Result<Submitted, ReadError> {
    let mut out = Submitted::default();
    let mut csrf_ok = false;
    let mut files = 0usize;
    while let Some(mut field) =
        mp.next_field().await.map_err(|e| ReadError::Malformed(format!("表单数据不完整：{e}")))?
    {
        let name = field.name().unwrap_or("").to_string();
        let Some(file_name) = field.file_name().map(String::from) else {
            let text = read_text(&mut field).await?;
            if name == "_csrf" {
                csrf_ok = super::session::same(&text, csrf);
            }
            // Checkboxes of the same name (roles) collect with commas.
            out.values
                .entry(name)
                .and_modify(|v| {
                    v.push(',');
                })
                .or_default()
                .push_str(&text);
            continue;
        };
        if file_name.is_empty() {
            drain(&mut field).await?;
            continue;
        }
        if !csrf_ok {
            return Err(ReadError::Csrf);
        }
        files += 1;
        if files > MAX_FILES {
            if files == MAX_FILES + 1 {
                out.file_errors.push(FieldError::new("attachments", "附件", format!("一次最多上传{MAX_FILES}个文件")));
            }
            drain(&mut field).await?;
            continue;
        }
        let mime = field.content_type().unwrap_or("application/octet-stream").to_string();
        let mut writer = match app.begin_upload(&file_name, &mime).await {
            Ok(w) => w,
            Err(ServiceError::Invalid(e)) => {
                out.file_errors.extend(e);
                drain(&mut field).await?;
                continue;
            }
            Err(e) => return Err(ReadError::Service(e)),
        };
        let mut refused = false;
        while let Some(chunk) = field.chunk().await.map_err(|e| ReadError::Malformed(format!("文件上传失败：{e}")))?
        {
            if refused {
                continue;
            }
            match writer.write(&chunk).await {
                Ok(()) => {}
                Err(ServiceError::Invalid(e)) => {
                    out.file_errors.extend(e);
                    refused = true;
                }
                Err(e) => return Err(ReadError::Service(e)),
            }
        }
        if refused {
            // Dropping the writer deletes what was staged.
            continue;
        }
        match writer.finish().await {
            Ok(u) => out.uploads.push(u),
            Err(ServiceError::Invalid(e)) => out.file_errors.extend(e),
            Err(e) => return Err(ReadError::Service(e)),
        }
    }
    Ok(out)
}

/// An urlencoded form's pairs by name; a name sent several times (a multiple choice of users)
/// collects its values with commas, as the multipart reader does.
pub fn joined(pairs: Vec<(String, String)>) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs {
        out.entry(k)
            .and_modify(|x| {
                x.push(',');
                x.push_str(&v);
            })
            .or_insert(v);
    }
    out
}

/// What the choice fields of a form offer: the units a unit field may name (already filtered to
/// the user's tenant) and the staff a users field may name, as (id, label).
#[derive(Debug, Clone, Copy, Default)]
pub struct Choices<'a> {
    pub units: &'a [Unit],
    pub staff: &'a [(String, String)],
}

/// The staff a form of `defs` may name: read only when one of its fields names users.
///
/// # Errors
/// Database errors.
pub async fn staff_for(
    app: &fazhi_service::App,
    p: &fazhi_service::Principal,
    defs: &[&FieldDef],
) -> Result<Vec<(String, String)>, fazhi_service::ServiceError> {
    if defs.iter().any(|f| matches!(f.kind, FieldKind::Users { .. })) {
        app.staff_choices(p).await
    } else {
        Ok(Vec::new())
    }
}

/// Per-field messages of a failed submission.
pub fn errors_by_field(errors: &[FieldError]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for e in errors {
        m.entry(e.field.clone()).or_insert_with(|| e.reason.clone());
    }
    m
}

/// Renders one field with its label, help, typed value and error, offering `choices` to unit and
/// users fields.
pub fn field(prefix: &str, f: &FieldDef, value: Option<&str>, error: Option<&str>, choices: &Choices<'_>) -> String {
    let id = format!("{prefix}-{}", f.name);
    let v = value.unwrap_or("");
    let req = if f.required { " required" } else { "" };
    let described = format!(
        "{}{}",
        if f.help.is_some() { format!("{id}-help ") } else { String::new() },
        if error.is_some() { format!("{id}-err") } else { String::new() }
    );
    let aria =
        if described.trim().is_empty() { String::new() } else { format!(" aria-describedby=\"{}\"", described.trim()) };
    let invalid = if error.is_some() { " aria-invalid=\"true\"" } else { "" };
    let common = format!("id=\"{id}\" name=\"{}\"{req}{aria}{invalid}", f.name);
    let control = match &f.kind {
        FieldKind::Text { max } => format!("<input type=\"text\" {common} maxlength=\"{max}\" value=\"{}\">", esc(v)),
        FieldKind::LongText { max } => {
            format!("<textarea {common} maxlength=\"{max}\" rows=\"4\">{}</textarea>", esc(v))
        }
        FieldKind::Choice { options } => {
            let mut s = format!("<select {common}><option value=\"\">请选择</option>");
            for (code, label) in options {
                let sel = if code == v { " selected" } else { "" };
                s.push_str(&format!("<option value=\"{}\"{sel}>{}</option>", esc(code), esc(label)));
            }
            s.push_str("</select>");
            s
        }
        FieldKind::Unit { kinds } => {
            let mut s = format!("<select {common}><option value=\"\">请选择单位</option>");
            for u in choices.units.iter().filter(|u| kinds.is_empty() || kinds.contains(&u.kind)) {
                let id = u.id.to_string();
                let sel = if id == v { " selected" } else { "" };
                let indent = "　".repeat(u.path.depth().saturating_sub(2));
                s.push_str(&format!("<option value=\"{id}\"{sel}>{indent}{}</option>", esc(&u.name)));
            }
            s.push_str("</select>");
            s
        }
        FieldKind::Date => format!("<input type=\"date\" {common} value=\"{}\">", esc(v)),
        FieldKind::Integer { min, max } => {
            format!("<input type=\"number\" {common} min=\"{min}\" max=\"{max}\" step=\"1\" value=\"{}\">", esc(v))
        }
        FieldKind::Money => format!(
            "<input type=\"text\" inputmode=\"decimal\" {common} placeholder=\"元，如 2256.03\" value=\"{}\">",
            esc(v)
        ),
        FieldKind::IdCard => {
            format!("<input type=\"text\" {common} maxlength=\"18\" autocomplete=\"off\" value=\"{}\">", esc(v))
        }
        FieldKind::Phone => format!("<input type=\"tel\" {common} maxlength=\"20\" value=\"{}\">", esc(v)),
        FieldKind::Users { .. } => {
            let chosen: Vec<&str> = v.split(',').map(str::trim).collect();
            let mut s = format!("<select multiple size=\"6\" {common}>");
            for (id, label) in choices.staff {
                let sel = if chosen.contains(&id.as_str()) { " selected" } else { "" };
                s.push_str(&format!("<option value=\"{}\"{sel}>{}</option>", esc(id), esc(label)));
            }
            s.push_str("</select>");
            s
        }
        FieldKind::Bool => {
            let checked = if matches!(v, "true" | "on" | "1") { " checked" } else { "" };
            format!("<input type=\"checkbox\" {common} value=\"true\"{checked}>")
        }
    };
    let star = if f.required { "<span class=\"req\" aria-hidden=\"true\">*</span>" } else { "" };
    let help = f.help.map(|h| format!("<p class=\"help\" id=\"{id}-help\">{}</p>", esc(h))).unwrap_or_default();
    let err = error.map(|e| format!("<p class=\"error\" id=\"{id}-err\">{}</p>", esc(e))).unwrap_or_default();
    let cls = if error.is_some() { "field has-error" } else { "field" };
    format!("<div class=\"{cls}\"><label for=\"{id}\">{}{star}</label>{control}{help}{err}</div>", esc(f.label))
}

/// Renders all fields of an action.
pub fn fields(
    prefix: &str,
    defs: &[FieldDef],
    values: &HashMap<String, String>,
    errors: &HashMap<String, String>,
    choices: &Choices<'_>,
) -> String {
    defs.iter()
        .map(|f| {
            field(prefix, f, values.get(f.name).map(String::as_str), errors.get(f.name).map(String::as_str), choices)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_keeps_its_value_and_shows_its_error_escaped() {
        let f = FieldDef::new("title", "标题", FieldKind::Text { max: 100 }).required();
        let h = field("new", &f, Some("<路灯>"), Some("不能为空"), &Choices::default());
        assert!(h.contains("value=\"&lt;路灯&gt;\""));
        assert!(h.contains("<p class=\"error\" id=\"new-title-err\">不能为空</p>"));
        assert!(h.contains("aria-invalid=\"true\"") && h.contains("required"));
    }

    #[test]
    fn a_users_field_offers_the_staff_and_marks_each_chosen_one() {
        let f = FieldDef::new("accused_users", "被检举控告的工作人员", FieldKind::Users { max: 20 });
        let staff =
            vec![("u1".to_string(), "张三（司法所）".to_string()), ("u2".to_string(), "李四（<村>）".to_string())];
        let h = field("new", &f, Some("u1,u2"), None, &Choices { units: &[], staff: &staff });
        assert!(h.contains("<select multiple"), "{h}");
        assert!(h.contains("<option value=\"u1\" selected>张三（司法所）</option>"), "{h}");
        assert!(h.contains("<option value=\"u2\" selected>李四（&lt;村&gt;）</option>"), "{h}");
        assert_eq!(
            joined(vec![("a".into(), "1".into()), ("a".into(), "2".into()), ("b".into(), "x".into())])["a"],
            "1,2"
        );
    }

    #[test]
    fn a_choice_marks_the_chosen_option() {
        let f = FieldDef::new(
            "category",
            "类别",
            FieldKind::Choice { options: vec![("help".into(), "求助".into()), ("consult".into(), "咨询".into())] },
        );
        let h = field("x", &f, Some("consult"), None, &Choices::default());
        assert!(h.contains("<option value=\"consult\" selected>咨询</option>"));
    }
}
