//! Jobs: the recent jobs, kept current over the WebSocket (subscribe to all), with a filter.

use edge_wire::{ClientMessage, JobStatus};
use futures::{SinkExt as _, StreamExt as _};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;

#[component]
pub fn JobsPage() -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let jobs = LocalResource::new(move || {
        let status = Some(filter.get()).filter(|s| !s.is_empty());
        api::jobs(status)
    });
    let live = RwSignal::new(false);
    let selected = RwSignal::new(None::<String>);

    // Any status change anywhere: read the list again.
    if let Ok(socket) = WebSocket::open(&api::ws_url()) {
        let (mut sink, mut stream) = socket.split();
        spawn_local(async move {
            let subscribe = ClientMessage::Subscribe { job: None, all: true, after: None };
            let Ok(text) = serde_json::to_string(&subscribe) else { return };
            if sink.send(Message::Text(text)).await.is_err() {
                return;
            }
            live.set(true);
            while let Some(Ok(_)) = stream.next().await {
                jobs.refetch();
            }
            live.set(false);
        });
    }

    let statuses = JobStatus::ALL.map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view();
    view! {
        <section class="card">
            <h2>"Jobs " <span class="muted">{move || if live.get() { "(live)" } else { "" }}</span></h2>
            <label for="jobs-filter">"Status"</label>
            <select id="jobs-filter" on:change=move |ev| filter.set(event_target_value(&ev))>
                <option value="">"all"</option>
                {statuses}
            </select>
            {move || match jobs.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table id="jobs">
                        <thead><tr><th>"Job"</th><th>"Component"</th><th>"Status"</th><th>"Exit"</th><th>"Wall ms"</th><th>"Executor"</th></tr></thead>
                        <tbody>
                            {list.jobs.into_iter().map(|j| {
                                let id = j.id.clone();
                                let open = move |ev: leptos::ev::MouseEvent| {
                                    ev.prevent_default();
                                    selected.set(Some(id.clone()));
                                };
                                view! {
                                <tr>
                                    <td class="mono"><a href="#" on:click=open>{j.id}</a></td>
                                    <td>{j.component}</td>
                                    <td><span class=format!("badge {}", j.status.as_str())>{j.status.as_str()}</span></td>
                                    <td>{j.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into())}</td>
                                    <td>{j.usage.wall_ms}</td>
                                    <td>{j.executor.unwrap_or_default()}</td>
                                </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
        {move || selected.get().map(|id| view! { <super::job::JobDetail id=id/> })}
    }
}
