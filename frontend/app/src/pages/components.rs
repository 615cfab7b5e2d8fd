//! Components: the list, and upload by file picker or drag-and-drop.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast as _;

use crate::api;

#[component]
pub fn ComponentsPage() -> impl IntoView {
    let list = LocalResource::new(api::components);
    let name = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let over = RwSignal::new(false);
    let sent = RwSignal::new(None::<f64>);

    let send = move |file: web_sys::File| {
        let chosen = name.get_untracked();
        let name = if chosen.is_empty() { file.name().trim_end_matches(".wasm").to_owned() } else { chosen };
        message.set(Some(Ok(format!("uploading {}…", file.name()))));
        sent.set(Some(0.0));
        spawn_local(async move {
            let result = api::upload_with_progress(&name, file, move |fraction| sent.set(Some(fraction))).await;
            sent.set(None);
            match result {
                Ok(info) => {
                    message.set(Some(Ok(format!("{} v{} uploaded ({})", info.name, info.version, info.kind.as_str()))));
                    list.refetch();
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) {
            send(file);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        over.set(false);
        if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
            send(file);
        }
    };

    view! {
        <section class="card">
            <h2>"Upload a component"</h2>
            <label for="component-name">"Name (default: the file name)"</label>
            <input id="component-name" placeholder="hello" bind:value=name/>
            <label for="component-file">"File (.wasm, a component for wasm32-wasip2)"</label>
            <input id="component-file" type="file" accept=".wasm" on:change=on_pick/>
            <div class="drop" class:over=move || over.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); over.set(true); }
                on:dragleave=move |_| over.set(false)
                on:drop=on_drop>
                "…or drop a .wasm file here"
            </div>
            {move || sent.get().map(|fraction| view! {
                <progress id="upload-progress" max="100" value=(fraction * 100.0).round().to_string()></progress>
            })}
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="muted" id="upload-status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="error" id="upload-error">{text}</p> }.into_any(),
            })}
        </section>
        <section class="card">
            <h2>"Components"</h2>
            {move || match list.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(components)) if components.is_empty() => view! { <p class="muted">"None yet."</p> }.into_any(),
                Some(Ok(components)) => view! {
                    <table id="components">
                        <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Version"</th><th>"Size"</th><th>"Digest"</th></tr></thead>
                        <tbody>
                            {components.into_iter().map(|c| view! {
                                <tr>
                                    <td>{c.name}</td>
                                    <td>{c.kind.as_str()}</td>
                                    <td>{format!("v{} of {}", c.version, c.versions.len())}</td>
                                    <td>{format!("{} KiB", c.size / 1024)}</td>
                                    <td class="mono">{c.digest}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
