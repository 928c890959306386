//! Charts rendered on the server as SVG (plotters, SVG backend): no script, no CDN, nothing
//! fetched; the browser draws the Chinese labels with its own fonts.

use plotters::prelude::*;

/// One bar of a chart: its label and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
}

/// An optional line drawn over the bars, in percent (0–100) on a right-hand axis; `None` where
/// there is no value (no denominator).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLine {
    pub name: String,
    pub points: Vec<Option<f64>>,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

const BLUE: RGBColor = RGBColor(64, 158, 255);
const GREEN: RGBColor = RGBColor(47, 153, 81);
const FONT: &str = "sans-serif";
/// The height of the strip below a chart that holds its legend.
const LEGEND_STRIP: u32 = 28;

/// A vertical bar chart (e.g. work orders by month) of `bar_name` counted in `unit`, with an
/// optional rate line; with the line, a legend below the plot names both.
///
/// # Errors
/// Only a failure of the drawing backend.
pub fn bars_svg(
    title: &str,
    bars: &[Bar],
    bar_name: &str,
    unit: &str,
    line: Option<&RateLine>,
    width: u32,
    height: u32,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        // The legend gets a strip of its own below the plot, so it never covers a bar or a point
        // (inside the plot area it hid the last months' bars).
        let (plot, legend) = match line {
            Some(_) => {
                let (plot, strip) = root.split_vertically(height.saturating_sub(LEGEND_STRIP));
                (plot, Some(strip))
            }
            None => (root.clone(), None),
        };
        let n = bars.len().max(1);
        let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
        let top = max + max / 8 + 1;
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, (FONT, 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .right_y_label_area_size(if line.is_some() { 45 } else { 0 })
            .build_cartesian_2d((0..n).into_segmented(), 0u64..top)
            .map_err(err)?
            .set_secondary_coord((0..n).into_segmented(), 0f64..100f64);
        let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc(unit)
            .label_style((FONT, 12))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let mut r =
                    Rectangle::new([(SegmentValue::Exact(i), 0), (SegmentValue::Exact(i + 1), b.value)], BLUE.filled());
                r.set_margin(0, 0, 4, 4);
                r
            }))
            .map_err(err)?;
        if let Some(line) = line {
            chart.configure_secondary_axes().y_desc("%").label_style((FONT, 12)).draw().map_err(err)?;
            let pts: Vec<(SegmentValue<usize>, f64)> =
                line.points.iter().enumerate().filter_map(|(i, p)| p.map(|v| (SegmentValue::CenterOf(i), v))).collect();
            chart.draw_secondary_series(LineSeries::new(pts.clone(), GREEN.stroke_width(2))).map_err(err)?;
            chart.draw_secondary_series(pts.into_iter().map(|p| Circle::new(p, 3, GREEN.filled()))).map_err(err)?;
            if let Some(strip) = &legend {
                let (x, y) = (60i32, i32::try_from(LEGEND_STRIP / 2).unwrap_or(12));
                strip.draw(&Rectangle::new([(x, y - 6), (x + 12, y + 6)], BLUE.filled())).map_err(err)?;
                let label = format!("{bar_name}（{unit}）");
                let x_line = x + 28 + 13 * i32::try_from(label.chars().count()).unwrap_or(8);
                strip.draw(&Text::new(label, (x + 16, y - 7), (FONT, 12))).map_err(err)?;
                let x = x_line;
                strip.draw(&PathElement::new(vec![(x, y), (x + 16, y)], GREEN.stroke_width(2))).map_err(err)?;
                strip.draw(&Circle::new((x + 8, y), 3, GREEN.filled())).map_err(err)?;
                strip.draw(&Text::new(line.name.clone(), (x + 22, y - 7), (FONT, 12))).map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(accessible(svg, title))
}

/// A horizontal bar chart (e.g. work orders by village).
///
/// # Errors
/// Only a failure of the drawing backend.
pub fn hbars_svg(title: &str, bars: &[Bar], width: u32) -> Result<String, ChartError> {
    let n = bars.len().max(1);
    let height = u32::try_from(60 + 26 * n).unwrap_or(600);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(120)
            .build_cartesian_2d(0u64..(max + max / 8 + 1), (0..n).into_segmented())
            .map_err(err)?;
        let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .label_style((FONT, 12))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let mut r =
                    Rectangle::new([(0, SegmentValue::Exact(i)), (b.value, SegmentValue::Exact(i + 1))], BLUE.filled());
                r.set_margin(3, 3, 0, 0);
                r
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(accessible(svg, title))
}

/// Gives the SVG a role and a title for screen readers, and lets it scale with the page.
fn accessible(svg: String, title: &str) -> String {
    let esc = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let svg = svg.replacen(
        "<svg ",
        "<svg role=\"img\" preserveAspectRatio=\"xMinYMin meet\" style=\"max-width:100%;height:auto\" ",
        1,
    );
    match svg.find('>') {
        Some(i) => format!("{}<title>{esc}</title>{}", &svg[..=i], &svg[i + 1..]),
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<Bar> {
        (1..=12u64).map(|m| Bar { label: format!("{m}月"), value: m * 30 }).collect()
    }

    #[test]
    fn a_monthly_chart_is_an_svg_with_chinese_labels_and_a_title() {
        let line = RateLine {
            name: "按时办结率".into(),
            points: (0..12).map(|i| if i == 3 { None } else { Some(95.0) }).collect(),
        };
        let svg = bars_svg("2023年12345工单受理量", &bars(), "受理数", "件", Some(&line), 800, 360).unwrap();
        assert!(svg.starts_with("<svg role=\"img\""));
        assert!(svg.contains("<title>2023年12345工单受理量</title>"));
        assert!(svg.contains("12月") && svg.contains("按时办结率"));
        assert!(svg.matches("<rect").count() >= 12);
    }

    /// The y coordinate of the first `<text>` holding `label`.
    fn text_y(svg: &str, label: &str) -> f64 {
        svg.split("<text")
            .skip(1)
            .find_map(|t| {
                let (tag, rest) = t.split_once('>')?;
                (rest.split("</text>").next()?.trim() == label).then_some(tag)
            })
            .and_then(|tag| tag.split(" y=\"").nth(1))
            .and_then(|y| y.split('"').next())
            .and_then(|y| y.parse().ok())
            .expect(label)
    }

    #[test]
    fn the_legend_sits_below_the_plot_and_covers_no_bar() {
        let line = RateLine { name: "按时办结率".into(), points: vec![Some(100.0); 12] };
        let (height, width) = (360u32, 800u32);
        let svg = bars_svg("按月", &bars(), "受理数", "件", Some(&line), width, height).unwrap();
        let legend_y = text_y(&svg, "按时办结率");
        // Below every month label of the x axis, and so below every bar and point of the plot.
        let lowest_axis_label = (1..=12).map(|m| text_y(&svg, &format!("{m}月"))).fold(0.0, f64::max);
        assert!(legend_y > lowest_axis_label, "legend at {legend_y}, axis labels down to {lowest_axis_label}");
        assert!(legend_y >= f64::from(height - LEGEND_STRIP) - 8.0, "legend at {legend_y}");
        assert!(legend_y < f64::from(height));
    }

    #[test]
    fn empty_and_horizontal_charts_draw() {
        assert!(bars_svg("无数据", &[], "受理数", "件", None, 400, 300).unwrap().contains("<svg"));
        let svg = hbars_svg(
            "按单位",
            &[Bar { label: "龙潭村".into(), value: 5 }, Bar { label: "西塘村".into(), value: 0 }],
            600,
        )
        .unwrap();
        assert!(svg.contains("龙潭村"));
    }
}
