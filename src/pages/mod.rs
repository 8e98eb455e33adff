//! One module per page.

mod chapter;
mod glossary;
mod home;
mod learn;
mod not_found;
mod review;

pub use chapter::ChapterPage;
pub use glossary::GlossaryPage;
pub use home::HomePage;
pub use learn::LearnPage;
pub use not_found::NotFoundPage;
pub use review::ReviewPage;

/// Sets the document title: "Chapter title — Replication".
pub(crate) fn set_title(title: Option<&str>) {
    let text = match title {
        Some(t) => format!("{t} — Replication"),
        None => "Replication — an interactive course".to_owned(),
    };
    crate::app::gloo_utils_document().set_title(&text);
}
