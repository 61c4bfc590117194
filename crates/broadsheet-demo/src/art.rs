//! Hero images drawn by code: deterministic SVG illustrations (charts, skylines, harbours…)
//! in a handful of newsroom palettes, so the demo has pictures without any borrowed photo.

use std::fmt::Write;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 675;

pub const STYLES: &[&str] = &[
    "bars",
    "candles",
    "circles",
    "circuit",
    "columns",
    "dots",
    "grid",
    "harbour",
    "lines",
    "mountains",
    "skyline",
    "waves",
];

struct Palette {
    sky: (&'static str, &'static str),
    ink: &'static str,
    soft: &'static str,
    accent: &'static str,
}

const PALETTES: &[Palette] = &[
    Palette {
        sky: ("#0b3d66", "#14609e"),
        ink: "#e8f1fa",
        soft: "#5b8fc0",
        accent: "#f2b134",
    },
    Palette {
        sky: ("#1d2b36", "#35566b"),
        ink: "#f4efe6",
        soft: "#7f9aa8",
        accent: "#e4572e",
    },
    Palette {
        sky: ("#f6efe3", "#e7d7bd"),
        ink: "#2a2a2a",
        soft: "#b99b6b",
        accent: "#a3161a",
    },
    Palette {
        sky: ("#0f3b2e", "#1f6e55"),
        ink: "#e9f5ef",
        soft: "#5fae8e",
        accent: "#ffd166",
    },
    Palette {
        sky: ("#2b1d3f", "#5a3b7a"),
        ink: "#f3ecfb",
        soft: "#9d7cc4",
        accent: "#ff9f68",
    },
    Palette {
        sky: ("#e9eef3", "#cfd9e3"),
        ink: "#16324f",
        soft: "#8aa4bf",
        accent: "#0a7c86",
    },
];

/// Small deterministic generator: the same seed always draws the same picture.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 10_000) as f64 / 10_000.0
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// Draws an illustration in `style` ("bars", "harbour", …); unknown styles draw waves.
pub fn draw(style: &str, seed: u64) -> String {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let p = &PALETTES[(seed as usize) % PALETTES.len()];
    let mut s = String::with_capacity(8 * 1024);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}"><defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="{}"/><stop offset="1" stop-color="{}"/></linearGradient></defs><rect width="{WIDTH}" height="{HEIGHT}" fill="url(#sky)"/>"##,
        p.sky.0, p.sky.1
    );
    match style {
        "bars" => bars(&mut s, &mut rng, p),
        "candles" => candles(&mut s, &mut rng, p),
        "circles" => circles(&mut s, &mut rng, p),
        "circuit" => circuit(&mut s, &mut rng, p),
        "columns" => columns(&mut s, &mut rng, p),
        "dots" => dots(&mut s, &mut rng, p),
        "grid" => grid(&mut s, &mut rng, p),
        "harbour" => harbour(&mut s, &mut rng, p),
        "lines" => lines(&mut s, &mut rng, p),
        "mountains" => mountains(&mut s, &mut rng, p),
        "skyline" => skyline(&mut s, &mut rng, p),
        _ => waves(&mut s, &mut rng, p),
    }
    s.push_str("</svg>\n");
    s
}

fn gridlines(s: &mut String, p: &Palette) {
    for i in 1..6 {
        let y = i * HEIGHT / 6;
        let _ = write!(
            s,
            r#"<line x1="0" y1="{y}" x2="{WIDTH}" y2="{y}" stroke="{}" stroke-opacity=".25" stroke-width="2"/>"#,
            p.soft
        );
    }
}

fn series(rng: &mut Rng, n: usize, drift: f64) -> Vec<f64> {
    let mut v = rng.range(0.3, 0.6);
    (0..n)
        .map(|_| {
            v = (v + rng.range(-0.08, 0.08) + drift).clamp(0.08, 0.92);
            v
        })
        .collect()
}

fn bars(s: &mut String, rng: &mut Rng, p: &Palette) {
    gridlines(s, p);
    let values = series(rng, 14, 0.01);
    let w = WIDTH as f64 / 14.0;
    for (i, v) in values.iter().enumerate() {
        let h = v * HEIGHT as f64 * 0.8;
        let color = if i == values.len() - 1 {
            p.accent
        } else {
            p.ink
        };
        let _ = write!(
            s,
            r#"<rect x="{:.0}" y="{:.0}" width="{:.0}" height="{h:.0}" fill="{color}" fill-opacity=".85" rx="6"/>"#,
            i as f64 * w + w * 0.18,
            HEIGHT as f64 - h,
            w * 0.64
        );
    }
}

fn polyline(values: &[f64]) -> String {
    let step = WIDTH as f64 / (values.len() - 1) as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.0},{:.0}", i as f64 * step, (1.0 - v) * HEIGHT as f64))
        .collect::<Vec<_>>()
        .join(" ")
}

