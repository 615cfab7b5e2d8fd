//! Small helpers for the `wasi:http` guests.

use wasip2::http::types::{Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam};

/// The method as text.
pub fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.clone(),
    }
}

/// The whole request body.
pub fn read_body(request: &IncomingRequest) -> Vec<u8> {
    let mut bytes = Vec::new();
    let Ok(body) = request.consume() else { return bytes };
    let Ok(stream) = body.stream() else { return bytes };
    while let Ok(chunk) = stream.blocking_read(64 * 1024) {
        bytes.extend_from_slice(&chunk);
    }
    drop(stream);
    bytes
}

/// Starts a response: sets it on `out` and returns its body for writing.
pub fn respond(out: ResponseOutparam, status: u16, headers: &[(&str, &str)]) -> OutgoingBody {
    let list: Vec<(String, Vec<u8>)> = headers.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect();
    let fields = Fields::from_list(&list).expect("valid headers");
    let response = OutgoingResponse::new(fields);
    response.set_status_code(status).expect("valid status");
    let body = response.body().expect("body once");
    ResponseOutparam::set(out, Ok(response));
    body
}

/// Writes `bytes` to a response body (in pieces the stream accepts).
pub fn write(body: &OutgoingBody, bytes: &[u8]) {
    let stream = body.write().expect("stream once");
    for piece in bytes.chunks(4096) {
        stream.blocking_write_and_flush(piece).expect("write");
    }
}

/// Ends a response body.
pub fn finish(body: OutgoingBody) {
    OutgoingBody::finish(body, None).expect("finish");
}
