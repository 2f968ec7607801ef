//! pinlab's browser playground.
use yew::prelude::*;

/// The application root.
#[function_component(App)]
pub fn app() -> Html {
    html! { <main><h1>{ "pinlab" }</h1></main> }
}