fn lines(s: &mut String, rng: &mut Rng, p: &Palette) {
    gridlines(s, p);
    let drift = rng.range(-0.02, 0.02);
    let a = series(rng, 40, drift);
    let b = series(rng, 40, -drift);
    let _ = write!(
        s,
        r#"<polygon points="0,{HEIGHT} {} {WIDTH},{HEIGHT}" fill="{}" fill-opacity=".25"/>"#,
        polyline(&a),
        p.soft
    );
    let _ = write!(
        s,
        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="8" stroke-linejoin="round"/>"#,
        polyline(&a),
        p.ink
    );
    let _ = write!(
        s,
        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="6" stroke-dasharray="18 12"/>"#,
        polyline(&b),
        p.accent
    );
}

fn candles(s: &mut String, rng: &mut Rng, p: &Palette) {
    gridlines(s, p);
    let drift = rng.range(-0.015, 0.02);
    let values = series(rng, 30, drift);
    let w = WIDTH as f64 / 30.0;
    let mut prev = values[0];
    for (i, &v) in values.iter().enumerate() {
        let (top, bottom) = if v > prev { (v, prev) } else { (prev, v) };
        let color = if v >= prev { p.ink } else { p.accent };
        let x = i as f64 * w + w / 2.0;
        let hi = (top + rng.range(0.01, 0.05)).min(0.97);
        let lo = (bottom - rng.range(0.01, 0.05)).max(0.03);
        let _ = write!(
            s,
            r#"<line x1="{x:.0}" x2="{x:.0}" y1="{:.0}" y2="{:.0}" stroke="{color}" stroke-width="3"/>"#,
            (1.0 - hi) * HEIGHT as f64,
            (1.0 - lo) * HEIGHT as f64
        );
        let h = ((top - bottom) * HEIGHT as f64).max(4.0);
        let _ = write!(
            s,
            r#"<rect x="{:.0}" y="{:.0}" width="{:.0}" height="{h:.0}" fill="{color}"/>"#,
            x - w * 0.3,
            (1.0 - top) * HEIGHT as f64,
            w * 0.6
        );
        prev = v;
    }
}

fn circles(s: &mut String, rng: &mut Rng, p: &Palette) {
    let (cx, cy) = (rng.range(300.0, 900.0), rng.range(200.0, 475.0));
    for i in (1..12).rev() {
        let color = if i % 3 == 0 { p.accent } else { p.soft };
        let _ = write!(
            s,
            r#"<circle cx="{cx:.0}" cy="{cy:.0}" r="{}" fill="none" stroke="{color}" stroke-width="{}" stroke-opacity=".7"/>"#,
            i * 60,
            4 + i % 4 * 3
        );
    }
    let _ = write!(
        s,
        r#"<circle cx="{cx:.0}" cy="{cy:.0}" r="44" fill="{}"/>"#,
        p.ink
    );
}

fn circuit(s: &mut String, rng: &mut Rng, p: &Palette) {
    for _ in 0..26 {
        let mut x = rng.range(0.0, WIDTH as f64);
        let mut y = rng.range(0.0, HEIGHT as f64);
        let mut d = format!("M{x:.0} {y:.0}");
        for step in 0..4 {
            if step % 2 == 0 {
                x += rng.range(-220.0, 220.0)
            } else {
                y += rng.range(-160.0, 160.0)
            }
            let _ = write!(d, " L{x:.0} {y:.0}");
        }
        let color = if rng.next() > 0.75 { p.accent } else { p.soft };
        let _ = write!(
            s,
            r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="5"/><circle cx="{x:.0}" cy="{y:.0}" r="10" fill="{}"/>"#,
            p.ink
        );
    }
    let _ = write!(
        s,
        r#"<rect x="480" y="218" width="240" height="240" rx="18" fill="{}" stroke="{}" stroke-width="8"/>"#,
        p.sky.0, p.ink
    );
}

fn columns(s: &mut String, _rng: &mut Rng, p: &Palette) {
    let _ = write!(
        s,
        r#"<polygon points="220,230 600,90 980,230" fill="{}"/>"#,
        p.ink
    );
    let _ = write!(
        s,
        r#"<rect x="200" y="230" width="800" height="28" fill="{}"/>"#,
        p.soft
    );
    for i in 0..7 {
        let x = 240 + i * 116;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="270" width="56" height="300" fill="{}" fill-opacity=".9"/>"#,
            p.ink
        );
    }
    let _ = write!(
        s,
        r#"<rect x="170" y="570" width="860" height="30" fill="{}"/><rect x="130" y="600" width="940" height="30" fill="{}"/>"#,
        p.soft, p.accent
    );
}

fn dots(s: &mut String, rng: &mut Rng, p: &Palette) {
    for _ in 0..140 {
        let color = match (rng.next() * 3.0) as u32 {
            0 => p.ink,
            1 => p.soft,
            _ => p.accent,
        };
        let _ = write!(
            s,
            r#"<circle cx="{:.0}" cy="{:.0}" r="{:.0}" fill="{color}" fill-opacity=".8"/>"#,
            rng.range(0.0, WIDTH as f64),
            rng.range(0.0, HEIGHT as f64),
            rng.range(6.0, 34.0)
        );
    }
}

