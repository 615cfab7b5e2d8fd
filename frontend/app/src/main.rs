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

/// Where the browser's session stands.
#[derive(Clone)]
enum Session {
    Checking,
    LoggedIn(api::Caller),
    /// The host wants a key; with the last login's error, if any.
    LoggedOut(Option<String>),
    Unreachable(String),
}

#[component]
fn App() -> impl IntoView {
    let session = RwSignal::new(Session::Checking);
    leptos::task::spawn_local(async move {
        session.set(match api::session().await {
            Ok(Some(caller)) => Session::LoggedIn(caller),
            Ok(None) => Session::LoggedOut(None),
            Err(e) => Session::Unreachable(e),
        });
    });
    move || match session.get() {
        Session::Checking => view! { <p class="muted">"Connecting…"</p> }.into_any(),
        Session::Unreachable(e) => view! { <p class="error">{e}</p> }.into_any(),
        Session::LoggedOut(error) => view! { <Login session error/> }.into_any(),
        Session::LoggedIn(caller) => view! { <Shell session caller/> }.into_any(),
    }
}

/// Asks for an API key (`edge dev` prints one) and logs in with it.
#[component]
fn Login(session: RwSignal<Session>, error: Option<String>) -> impl IntoView {
    let key = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let entered = key.get_untracked();
        leptos::task::spawn_local(async move {
            session.set(match api::login(&entered).await {
                Ok(caller) => Session::LoggedIn(caller),
                Err(e) => Session::LoggedOut(Some(e)),
            });
        });
    };
    view! {
        <header><h1>"edge"</h1></header>
        <main>
            <form id="login" on:submit=submit>
                <label for="api-key">"API key"</label>
                <input id="api-key" type="password" autocomplete="off" placeholder="edge_…" bind:value=key/>
                <button id="login-submit" type="submit">"Log in"</button>
                {error.map(|e| view! { <p id="login-error" class="error">{e}</p> })}
            </form>
        </main>
    }
}

#[component]
fn Shell(session: RwSignal<Session>, caller: api::Caller) -> impl IntoView {
    let page = RwSignal::new(Page::Components);
    let logout = move |_| {
        leptos::task::spawn_local(async move {
            api::logout().await;
            session.set(Session::LoggedOut(None));
        });
    };
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
            <span id="whoami" class="muted">{format!("{} · {}", caller.tenant, caller.role)}</span>
            <button id="logout" on:click=logout>"Log out"</button>
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
