//! A `wasi:http` edge function: answers with the method, the path and query, the
//! `x-greeting` header and the body it got. `/panic` traps; `/spin` never answers.
use edge_guests::http::{finish, method_name, read_body, respond, write};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

struct HttpHello;

impl wasip2::exports::http::incoming_handler::Guest for HttpHello {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        if path.ends_with("/panic") {
            panic!("asked to panic");
        }
        if path.ends_with("/spin") {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        let method = method_name(&request.method());
        let greeting = request
            .headers()
            .get("x-greeting")
            .first()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_else(|| "none".into());
        let body = read_body(&request);
        let text =
            format!("method: {method}\npath: {path}\ngreeting: {greeting}\nbody: {}\n", String::from_utf8_lossy(&body));
        let response = respond(out, 200, &[("content-type", "text/plain"), ("x-edge-fn", "http-hello")]);
        write(&response, text.as_bytes());
        finish(response);
    }
}

wasip2::http::proxy::export!(HttpHello);

// A component has no `main`; Rust's bin target wants one.
fn main() {}
