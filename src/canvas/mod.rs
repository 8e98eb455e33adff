//! The book's visual language for simulations, defined once.
//!
//! Widgets never draw. They describe what to show as a [`Scene`] — plain data in a logical coordinate space —
//! and [`SimCanvas`] paints it with [`paint::paint`], the only code that touches a 2D context. That keeps every
//! chapter's figures consistent and lets tests inspect scenes without a browser.
//!
//! | thing | shape | colour token | text |
//! |---|---|---|---|
//! | leader / primary | rounded box, thick border | `--leader` | name, `PRIMARY`, detail |
//! | follower / replica | rounded box | `--follower` | name, `REPLICA`, detail |
//! | recovering node | rounded box, dashed border | `--warn` | name, `RECOVERING` |
//! | node that is down | grey box crossed out | `--danger` | name, `DOWN` |
//! | client | circle | `--client` | name |
//! | monitor / coordinator | dashed box | `--muted` | name |
//! | read request | hollow circle | `--client` | |
//! | write request | filled square | `--accent` | |
//! | successful reply | filled circle | `--ok` | |
//! | failed reply | cross | `--danger` | |
//! | replication | filled diamond | `--leader` | |
//! | heartbeat | small dot | `--muted` | |
//! | control message | small triangle | `--warn` | |
//! | lane band (a phase on a time axis) | tinted rectangle | tone colour | phase name inside |
//! | unavailable time | tinted rectangle, hatched | `--danger` | label |
//!
//! Shapes and words carry every state, so nothing depends on colour alone; colours come from CSS custom
//! properties, so the drawings follow the light and dark themes.

pub mod paint;
pub mod scene;

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

pub use scene::{Align, Band, Caption, Dot, DotKind, Glyph, Health, Link, LinkStyle, NodeGlyph, Point, Scene, Tone};

#[derive(Properties, PartialEq)]
pub struct SimCanvasProps {
    pub scene: Rc<Scene>,
    /// A one-sentence description of the picture for assistive technology; the narration and table carry detail.
    pub label: AttrValue,
}

/// A canvas that fits its container's width, honours devicePixelRatio, and repaints only when its scene
/// changes, the window resizes or the theme changes (the player decides when scenes change; this component runs no loop).
#[function_component(SimCanvas)]
pub fn sim_canvas(props: &SimCanvasProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(props.scene.clone(), move |scene| {
            repaint(&canvas, scene);
        });
    }
    {
        let canvas = canvas.clone();
        let scene = props.scene.clone();
        use_effect_with(props.scene.clone(), move |_| {
            let window = web_sys::window().expect("browser window");
            let resized = {
                let (canvas, scene) = (canvas.clone(), scene.clone());
                gloo_events::EventListener::new(&window, "resize", move |_| repaint(&canvas, &scene))
            };
            // Colours are read from the theme's tokens at paint time, so a theme change needs a repaint.
            let restyled = gloo_events::EventListener::new(&window, crate::theme::THEME_CHANGE_EVENT, move |_| {
                repaint(&canvas, &scene)
            });
            move || drop((resized, restyled))
        });
    }
    {
        // Set through the CSS object model: a style attribute would be dropped by the Content-Security-Policy.
        let canvas = canvas.clone();
        // Keyed by the bits of the two sizes: f64 is not Eq, and any change at all needs the new ratio.
        use_effect_with((props.scene.width.to_bits(), props.scene.height.to_bits()), move |&(width, height)| {
            if let Some(canvas) = canvas.cast::<web_sys::HtmlElement>() {
                let ratio = format!("{} / {}", f64::from_bits(width), f64::from_bits(height));
                let _ = canvas.style().set_property("aspect-ratio", &ratio);
            }
        });
    }
    html! { <canvas ref={canvas} class="sim-canvas" role="img" aria-label={props.label.clone()}></canvas> }
}

fn repaint(canvas: &NodeRef, scene: &Scene) {
    let Some(canvas) = canvas.cast::<HtmlCanvasElement>() else { return };
    let Some(ctx) = context(&canvas) else { return };
    let css_width = canvas.client_width().max(1) as f64;
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).max(1.0);
    let width_px = (css_width * dpr).round() as u32;
    let height_px = (css_width * dpr * scene.height / scene.width).round() as u32;
    if canvas.width() != width_px || canvas.height() != height_px {
        canvas.set_width(width_px);
        canvas.set_height(height_px);
    }
    let scale = width_px as f64 / scene.width;
    let _ = ctx.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0);
    let palette = paint::Palette::from_element(&canvas);
    paint::paint(&ctx, scene, &palette);
}

pub fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into::<CanvasRenderingContext2d>().ok()
}
