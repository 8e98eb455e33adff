//! The frame every simulation sits in: a labelled, focusable figure; the narration line; the table toggle.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SimFigureProps {
    /// Names the simulation, e.g. "Single node vs replicated system".
    pub label: AttrValue,
    pub onkeydown: Callback<KeyboardEvent>,
    pub children: Children,
}

#[function_component(SimFigure)]
pub fn sim_figure(props: &SimFigureProps) -> Html {
    html! {
        <figure class="sim" aria-label={props.label.clone()} tabindex="0" onkeydown={props.onkeydown.clone()}>
            <figcaption>
                <span class="sim-kicker">{ "Simulation" }</span>
                <span class="sim-title">{ props.label.clone() }</span>
                <span class="sim-keys">{ "With the figure focused: Space plays or pauses, ← and → step." }</span>
            </figcaption>
            { for props.children.iter() }
        </figure>
    }
}

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    pub text: AttrValue,
}

/// What just happened, for everyone and for screen readers (a polite live region).
#[function_component(Narration)]
pub fn narration(props: &NarrationProps) -> Html {
    html! { <p class="narration" role="status">{ props.text.clone() }</p> }
}

#[derive(Properties, PartialEq)]
pub struct TableToggleProps {
    pub children: Children,
}

/// A "Table view" button that shows the simulation's state as HTML tables.
#[function_component(TableToggle)]
pub fn table_toggle(props: &TableToggleProps) -> Html {
    let open = use_state(|| false);
    let id = use_memo((), |_| format!("table-view-{}", super::unique_id()));
    let toggle = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    html! {
        <div class="table-view">
            <button type="button" class="secondary" aria-expanded={open.to_string()} aria-controls={(*id).clone()} onclick={toggle}>
                { if *open { "Hide table view" } else { "Table view" } }
            </button>
            // Focusable and labelled: wide tables scroll sideways inside it, and keyboard users must reach them.
            <div id={(*id).clone()} hidden={!*open} tabindex="0" role="region" aria-label="Table view">
                { for props.children.iter() }
            </div>
        </div>
    }
}

/// Renders its children one task after it first renders. A large widget wraps the panels below its figure in it,
/// so that mounting the widget is two shorter tasks instead of one long one: the quorum calculator's mount was one
/// task of 23–38 ms here (100–150 ms on Lighthouse's 4x slowed phone), most of it the browser compiling the
/// panels' code on first use. The panels are in the page before the reader could scroll to them.
#[function_component(Later)]
pub fn later(props: &yew::html::ChildrenProps) -> Html {
    let shown = use_state(|| false);
    {
        let shown = shown.clone();
        use_effect_with((), move |_| {
            let timeout = gloo_timers::callback::Timeout::new(0, move || shown.set(true));
            move || drop(timeout)
        });
    }
    if *shown {
        html! { <>{ props.children.clone() }</> }
    } else {
        Html::default()
    }
}
