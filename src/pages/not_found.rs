use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;

#[function_component(NotFoundPage)]
pub fn not_found_page() -> Html {
    use_effect_with((), |_| super::set_title(Some("Page not found")));
    html! {
        <article class="page not-found">
            <h1>{ "This page is not in the book" }</h1>
            <p>{ "The address may be mistyped, or it points to a chapter that has moved. Every chapter is listed in the table of contents." }</p>
            <p><Link<Route> to={Route::Home}>{ "Go to the table of contents" }</Link<Route>></p>
        </article>
    }
}
