//! A `wasi:http` edge function that fetches `http://<target>/` for `?target=host:port`
//! and answers with what it got (200), or with why it could not (502).
use edge_guests::http::{finish, respond, write};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{Fields, IncomingRequest, OutgoingRequest, ResponseOutparam, Scheme};

struct HttpFetch;

impl wasip2::exports::http::incoming_handler::Guest for HttpFetch {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        let target = path.split_once("target=").map(|(_, t)| t.split('&').next().unwrap_or("").to_string());
        let result = match target {
            Some(target) => fetch(&target),
            None => Err("give ?target=host:port".to_string()),
        };
        let (status, text) = match result {
            Ok(body) => (200, body),
            Err(e) => (502, format!("fetch failed: {e}\n")),
        };
        let response = respond(out, status, &[("content-type", "text/plain")]);
        write(&response, text.as_bytes());
        finish(response);
    }
}

fn fetch(authority: &str) -> Result<String, String> {
    let request = OutgoingRequest::new(Fields::new());
    request.set_scheme(Some(&Scheme::Http)).map_err(|()| "bad scheme")?;
    request.set_authority(Some(authority)).map_err(|()| "bad authority")?;
    request.set_path_with_query(Some("/")).map_err(|()| "bad path")?;
    let pending = outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
    pending.subscribe().block();
    let response =
        pending.get().ok_or("no response")?.map_err(|()| "response taken twice")?.map_err(|e| format!("{e:?}"))?;
    let body = response.consume().map_err(|()| "no body")?;
    let stream = body.stream().map_err(|()| "no stream")?;
    let mut bytes = Vec::new();
    while let Ok(chunk) = stream.blocking_read(64 * 1024) {
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

wasip2::http::proxy::export!(HttpFetch);

fn main() {}
