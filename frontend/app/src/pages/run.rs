//! Run: pick a component, give args, stdin and limits, submit over the WebSocket, and watch
//! the output arrive; a progress bar for job-world components; cancel.

use edge_wire::{ClientMessage, JobEvent, JobRecord, JobRequest, LimitsRequest, ServerMessage};
use futures::{SinkExt as _, StreamExt as _};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;

/// Most output shown; the rest stays in the job record.
const CONSOLE_CHARS: usize = 200_000;

#[derive(Clone, Default)]
struct Console {
    lines: Vec<(bool, String)>,
    chars: usize,
    cut: bool,
}

impl Console {
    fn push(&mut self, stderr: bool, text: &str) {
        if self.chars >= CONSOLE_CHARS {
            self.cut = true;
            return;
        }
        self.chars += text.len();
        self.lines.push((stderr, api::escape_controls(text)));
    }

    /// A job that ends before the executor announces it streams no output: its final
    /// record holds it all.
    fn fill_from(&mut self, record: &JobRecord) {
        if self.lines.is_empty() {
            for (stderr, output) in [(false, &record.stdout), (true, &record.stderr)] {
                let text = output.to_text_lossy();
                if !text.is_empty() {
                    self.push(stderr, &text);
                }
            }
        }
    }
}

#[component]
pub fn RunPage() -> impl IntoView {
    let components = LocalResource::new(api::components);
    let component = RwSignal::new(String::new());
    let args = RwSignal::new(String::new());
    let stdin = RwSignal::new(String::new());
    let stdin_base64 = RwSignal::new(None::<String>);
    let timeout = RwSignal::new(String::from("30000"));
    let memory = RwSignal::new(String::new());
    let fuel = RwSignal::new(String::new());
    let console = RwSignal::new(Console::default());
    let progress = RwSignal::new(None::<(u8, String)>);
    let job_id = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(None::<JobRecord>);
    let error = RwSignal::new(None::<String>);
    let outbox = RwSignal::new_local(None::<futures::channel::mpsc::UnboundedSender<ClientMessage>>);

    let run = move |_| {
        let number = |field: &str, value: String| -> Result<Option<u64>, String> {
            let value = value.trim().to_owned();
            if value.is_empty() {
                return Ok(None);
            }
            value.parse().map(Some).map_err(|_| format!("{field} must be a whole number"))
        };
        let limits = (|| {
            Ok::<_, String>(LimitsRequest {
                timeout_ms: number("the timeout", timeout.get_untracked())?,
                memory_mb: number("the memory limit", memory.get_untracked())?,
                fuel: number("the fuel", fuel.get_untracked())?,
                max_output_bytes: None,
            })
        })();
        let limits = match limits {
            Ok(limits) => limits,
            Err(e) => return error.set(Some(e)),
        };
        let base64 = stdin_base64.get_untracked();
        let job = JobRequest {
            component: component.get_untracked(),
            args: args.get_untracked().split_whitespace().map(str::to_owned).collect(),
            stdin: Some(stdin.get_untracked()).filter(|s| !s.is_empty() && base64.is_none()),
            stdin_base64: base64,
            limits,
            ..Default::default()
        };
        console.set(Console::default());
        progress.set(None);
        outcome.set(None);
        error.set(None);
        job_id.set(None);
        let socket = match WebSocket::open(&api::ws_url()) {
            Ok(socket) => socket,
            Err(e) => return error.set(Some(format!("cannot open the WebSocket: {e}"))),
        };
        let (mut sink, mut stream) = socket.split();
        let (tx, mut rx) = futures::channel::mpsc::unbounded::<ClientMessage>();
        let _ = tx.unbounded_send(ClientMessage::Submit { job });
        outbox.set(Some(tx));
        spawn_local(async move {
            while let Some(message) = rx.next().await {
                let Ok(text) = serde_json::to_string(&message) else { continue };
                if sink.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
        });
        spawn_local(async move {
            while let Some(Ok(Message::Text(text))) = stream.next().await {
                let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else { continue };
                match message {
                    ServerMessage::Accepted { id, .. } => job_id.set(Some(id)),
                    ServerMessage::Error { code, message } => error.set(Some(format!("{message} ({code})"))),
                    ServerMessage::Event { event, .. } => match event {
                        JobEvent::Stdout(chunk) => console.update(|c| c.push(false, &chunk.data.to_text_lossy())),
                        JobEvent::Stderr(chunk) => console.update(|c| c.push(true, &chunk.data.to_text_lossy())),
                        JobEvent::Progress { percent, message, .. } => progress.set(Some((percent, message))),
                        JobEvent::Done(record) => {
                            console.update(|c| c.fill_from(&record));
                            outcome.set(Some(*record));
                            break;
                        }
                        JobEvent::Status { .. } => {}
                    },
                    _ => {}
                }
            }
            outbox.set(None);
        });
    };
    // A file for stdin: text goes in the text box, anything else is sent as base64.
    let stdin_file = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast as _;
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) else { return };
        spawn_local(async move {
            let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else {
                return error.set(Some("cannot read the file".into()));
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            let encoded = edge_wire::Output::from_bytes(&bytes, false);
            match (encoded.text, encoded.base64) {
                (Some(text), _) => {
                    stdin.set(text);
                    stdin_base64.set(None);
                }
                (None, base64) => {
                    stdin.set(format!("({} bytes of binary input from {})", bytes.len(), file.name()));
                    stdin_base64.set(base64);
                }
            }
        });
    };
    let cancel = move |_| {
        if let (Some(tx), Some(id)) = (outbox.get_untracked(), job_id.get_untracked()) {
            let _ = tx.unbounded_send(ClientMessage::Cancel { job: id });
        }
    };

    view! {
        <section class="card">
            <h2>"Run a job"</h2>
            <div class="row">
                <div>
                    <label for="run-component">"Component"</label>
                    <select id="run-component" on:change=move |ev| component.set(event_target_value(&ev))>
                        <option value="">"Choose…"</option>
                        {move || components.get().and_then(Result::ok).unwrap_or_default().into_iter()
                            .filter(|c| c.kind != edge_wire::ComponentKind::Http)
                            .map(|c| view! { <option value=c.name.clone()>{format!("{} ({})", c.name, c.kind.as_str())}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div>
                    <label for="run-args">"Arguments"</label>
                    <input id="run-args" placeholder="Ada Grace" bind:value=args/>
                </div>
                <div>
                    <label for="run-timeout">"Timeout (ms)"</label>
                    <input id="run-timeout" bind:value=timeout/>
                </div>
                <div>
                    <label for="run-memory">"Memory (MiB)"</label>
                    <input id="run-memory" placeholder="default" bind:value=memory/>
                </div>
                <div>
                    <label for="run-fuel">"Fuel"</label>
                    <input id="run-fuel" placeholder="no limit" bind:value=fuel/>
                </div>
            </div>
            <label for="run-stdin">"Standard input"</label>
            <textarea id="run-stdin" bind:value=stdin on:input=move |_| stdin_base64.set(None)></textarea>
            <label for="run-stdin-file">"…or from a file"</label>
            <input id="run-stdin-file" type="file" on:change=stdin_file/>
            <button class="primary" id="run-submit" on:click=run>"Run"</button>
            {move || (job_id.get().is_some() && outcome.get().is_none())
                .then(|| view! { <button class="danger" id="run-cancel" on:click=cancel>"Cancel"</button> })}
            {move || error.get().map(|e| view! { <p class="error" id="run-error">{e}</p> })}
        </section>
        <section class="card">
            <h2>"Output " {move || job_id.get().map(|id| view! { <span class="muted mono">{id}</span> })}</h2>
            {move || progress.get().map(|(percent, message)| view! {
                <progress id="run-progress" max="100" value=percent.to_string()></progress>
                <p class="muted">{format!("{percent}% {message}")}</p>
            })}
            <pre class="console" id="run-console">
                {move || console.get().lines.into_iter().map(|(stderr, text)| view! {
                    <span class:stderr=stderr>{text}</span>
                }).collect_view()}
            </pre>
            {move || console.get().cut.then(|| view! { <p class="muted">"Output cut here; the job record has all of it."</p> })}
            {move || outcome.get().map(|r| view! {
                <p id="run-outcome">
                    <span class=format!("badge {}", r.status.as_str())>{r.status.as_str()}</span>
                    {format!(" exit {} · {} ms · {} KiB peak memory · {} bytes of output",
                        r.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                        r.usage.wall_ms, r.usage.peak_memory_bytes / 1024, r.usage.output_bytes)}
                    {r.error.map(|e| format!(" · {}: {}", e.code, e.message))}
                </p>
            })}
        </section>
    }
}
