//! S8 "Replication strategy comparison" (chapter 8): the reader ticks databases and dimensions, and a real table
//! sets them side by side. Each database links to the simulation presets that show its behaviour. On a phone
//! the table stacks, one dimension after another, each cell labelled with its database.

use yew::prelude::*;

use crate::player::unique_id;
use crate::progress::{use_progress, ProgressAction};
use crate::widgets::databases::{Database, Dimension, DATABASES};
use crate::widgets::presets;

const TITLE: &str = "Replication strategy comparison";
/// The chapter's prose starts the reader on these two, which look alike until you compare them.
const FIRST_SHOWN: [&str; 2] = ["postgresql", "mysql"];

/// What the reader has ticked; the table shows the ticked databases and dimensions in the data's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub databases: Vec<bool>,
    pub dimensions: Vec<bool>,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            databases: DATABASES.iter().map(|d| FIRST_SHOWN.contains(&d.key)).collect(),
            dimensions: vec![true; Dimension::ALL.len()],
        }
    }
}

impl Selection {
    pub fn databases(&self) -> Vec<&'static Database> {
        DATABASES.iter().zip(&self.databases).filter(|(_, on)| **on).map(|(d, _)| d).collect()
    }

    pub fn dimensions(&self) -> Vec<Dimension> {
        Dimension::ALL.into_iter().zip(&self.dimensions).filter(|(_, on)| **on).map(|(d, _)| d).collect()
    }

    /// What the table shows, in one sentence, for the live region.
    pub fn summary(&self) -> String {
        let names: Vec<&str> = self.databases().iter().map(|d| d.name).collect();
        let dims = self.dimensions().len();
        let total = Dimension::ALL.len();
        match names.as_slice() {
            [] => "No database ticked: tick at least one to fill the table.".to_owned(),
            _ if dims == 0 => {
                format!("{} ticked, but no dimension: tick at least one dimension to compare.", and_list(&names))
            }
            [one] => format!("Showing {one} alone on {dims} of {total} dimensions."),
            _ => format!("Comparing {} on {dims} of {total} dimensions.", and_list(&names)),
        }
    }
}

fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[derive(Properties, PartialEq)]
pub struct StrategyComparisonProps {
    pub chapter: &'static str,
}

