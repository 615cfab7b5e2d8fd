//! The edge web UI: components, running jobs with live output, the jobs table, executors.
//! Client-side Leptos; talks to the host through the same public API as everyone else.

mod api;
mod pages;

use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Components,
    Run,
    Jobs,
    Executors,
}

impl Page {
    const ALL: [Page; 4] = [Page::Components, Page::Run, Page::Jobs, Page::Executors];

    fn title(self) -> &'static str {
        match self {
            Page::Components => "Components",
            Page::Run => "Run",
            Page::Jobs => "Jobs",
            Page::Executors => "Executors",
        }
    }
}

#[component]
fn App() -> impl IntoView {
    let page = RwSignal::new(Page::Components);
    let tabs = Page::ALL
        .into_iter()
        .map(|p| {
            view! {
                <button class:active=move || page.get() == p on:click=move |_| page.set(p)>{p.title()}</button>
            }
        })
        .collect_view();
    view! {
        <header>
            <h1>"edge"</h1>
            <nav>{tabs}</nav>
        </header>
        <main>
            {move || match page.get() {
                Page::Components => pages::components::ComponentsPage().into_any(),
                Page::Run => pages::run::RunPage().into_any(),
                Page::Jobs => pages::jobs::JobsPage().into_any(),
                Page::Executors => pages::executors::ExecutorsPage().into_any(),
            }}
        </main>
    }
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
