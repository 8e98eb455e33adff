//! The book: a Yew app that renders the chapters and mounts a live simulation wherever a chapter asks for one.
//!
//! Layers, outermost first: `app` (routes and layout) → `pages` → `components` (checkpoints, progress) and
//! `widgets` (one per simulation) → `player` (play, step, scrub: shared by every widget) → `canvas` (the visual
//! language: a pure scene, painted by one module) → the `sim` crate (the model, which knows nothing of this).

pub mod app;
pub mod boot;
pub mod canvas;
pub mod components;
pub mod content;
pub mod offline;
pub mod pages;
pub mod player;
pub mod progress;
pub mod search;
pub mod share;
pub mod sim_slots;
pub mod study;
pub mod theme;
pub mod widgets;
