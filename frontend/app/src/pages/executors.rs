//! Executors: who is alive, how busy, how much done (from their heartbeats, every 2 s).

use std::time::Duration;

use leptos::prelude::*;

use crate::api;

#[component]
pub fn ExecutorsPage() -> impl IntoView {
    let executors = LocalResource::new(api::executors);
    let ticker = set_interval_with_handle(move || executors.refetch(), Duration::from_secs(2));
    on_cleanup(move || {
        if let Ok(handle) = ticker {
            handle.clear();
        }
    });
    view! {
        <section class="card">
            <h2>"Executors"</h2>
            {move || match executors.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(list)) if list.executors.is_empty() => view! { <p class="muted">"No executor is alive."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table id="executors">
                        <thead><tr><th>"Executor"</th><th>"Running"</th><th>"Concurrency"</th><th>"Done"</th><th>"Since"</th></tr></thead>
                        <tbody>
                            {list.executors.into_iter().map(|e| view! {
                                <tr>
                                    <td class="mono">{e.id}</td>
                                    <td>{e.running}</td>
                                    <td>{e.concurrency}</td>
                                    <td>{e.done}</td>
                                    <td class="muted">{e.started_at}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
