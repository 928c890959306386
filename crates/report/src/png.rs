//! SVG charts to PNG for Word, with resvg. Chinese labels are drawn with the CJK fonts installed
//! on the machine: fazhi's CI and Debian installations use Noto Sans CJK (`fonts-noto-cjk`, SIL
//! Open Font License 1.1); any installed CJK font does. Without one the labels would be boxes,
//! so the conversion refuses instead.

use std::sync::OnceLock;

use resvg::{tiny_skia, usvg};

/// Why a chart could not be rasterised.
#[derive(Debug, thiserror::Error)]
#[error("chart to PNG: {0}")]
pub struct PngError(pub String);

fn fonts() -> &'static std::sync::Arc<usvg::fontdb::Database> {
    static DB: OnceLock<std::sync::Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_system_fonts();
        // The generic family the charts use resolves to a CJK face when there is one.
        let cjk = db.faces().find(|f| {
            f.families
                .iter()
                .any(|(n, _)| n.contains("CJK") || n.contains("Hei") || n.contains("Song") || n.contains("WenQuanYi"))
        });
        if let Some(face) = cjk.map(|f| f.families[0].0.clone()) {
            db.set_sans_serif_family(face.clone());
            db.set_serif_family(face);
        }
        std::sync::Arc::new(db)
    })
}

/// Whether a CJK font is installed (charts need one).
pub fn has_cjk_font() -> bool {
    fonts().faces().any(|f| {
        f.families
            .iter()
            .any(|(n, _)| n.contains("CJK") || n.contains("Hei") || n.contains("Song") || n.contains("WenQuanYi"))
    })
}

/// Rasterises an SVG at `scale` (2.0 for print quality). Returns PNG bytes and the pixel size.
///
/// # Errors
/// No CJK font installed, or an SVG that does not parse.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<(Vec<u8>, u32, u32), PngError> {
    if !has_cjk_font() {
        return Err(PngError("没有安装中文字体（如 fonts-noto-cjk），图表中的中文无法显示".into()));
    }
    let opt = usvg::Options { fontdb: fonts().clone(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| PngError(e.to_string()))?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or_else(|| PngError("bad size".into()))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| PngError("bad size".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    let png = pixmap.encode_png().map_err(|e| PngError(e.to_string()))?;
    Ok((png, size.width(), size.height()))
}
