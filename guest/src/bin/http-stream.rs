//! A `wasi:http` edge function that streams: `chunk <i>` lines, one every 100 ms (count from
//! the `n` query parameter, default 5).
use std::time::Duration;

use edge_guests::http::{finish, respond};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

struct HttpStream;

impl wasip2::exports::http::incoming_handler::Guest for HttpStream {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        let count: u32 = path.split_once("n=").and_then(|(_, n)| n.split('&').next()?.parse().ok()).unwrap_or(5);
        let body = respond(out, 200, &[("content-type", "text/plain")]);
        let stream = body.write().expect("stream");
        for i in 1..=count {
            stream.blocking_write_and_flush(format!("chunk {i}\n").as_bytes()).expect("write");
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(stream);
        finish(body);
    }
}

wasip2::http::proxy::export!(HttpStream);

fn main() {}
