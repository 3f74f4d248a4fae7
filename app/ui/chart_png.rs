//! Chart images for the saved summary, drawn from the engine's chart series straight into
//! pixels (no window needed): memory stacks and price against performance. The Markdown
//! carries the numbers; the images show their shape.

use image::{Rgba, RgbaImage};

use crate::engine::series::ChartSeries;

/// Explains the images, appended under them in the Markdown.
pub const LEGEND: &str = "Memory: one row per option in ranking order (first at the top); blue = weights, \
purple = KV cache, grey = overhead; the tick is the memory the accelerator may use (green: fits, red: does not). \
Price vs. performance: x = price from $0, y = the mix's local decode tok/s from 0; orange = yours, green = meets \
the targets, red = misses them; the line is the Pareto frontier.\n";

const WIDTH: u32 = 800;
const MARGIN: u32 = 20;
const ROW_PX: u32 = 24;
const MAX_ROWS: usize = 20;

const WHITE: Rgba<u8> = Rgba([255, 255, 255, 255]);
const AXIS: Rgba<u8> = Rgba([90, 90, 90, 255]);
const WEIGHTS: Rgba<u8> = Rgba([70, 120, 200, 255]);
const KV: Rgba<u8> = Rgba([140, 90, 200, 255]);
const OVERHEAD: Rgba<u8> = Rgba([150, 150, 150, 255]);
const GOOD: Rgba<u8> = Rgba([60, 160, 90, 255]);
const BAD: Rgba<u8> = Rgba([220, 60, 60, 255]);
const YOURS: Rgba<u8> = Rgba([230, 140, 20, 255]);

fn fill_rect(img: &mut RgbaImage, x0: f64, y0: f64, x1: f64, y1: f64, color: Rgba<u8>) {
    let (w, h) = (img.width() as f64, img.height() as f64);
    let (xa, xb) = (
        x0.min(x1).clamp(0.0, w) as u32,
        x0.max(x1).clamp(0.0, w) as u32,
    );
    let (ya, yb) = (
        y0.min(y1).clamp(0.0, h) as u32,
        y0.max(y1).clamp(0.0, h) as u32,
    );
    for y in ya..yb {
        for x in xa..xb {
            img.put_pixel(x, y, color);
        }
    }
}

fn line(img: &mut RgbaImage, from: (f64, f64), to: (f64, f64), color: Rgba<u8>) {
    let steps = ((to.0 - from.0).abs().max((to.1 - from.1).abs()).ceil() as usize).max(1);
    for i in 0..=steps {
        let t = i as f64 / steps as f64;
        let (x, y) = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
        fill_rect(img, x - 1.0, y - 1.0, x + 1.0, y + 1.0, color);
    }
}

fn encode(img: &RgbaImage) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Memory stacks as horizontal bars, first option at the top.
pub fn memory_png(series: &ChartSeries) -> Result<Vec<u8>, String> {
    let rows: Vec<_> = series.memory.iter().take(MAX_ROWS).collect();
    let height = 2 * MARGIN + ROW_PX * rows.len().max(1) as u32;
    let mut img = RgbaImage::from_pixel(WIDTH, height, WHITE);
    let max_gib = rows
        .iter()
        .map(|r| (r.weights_gib + r.kv_cache_gib + r.overhead_gib).max(r.usable_gib))
        .fold(1.0, f64::max);
    let left = MARGIN as f64;
    let scale = (WIDTH - 2 * MARGIN) as f64 / max_gib;
    for (i, row) in rows.iter().enumerate() {
        let top = (MARGIN + ROW_PX * i as u32) as f64 + 4.0;
        let bottom = top + ROW_PX as f64 - 8.0;
        let mut x = left;
        for (gib, color) in [
            (row.weights_gib, WEIGHTS),
            (row.kv_cache_gib, KV),
            (row.overhead_gib, OVERHEAD),
        ] {
            let next = x + gib.max(0.0) * scale;
            fill_rect(&mut img, x, top, next, bottom, color);
            x = next;
        }
        let tick = left + row.usable_gib.max(0.0) * scale;
        let color = if row.headroom_gib >= 0.0 { GOOD } else { BAD };
        fill_rect(
            &mut img,
            tick - 2.0,
            top - 3.0,
            tick + 2.0,
            bottom + 3.0,
            color,
        );
        if row.is_current {
            fill_rect(&mut img, 2.0, top, 8.0, bottom, YOURS);
        }
    }
    line(
        &mut img,
        (left, MARGIN as f64),
        (left, (height - MARGIN) as f64),
        AXIS,
    );
    encode(&img)
}

/// Price against the mix's decode speed, with the Pareto frontier.
pub fn price_png(series: &ChartSeries) -> Result<Vec<u8>, String> {
    let height = 500u32;
    let mut img = RgbaImage::from_pixel(WIDTH, height, WHITE);
    let max_x = series.price.iter().map(|p| p.price_usd).fold(1.0, f64::max) * 1.05;
    let max_y = series
        .price
        .iter()
        .map(|p| p.decode_tokens_per_s)
        .fold(1.0, f64::max)
        * 1.1;
    let (left, bottom) = (MARGIN as f64 * 2.0, (height - MARGIN * 2) as f64);
    let (width, top) = ((WIDTH - MARGIN * 3) as f64, MARGIN as f64);
    let at = |x: f64, y: f64| {
        (
            left + x / max_x * width,
            bottom - y / max_y * (bottom - top),
        )
    };
    line(&mut img, (left, top), (left, bottom), AXIS);
    line(&mut img, (left, bottom), (left + width, bottom), AXIS);
    for pair in series.frontier.windows(2) {
        line(
            &mut img,
            at(pair[0][0], pair[0][1]),
            at(pair[1][0], pair[1][1]),
            AXIS,
        );
    }
    for point in &series.price {
        let color = if point.is_current {
            YOURS
        } else if point.meets_targets {
            GOOD
        } else {
            BAD
        };
        let (x, y) = at(point.price_usd, point.decode_tokens_per_s);
        let r = if point.is_current { 7.0 } else { 5.0 };
        fill_rect(&mut img, x - r, y - r, x + r, y + r, color);
    }
    encode(&img)
}
