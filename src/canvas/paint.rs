//! The only module that draws: a [`Scene`] onto a 2D canvas context, in the book's palette.

use web_sys::{CanvasRenderingContext2d, Element};

use super::scene::{
    Align, Band, Caption, Dot, DotKind, Glyph, Health, Link, LinkStyle, NodeGlyph, Scene, Tone, CLIENT_RADIUS,
    NODE_HEIGHT, NODE_WIDTH,
};

/// Colours and font, read from the CSS custom properties in effect on the canvas, so the theme decides.
#[derive(Clone, Debug, PartialEq)]
pub struct Palette {
    pub fg: String,
    pub muted: String,
    pub surface: String,
    pub surface_2: String,
    pub leader: String,
    pub follower: String,
    pub client: String,
    pub accent: String,
    pub ok: String,
    pub danger: String,
    pub warn: String,
    pub font: String,
}

impl Palette {
    pub fn from_element(element: &Element) -> Palette {
        let style = web_sys::window().and_then(|w| w.get_computed_style(element).ok().flatten());
        let get = |name: &str, fallback: &str| {
            style
                .as_ref()
                .and_then(|s| s.get_property_value(name).ok())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| fallback.to_owned())
        };
        Palette {
            fg: get("--fg", "#1d232b"),
            muted: get("--muted", "#5a6572"),
            surface: get("--surface", "#ffffff"),
            surface_2: get("--surface-2", "#eef1f5"),
            leader: get("--leader", "#8a4b00"),
            follower: get("--follower", "#1f5fa8"),
            client: get("--client", "#6b3fa0"),
            accent: get("--accent", "#0b6e6e"),
            ok: get("--ok", "#1e7b34"),
            danger: get("--danger", "#b3261e"),
            warn: get("--warn", "#8a6100"),
            font: get("--font-sans", "system-ui, sans-serif"),
        }
    }
}

pub fn paint(ctx: &CanvasRenderingContext2d, scene: &Scene, palette: &Palette) {
    ctx.save();
    ctx.set_fill_style_str(&palette.surface);
    ctx.fill_rect(0.0, 0.0, scene.width, scene.height);
    for band in &scene.bands {
        paint_band(ctx, band, palette);
    }
    for link in &scene.links {
        paint_link(ctx, link, palette);
    }
    for node in &scene.nodes {
        paint_node(ctx, node, palette);
    }
    for dot in &scene.dots {
        paint_dot(ctx, dot, palette);
    }
    for caption in &scene.captions {
        paint_caption(ctx, caption, palette);
    }
    ctx.restore();
}

fn paint_link(ctx: &CanvasRenderingContext2d, link: &Link, p: &Palette) {
    let (colour, width, dash): (&str, f64, &[f64]) = match link.style {
        LinkStyle::Solid => (&p.muted, 1.5, &[]),
        LinkStyle::Faint => (&p.muted, 1.0, &[2.0, 4.0]),
        LinkStyle::Broken => (&p.danger, 1.5, &[6.0, 5.0]),
    };
    ctx.set_stroke_style_str(colour);
    ctx.set_line_width(width);
    set_dash(ctx, dash);
    ctx.set_global_alpha(if link.style == LinkStyle::Faint { 0.6 } else { 1.0 });
    ctx.begin_path();
    ctx.move_to(link.from.x, link.from.y);
    ctx.line_to(link.to.x, link.to.y);
    ctx.stroke();
    ctx.set_global_alpha(1.0);
    set_dash(ctx, &[]);
}

fn set_dash(ctx: &CanvasRenderingContext2d, pattern: &[f64]) {
    let array = js_sys::Array::new();
    for v in pattern {
        array.push(&(*v).into());
    }
    let _ = ctx.set_line_dash(&array);
}

fn rounded_rect(ctx: &CanvasRenderingContext2d, x: f64, y: f64, w: f64, h: f64, r: f64) {
    ctx.begin_path();
    ctx.move_to(x + r, y);
    ctx.arc_to(x + w, y, x + w, y + h, r).ok();
    ctx.arc_to(x + w, y + h, x, y + h, r).ok();
    ctx.arc_to(x, y + h, x, y, r).ok();
    ctx.arc_to(x, y, x + w, y, r).ok();
    ctx.close_path();
}

