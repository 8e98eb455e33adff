//! One module per page.

mod chapter;
mod glossary;
mod home;
mod not_found;

pub use chapter::ChapterPage;
pub use glossary::GlossaryPage;
pub use home::HomePage;
pub use not_found::NotFoundPage;

/// Sets the document title: "Chapter title — Replication".
pub(crate) fn set_title(title: Option<&str>) {
    let text = match title {
        Some(t) => format!("{t} — Replication"),
        None => "Replication — an interactive course".to_owned(),
    };
    crate::app::gloo_utils_document().set_title(&text);
}
