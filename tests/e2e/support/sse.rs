//! A small Server-Sent Events reader over a real HTTP response.

use futures::StreamExt as _;

/// One event as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

/// Reads events from a streaming response.
pub struct SseReader {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        Self { body: response.bytes_stream().boxed(), buffer: String::new() }
    }

    /// The next event; `None` when the server closed the stream. Comments are skipped.
    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent { id: None, event: "message".into(), data: String::new() };
                let mut any = false;
                for line in block.lines() {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "id" => event.id = Some(value.to_owned()),
                        "event" => event.event = value.to_owned(),
                        "data" => {
                            if any {
                                event.data.push('\n');
                            }
                            event.data.push_str(value);
                            any = true;
                        }
                        _ => {}
                    }
                }
                if any {
                    return Some(event);
                }
                continue;
            }
            let chunk = self.body.next().await?.ok()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Every event until the server closes the stream, which must happen within 10 s.
    pub async fn all(mut self) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let read = async {
            while let Some(event) = self.next().await {
                events.push(event);
            }
        };
        let closed = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
        assert!(closed.is_ok(), "the event stream stayed open after {events:?}");
        events
    }
}