fn paint_node(ctx: &CanvasRenderingContext2d, node: &NodeGlyph, p: &Palette) {
    let (cx, cy) = (node.at.x, node.at.y);
    let down = node.health == Health::Down;
    let (colour, role_word, border, dash): (&str, &str, f64, &[f64]) = match node.glyph {
        Glyph::Leader => (&p.leader, "PRIMARY", 3.5, &[]),
        Glyph::Follower => (&p.follower, "REPLICA", 2.0, &[]),
        Glyph::Recovering => (&p.warn, "RECOVERING", 2.0, &[5.0, 4.0]),
        Glyph::Monitor => (&p.muted, "MONITOR", 1.5, &[4.0, 3.0]),
        Glyph::Client => (&p.client, "", 2.5, &[]),
    };
    let colour = if down { &p.danger } else { colour };
    ctx.set_line_width(border);
    ctx.set_stroke_style_str(colour);
    ctx.set_fill_style_str(if down { &p.surface_2 } else { &p.surface });
    set_dash(ctx, dash);
    if node.glyph == Glyph::Client {
        ctx.begin_path();
        ctx.arc(cx, cy, CLIENT_RADIUS, 0.0, std::f64::consts::TAU).ok();
        ctx.fill();
        ctx.stroke();
        set_dash(ctx, &[]);
        text(ctx, p, &node.name, cx, cy - 2.0, 14.0, true, &p.fg);
        text(ctx, p, &node.detail, cx, cy + 14.0, 11.0, false, &p.muted);
        return;
    }
    let (w, h) =
        if node.glyph == Glyph::Monitor { (NODE_WIDTH * 0.9, NODE_HEIGHT * 0.7) } else { (NODE_WIDTH, NODE_HEIGHT) };
    let (x, y) = (cx - w / 2.0, cy - h / 2.0);
    rounded_rect(ctx, x, y, w, h, 8.0);
    ctx.fill();
    ctx.stroke();
    set_dash(ctx, &[]);
    if down {
        // Crossed out: the shape says "down" even without colour.
        ctx.set_line_width(1.5);
        ctx.set_global_alpha(0.5);
        ctx.begin_path();
        ctx.move_to(x + 6.0, y + 6.0);
        ctx.line_to(x + w - 6.0, y + h - 6.0);
        ctx.move_to(x + w - 6.0, y + 6.0);
        ctx.line_to(x + 6.0, y + h - 6.0);
        ctx.stroke();
        ctx.set_global_alpha(1.0);
    }
    if node.glyph == Glyph::Monitor {
        text(ctx, p, &node.name, cx, cy - 4.0, 12.0, true, &p.fg);
        text(ctx, p, &node.detail, cx, cy + 10.0, 10.0, false, &p.muted);
        return;
    }
    text(ctx, p, &node.name, cx, y + 16.0, 15.0, true, &p.fg);
    let role_word = if down { "DOWN" } else { role_word };
    text(ctx, p, role_word, cx, y + 32.0, 10.5, true, colour);
    text(ctx, p, &node.detail, cx, y + 48.0, 11.0, false, &p.muted);
}

#[allow(clippy::too_many_arguments)]
fn text(ctx: &CanvasRenderingContext2d, p: &Palette, s: &str, x: f64, y: f64, size: f64, bold: bool, colour: &str) {
    aligned_text(ctx, p, s, x, y, size, bold, colour, Align::Center);
}

#[allow(clippy::too_many_arguments)]
fn aligned_text(
    ctx: &CanvasRenderingContext2d,
    p: &Palette,
    s: &str,
    x: f64,
    y: f64,
    size: f64,
    bold: bool,
    colour: &str,
    align: Align,
) {
    if s.is_empty() {
        return;
    }
    ctx.set_font(&format!("{}{size}px {}", if bold { "600 " } else { "" }, p.font));
    ctx.set_fill_style_str(colour);
    ctx.set_text_align(match align {
        Align::Left => "left",
        Align::Center => "center",
        Align::Right => "right",
    });
    ctx.set_text_baseline("middle");
    ctx.fill_text(s, x, y).ok();
}