fn grid(s: &mut String, rng: &mut Rng, p: &Palette) {
    for row in 0..9 {
        for col in 0..16 {
            let r = rng.next();
            let color = if r > 0.85 {
                p.accent
            } else if r > 0.45 {
                p.ink
            } else {
                p.soft
            };
            let _ = write!(
                s,
                r#"<rect x="{}" y="{}" width="62" height="62" rx="8" fill="{color}" fill-opacity="{:.2}"/>"#,
                14 + col * 74,
                10 + row * 74,
                0.35 + r * 0.6
            );
        }
    }
}

fn harbour(s: &mut String, rng: &mut Rng, p: &Palette) {
    let water = 470;
    let _ = write!(
        s,
        r#"<rect y="{water}" width="{WIDTH}" height="{}" fill="{}"/>"#,
        HEIGHT - water,
        p.soft
    );
    for i in 0..4 {
        let x = 120 + i * 260;
        let h = rng.range(220.0, 320.0) as u32;
        let top = water - h;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{top}" width="18" height="{h}" fill="{ink}"/><rect x="{}" y="{top}" width="200" height="16" fill="{ink}"/><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{ink}" stroke-width="3"/>"#,
            x - 60,
            x + 100,
            top + 16,
            x + 100,
            top + 90,
            ink = p.ink
        );
    }
    let colors = [p.accent, p.ink, p.sky.1];
    for i in 0..18 {
        let x = 70 + (i % 9) * 120;
        let y = water - 40 - (i / 9) * 40;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{y}" width="110" height="36" fill="{}" stroke="{}" stroke-width="2"/>"#,
            colors[(i as usize * 7 + rng.range(0.0, 3.0) as usize) % 3],
            p.sky.0
        );
    }
    let _ = write!(
        s,
        r#"<path d="M300 560 L900 560 L860 620 L340 620 Z" fill="{}"/>"#,
        p.ink
    );
}

fn mountains(s: &mut String, rng: &mut Rng, p: &Palette) {
    let _ = write!(
        s,
        r#"<circle cx="{:.0}" cy="150" r="70" fill="{}"/>"#,
        rng.range(150.0, 1050.0),
        p.accent
    );
    for (layer, color) in [(0, p.soft), (1, p.ink)] {
        let base = 420 + layer * 110;
        let mut d = format!("M0 {HEIGHT} L0 {base}");
        let mut x = 0.0;
        while x < WIDTH as f64 {
            x += rng.range(80.0, 200.0);
            let _ = write!(
                d,
                " L{x:.0} {:.0}",
                base as f64 - rng.range(40.0, 260.0 - layer as f64 * 80.0)
            );
        }
        let _ = write!(d, " L{WIDTH} {HEIGHT} Z");
        let _ = write!(s, r#"<path d="{d}" fill="{color}" fill-opacity=".9"/>"#);
    }
}

fn skyline(s: &mut String, rng: &mut Rng, p: &Palette) {
    let mut x = 0.0;
    while x < WIDTH as f64 {
        let w = rng.range(60.0, 140.0);
        let h = rng.range(180.0, 520.0);
        let _ = write!(
            s,
            r#"<rect x="{x:.0}" y="{:.0}" width="{w:.0}" height="{h:.0}" fill="{}"/>"#,
            HEIGHT as f64 - h,
            p.ink
        );
        let mut wy = HEIGHT as f64 - h + 20.0;
        while wy < HEIGHT as f64 - 30.0 {
            if rng.next() > 0.5 {
                let _ = write!(
                    s,
                    r#"<rect x="{:.0}" y="{wy:.0}" width="{:.0}" height="12" fill="{}"/>"#,
                    x + 12.0,
                    w - 24.0,
                    p.accent
                );
            }
            wy += 34.0;
        }
        x += w + rng.range(6.0, 20.0);
    }
}

fn waves(s: &mut String, rng: &mut Rng, p: &Palette) {
    for (i, color) in [p.soft, p.ink, p.accent, p.soft].iter().enumerate() {
        let base = 250.0 + i as f64 * 110.0;
        let amp = rng.range(30.0, 80.0);
        let _ = write!(
            s,
            r#"<path d="M0 {base:.0} C300 {:.0}, 600 {:.0}, 900 {base:.0} S1200 {:.0}, 1200 {base:.0} L1200 {HEIGHT} L0 {HEIGHT} Z" fill="{color}" fill-opacity=".75"/>"#,
            base - amp,
            base + amp,
            base - amp
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_style_draws_a_complete_deterministic_svg() {
        for (i, style) in STYLES.iter().enumerate() {
            let svg = draw(style, i as u64);
            assert!(
                svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
                "{style}"
            );
            assert!(!svg.contains("NaN") && !svg.contains("script"), "{style}");
            assert_eq!(svg, draw(style, i as u64));
        }
    }
}
