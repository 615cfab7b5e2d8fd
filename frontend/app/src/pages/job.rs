//! One job: its events replayed over SSE (then live until it ends), its record, and its
//! webhook deliveries.

use edge_wire::{JobEvent, JobRecord};
use futures::StreamExt as _;
use gloo_net::eventsource::futures::EventSource;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;

/// Kinds of event the stream carries.
const KINDS: [&str; 5] = ["status", "stdout", "stderr", "progress", "done"];

#[component]
pub fn JobDetail(id: String) -> impl IntoView {
    let events = RwSignal::new(Vec::<(String, String)>::new());
    let record = RwSignal::new(None::<JobRecord>);
    let error = RwSignal::new(None::<String>);
    let url = format!("/v1/jobs/{id}/events");
    match EventSource::new(&url) {
        Err(e) => error.set(Some(format!("cannot follow the job: {e}"))),
        Ok(mut source) => {
            let streams: Vec<_> = KINDS.iter().filter_map(|kind| source.subscribe(*kind).ok()).collect();
            let id = id.clone();
            spawn_local(async move {
                let mut all = futures::stream::select_all(streams);
                while let Some(Ok((kind, message))) = all.next().await {
                    let data = message.data().as_string().unwrap_or_default();
                    let summary = match serde_json::from_str::<JobEvent>(&data) {
                        Ok(JobEvent::Status { status, attempt, executor }) => {
                            format!(
                                "{} (attempt {attempt}{})",
                                status.as_str(),
                                executor.map(|e| format!(" on {e}")).unwrap_or_default()
                            )
                        }
                        Ok(JobEvent::Stdout(chunk) | JobEvent::Stderr(chunk)) => {
                            api::escape_controls(&chunk.data.to_text_lossy())
                        }
                        Ok(JobEvent::Progress { percent, message, .. }) => format!("{percent}% {message}"),
                        Ok(JobEvent::Done(final_record)) => {
                            let summary = format!("done: {}", final_record.status.as_str());
                            record.set(Some(*final_record));
                            summary
                        }
                        Err(_) => data.clone(),
                    };
                    events.update(|e| e.push((kind.clone(), summary)));
                    if kind == "done" {
                        break;
                    }
                }
                // The record again: webhook deliveries happen after `done`.
                gloo_timers::future::TimeoutFuture::new(1_500).await;
                if let Ok(latest) = api::job(&id).await {
                    record.set(Some(latest));
                }
                source.close();
            });
        }
    }
    view! {
        <section class="card" id="job-detail">
            <h2>"Job " <span class="mono">{id.clone()}</span></h2>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            <table id="job-events">
                <thead><tr><th>"Event"</th><th>"Data"</th></tr></thead>
                <tbody>
                    {move || events.get().into_iter().map(|(kind, summary)| view! {
                        <tr><td>{kind}</td><td class="mono">{summary}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            // The final record has all the output (a job that ended before it was announced
            // streamed none).
            {move || record.get().map(|r| view! {
                <h2>"Output"</h2>
                <pre id="job-output" class="console">
                    {api::escape_controls(&r.stdout.to_text_lossy())}
                    <span class="stderr">{api::escape_controls(&r.stderr.to_text_lossy())}</span>
                </pre>
            })}
            {move || record.get().and_then(|r| r.webhook).map(|w| view! {
                <h2>"Webhook"</h2>
                <p class="mono">{format!("{} · {:?} · delivery {}", w.url, w.state, w.delivery_id)}</p>
                <table id="job-webhook">
                    <thead><tr><th>"At"</th><th>"Status"</th><th>"Error"</th><th>"ms"</th></tr></thead>
                    <tbody>
                        {w.attempts.into_iter().map(|a| view! {
                            <tr>
                                <td>{a.at}</td>
                                <td>{a.status_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into())}</td>
                                <td>{a.error.unwrap_or_default()}</td>
                                <td>{a.duration_ms}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