fn paint_dot(ctx: &CanvasRenderingContext2d, dot: &Dot, p: &Palette) {
    let (x, y) = (dot.at.x, dot.at.y);
    ctx.begin_path();
    match dot.kind {
        DotKind::Read => {
            ctx.set_stroke_style_str(&p.client);
            ctx.set_line_width(2.5);
            ctx.arc(x, y, 6.0, 0.0, std::f64::consts::TAU).ok();
            ctx.set_fill_style_str(&p.surface);
            ctx.fill();
            ctx.stroke();
        }
        DotKind::Write => {
            ctx.set_fill_style_str(&p.accent);
            ctx.fill_rect(x - 6.0, y - 6.0, 12.0, 12.0);
        }
        DotKind::ReplyOk => {
            ctx.set_fill_style_str(&p.ok);
            ctx.arc(x, y, 5.5, 0.0, std::f64::consts::TAU).ok();
            ctx.fill();
        }
        DotKind::ReplyError => {
            ctx.set_stroke_style_str(&p.danger);
            ctx.set_line_width(3.0);
            ctx.move_to(x - 5.0, y - 5.0);
            ctx.line_to(x + 5.0, y + 5.0);
            ctx.move_to(x + 5.0, y - 5.0);
            ctx.line_to(x - 5.0, y + 5.0);
            ctx.stroke();
        }
        DotKind::Replication => {
            ctx.set_fill_style_str(&p.leader);
            ctx.move_to(x, y - 7.0);
            ctx.line_to(x + 7.0, y);
            ctx.line_to(x, y + 7.0);
            ctx.line_to(x - 7.0, y);
            ctx.close_path();
            ctx.fill();
        }
        DotKind::Heartbeat => {
            ctx.set_fill_style_str(&p.muted);
            ctx.arc(x, y, 3.0, 0.0, std::f64::consts::TAU).ok();
            ctx.fill();
        }
        DotKind::Control => {
            ctx.set_fill_style_str(&p.warn);
            ctx.move_to(x, y - 6.0);
            ctx.line_to(x + 6.0, y + 5.0);
            ctx.line_to(x - 6.0, y + 5.0);
            ctx.close_path();
            ctx.fill();
        }
    }
}

fn tone_colour(tone: Tone, p: &Palette) -> &str {
    match tone {
        Tone::Normal => &p.fg,
        Tone::Muted => &p.muted,
        Tone::Good => &p.ok,
        Tone::Bad => &p.danger,
    }
}

fn paint_caption(ctx: &CanvasRenderingContext2d, caption: &Caption, p: &Palette) {
    let size = if caption.strong { 18.0 } else { 12.5 };
    let colour = tone_colour(caption.tone, p).to_owned();
    aligned_text(ctx, p, &caption.text, caption.at.x, caption.at.y, size, caption.strong, &colour, caption.align);
}

fn paint_band(ctx: &CanvasRenderingContext2d, band: &Band, p: &Palette) {
    let colour = tone_colour(band.tone, p).to_owned();
    ctx.save();
    ctx.set_fill_style_str(&colour);
    ctx.set_global_alpha(0.16);
    ctx.fill_rect(band.x, band.y, band.width, band.height);
    ctx.set_global_alpha(1.0);
    ctx.set_stroke_style_str(&colour);
    ctx.set_line_width(1.0);
    ctx.stroke_rect(band.x, band.y, band.width, band.height);
    if band.hatched {
        ctx.begin_path();
        ctx.rect(band.x, band.y, band.width, band.height);
        ctx.clip();
        ctx.set_global_alpha(0.45);
        ctx.begin_path();
        let mut x = band.x - band.height;
        while x < band.x + band.width {
            ctx.move_to(x, band.y + band.height);
            ctx.line_to(x + band.height, band.y);
            x += 8.0;
        }
        ctx.stroke();
        ctx.set_global_alpha(1.0);
    }
    ctx.restore();
    if !band.label.is_empty() && band.width > 7.0 * band.label.chars().count() as f64 {
        text(ctx, p, &band.label, band.x + band.width / 2.0, band.y + band.height / 2.0, 11.5, true, &colour);
    }
}
