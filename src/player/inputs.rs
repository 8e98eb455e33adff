//! Labelled native inputs for a widget's own settings: a slider and a select. Values coming back are clamped
//! and parsed here, so a widget never sees out-of-range input.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SliderProps {
    pub label: AttrValue,
    pub min: i64,
    pub max: i64,
    #[prop_or(1)]
    pub step: i64,
    pub value: i64,
    /// Unit shown after the value and read by screen readers ("ms", "writes/s").
    #[prop_or_default]
    pub unit: AttrValue,
    pub onchange: Callback<i64>,
    #[prop_or_default]
    pub disabled: bool,
}

/// `<label>` + `<input type=range>` + the value in words.
#[function_component(Slider)]
pub fn slider(props: &SliderProps) -> Html {
    let id = use_memo((), |_| format!("slider-{}", super::unique_id()));
    let (min, max) = (props.min.min(props.max), props.max.max(props.min));
    let value = props.value.clamp(min, max);
    let text = if props.unit.is_empty() { value.to_string() } else { format!("{value} {}", props.unit) };
    let oninput = {
        let onchange = props.onchange.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                if let Ok(v) = input.value().parse::<f64>() {
                    onchange.emit((v.round() as i64).clamp(min, max));
                }
            }
        })
    };
    html! {
        <div class="slider">
            <label for={(*id).clone()}>{ props.label.clone() }</label>
            <input id={(*id).clone()} type="range" min={min.to_string()} max={max.to_string()} step={props.step.to_string()}
                value={value.to_string()} aria-valuetext={text.clone()} {oninput} disabled={props.disabled} />
            <output for={(*id).clone()} aria-hidden="true">{ text }</output>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ChoiceProps {
    pub label: AttrValue,
    /// (value, text) pairs.
    pub options: Vec<(AttrValue, AttrValue)>,
    pub value: AttrValue,
    pub onchange: Callback<AttrValue>,
}

/// `<label>` + `<select>`. Only values among the options are ever emitted.
#[function_component(Choice)]
pub fn choice(props: &ChoiceProps) -> Html {
    let id = use_memo((), |_| format!("choice-{}", super::unique_id()));
    let onchange = {
        let onchange = props.onchange.clone();
        let options = props.options.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                let v = select.value();
                if let Some((value, _)) = options.iter().find(|(value, _)| value.as_str() == v) {
                    onchange.emit(value.clone());
                }
            }
        })
    };
    html! {
        <div class="choice-input">
            <label for={(*id).clone()}>{ props.label.clone() }</label>
            <select id={(*id).clone()} {onchange}>
                { for props.options.iter().map(|(value, text)| html! {
                    <option value={value.clone()} selected={*value == props.value}>{ text.clone() }</option>
                }) }
            </select>
        </div>
    }
}