#[function_component(StrategyComparison)]
pub fn strategy_comparison(props: &StrategyComparisonProps) -> Html {
    let progress = use_progress();
    let selection = use_state(Selection::default);
    let id = use_memo((), |_| format!("comparison-{}", unique_id()));
    let update = {
        let selection = selection.clone();
        let chapter = props.chapter.to_owned();
        move |change: Box<dyn Fn(&mut Selection)>| {
            let mut next = (*selection).clone();
            change(&mut next);
            progress.dispatch(ProgressAction::TriedSimulation {
                chapter: chapter.clone(),
                name: "strategy-comparison".into(),
            });
            selection.set(next);
        }
    };
    let toggle_database = |i: usize| {
        let update = update.clone();
        Callback::from(move |_: Event| update(Box::new(move |s| s.databases[i] = !s.databases[i])))
    };
    let toggle_dimension = |i: usize| {
        let update = update.clone();
        Callback::from(move |_: Event| update(Box::new(move |s| s.dimensions[i] = !s.dimensions[i])))
    };
    let all_databases = {
        let update = update.clone();
        Callback::from(move |_: MouseEvent| update(Box::new(|s| s.databases.iter_mut().for_each(|on| *on = true))))
    };
    let all_dimensions = {
        let update = update.clone();
        Callback::from(move |_: MouseEvent| update(Box::new(|s| s.dimensions.iter_mut().for_each(|on| *on = true))))
    };

    let databases = selection.databases();
    let dimensions = selection.dimensions();
    let caption = match databases.as_slice() {
        [] => "Replication compared: no database ticked".to_owned(),
        picked => format!(
            "How {} replicate{}",
            and_list(&picked.iter().map(|d| d.name).collect::<Vec<_>>()),
            if picked.len() == 1 { "s" } else { "" }
        ),
    };
    let table = (!databases.is_empty() && !dimensions.is_empty()).then(|| {
        html! {
            <div class="comparison-scroll" role="region" aria-label="Comparison table" tabindex="0">
                <table class="comparison-table" role="table">
                    <caption>{ caption }</caption>
                    <thead role="rowgroup">
                        <tr role="row">
                            <th scope="col" role="columnheader">{ "Dimension" }</th>
                            { for databases.iter().map(|db| html! {
                                <th scope="col" role="columnheader" data-db={db.key}>{ db.name }</th>
                            }) }
                        </tr>
                    </thead>
                    <tbody role="rowgroup">
                        { for dimensions.iter().map(|d| html! {
                            <tr role="row" data-dimension={d.key()}>
                                <th scope="row" role="rowheader">{ d.title() }</th>
                                { for databases.iter().map(|db| html! {
                                    <td role="cell" data-db={db.key}>
                                        <span class="cell-db" aria-hidden="true">{ db.name }</span>
                                        { db.fact(*d) }
                                    </td>
                                }) }
                            </tr>
                        }) }
                        <tr role="row" class="comparison-watch" data-dimension="watch">
                            <th scope="row" role="rowheader">{ "See it in a simulation" }</th>
                            { for databases.iter().map(|db| html! {
                                <td role="cell" data-db={db.key}>
                                    <span class="cell-db" aria-hidden="true">{ db.name }</span>
                                    <ul>
                                        { for db.presets.iter().filter_map(|name| presets::find(name)).map(|p| html! {
                                            <li><a href={p.href()} aria-label={format!("{}: {}", p.database, preset_link_text(p))}>{ preset_link_text(p) }</a></li>
                                        }) }
                                    </ul>
                                </td>
                            }) }
                        </tr>
                    </tbody>
                </table>
            </div>
        }
    });

    html! {
        <figure class="sim comparison" aria-label={TITLE}>
            <figcaption>
                <span class="sim-kicker">{ "Comparison" }</span>
                <span class="sim-title">{ TITLE }</span>
            </figcaption>
            <div class="comparison-pickers">
                <fieldset>
                    <legend>{ "Databases" }</legend>
                    { for DATABASES.iter().enumerate().map(|(i, db)| {
                        let input = format!("{}-db-{}", *id, db.key);
                        html! {
                            <div class="checkbox">
                                <input id={input.clone()} type="checkbox" checked={selection.databases[i]} onchange={toggle_database(i)} />
                                <label for={input}>{ db.name }</label>
                            </div>
                        }
                    }) }
                    <button type="button" class="secondary" onclick={all_databases}>{ "Tick all databases" }</button>
                </fieldset>
                <fieldset>
                    <legend>{ "Dimensions" }</legend>
                    { for Dimension::ALL.iter().enumerate().map(|(i, d)| {
                        let input = format!("{}-dim-{}", *id, d.key());
                        html! {
                            <div class="checkbox">
                                <input id={input.clone()} type="checkbox" checked={selection.dimensions[i]} onchange={toggle_dimension(i)} />
                                <label for={input}>{ d.title() }</label>
                            </div>
                        }
                    }) }
                    <button type="button" class="secondary" onclick={all_dimensions}>{ "Tick all dimensions" }</button>
                </fieldset>
            </div>
            <p class="narration" role="status">{ selection.summary() }</p>
            { table.unwrap_or_default() }
        </figure>
    }
}

/// The visible text of a preset link: what it sets and where it goes. The database is its column's heading; the
/// link's accessible name adds it, so the link still makes sense in a list of links.
fn preset_link_text(p: &presets::Preset) -> String {
    let place = p.chapter().map_or_else(String::new, |c| format!(", chapter {} simulation", c.number));
    format!("{}{place}", p.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_pair_the_chapter_starts_with_on_every_dimension() {
        let s = Selection::default();
        let names: Vec<&str> = s.databases().iter().map(|d| d.name).collect();
        assert_eq!(names, ["PostgreSQL", "MySQL"]);
        assert_eq!(s.dimensions(), Dimension::ALL);
        assert_eq!(s.summary(), "Comparing PostgreSQL and MySQL on 8 of 8 dimensions.");
    }

    #[test]
    fn the_summary_follows_the_ticks() {
        let mut s = Selection {
            databases: vec![true; DATABASES.len()],
            dimensions: Dimension::ALL.iter().map(|d| *d == Dimension::Gotcha).collect(),
        };
        assert_eq!(
            s.summary(),
            "Comparing PostgreSQL, MySQL, MongoDB, Cassandra and CockroachDB on 1 of 8 dimensions."
        );
        s.databases = DATABASES.iter().map(|d| d.key == "cassandra").collect();
        assert_eq!(s.summary(), "Showing Cassandra alone on 1 of 8 dimensions.");
        s.dimensions = vec![false; Dimension::ALL.len()];
        assert_eq!(s.summary(), "Cassandra ticked, but no dimension: tick at least one dimension to compare.");
        s.databases = vec![false; DATABASES.len()];
        assert_eq!(s.summary(), "No database ticked: tick at least one to fill the table.");
    }

    #[test]
    fn preset_links_say_where_they_go() {
        let p = presets::find("mongodb-w1").unwrap();
        assert_eq!(preset_link_text(p), "write concern w:1 and a 10 s election timeout, chapter 2 simulation");
    }
}
