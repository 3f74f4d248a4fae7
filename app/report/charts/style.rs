//! What every chart shares: the look of axes and grid, the text style, and the legend strip
//! drawn under a plot (never over it).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::Rgb;

/// The look every chart's axes and grid share.
pub(super) trait HouseStyle {
    fn house_style(&mut self) -> &mut Self;
}

impl<X, Y, XT, YT, DB> HouseStyle for plotters::chart::MeshStyle<'_, '_, X, Y, DB>
where
    X: Ranged<ValueType = XT> + plotters::coord::ranged1d::ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + plotters::coord::ranged1d::ValueFormatter<YT>,
    DB: DrawingBackend,
{
    fn house_style(&mut self) -> &mut Self {
        self.label_style(font(13))
            .axis_desc_style(font(14))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(AXIS_GREY)
    }
}

pub(super) fn rgb((r, g, b): Rgb) -> RGBColor {
    RGBColor(r, g, b)
}

pub(super) const TEXT: RGBColor = RGBColor(40, 40, 40);

pub(super) const GRID: RGBColor = RGBColor(232, 232, 232);

pub(super) const AXIS_GREY: RGBColor = RGBColor(120, 120, 120);

pub(super) fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&TEXT)
}

/// Height of the legend strip under each plot.
pub(super) const LEGEND_HEIGHT: u32 = 64;

pub(super) type Result2<T> = Result<T, String>;

/// A legend entry's mark.
#[derive(Clone, Copy)]
pub(super) enum Mark {
    Dot { color: Rgb, filled: bool },
    Diamond(Rgb),
    Line(Rgb, u32),
    Dashed(Rgb),
    Swatch(Rgb),
    Outline(Rgb),
}

/// Draws the legend as wrapped rows of mark + words.
pub(super) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(Mark, String)],
) -> Result2<()> {
    let style = font(13);
    let (width, _) = area.dim_in_pixel();
    let (mut x, mut y) = (16i32, 6i32);
    for (mark, text) in items {
        let (text_w, _) = area
            .estimate_text_size(text, &style)
            .map_err(|e| e.to_string())?;
        let item_w = 22 + text_w as i32 + 18;
        if x > 16 && x + item_w > width as i32 - 8 {
            x = 16;
            y += 20;
        }
        let c = (x + 7, y + 8);
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        match *mark {
            Mark::Dot { color, filled } => {
                let style = if filled {
                    rgb(color).filled()
                } else {
                    rgb(color).stroke_width(2)
                };
                area.draw(&Circle::new(c, 5, style)).map_err(err)?;
            }
            Mark::Diamond(color) => area
                .draw(&Polygon::new(
                    vec![
                        (c.0, c.1 - 7),
                        (c.0 + 7, c.1),
                        (c.0, c.1 + 7),
                        (c.0 - 7, c.1),
                    ],
                    rgb(color).filled(),
                ))
                .map_err(err)?,
            Mark::Line(color, width) => area
                .draw(&PathElement::new(
                    vec![(c.0 - 8, c.1), (c.0 + 8, c.1)],
                    rgb(color).stroke_width(width),
                ))
                .map_err(err)?,
            Mark::Dashed(color) => {
                for dx in [-8, -1, 6] {
                    area.draw(&PathElement::new(
                        vec![(c.0 + dx, c.1), (c.0 + dx + 4, c.1)],
                        rgb(color).stroke_width(2),
                    ))
                    .map_err(err)?;
                }
            }
            Mark::Swatch(color) => area
                .draw(&Rectangle::new(
                    [(c.0 - 7, c.1 - 6), (c.0 + 7, c.1 + 6)],
                    rgb(color).filled(),
                ))
                .map_err(err)?,
            Mark::Outline(color) => area
                .draw(&Rectangle::new(
                    [(c.0 - 7, c.1 - 6), (c.0 + 7, c.1 + 6)],
                    rgb(color).stroke_width(2),
                ))
                .map_err(err)?,
        }
        area.draw(&Text::new(text.clone(), (x + 20, y + 1), style.clone()))
            .map_err(err)?;
        x += item_w;
    }
    Ok(())
}
