//! Jobs for an executor's slots, pulled over one long-lived inbox.
//!
//! Each free slot asks JetStream for exactly one job (so an executor never holds jobs it
//! cannot start while others sit idle), but all requests share one subscription: a pull
//! costs one publish, not a subscribe, a publish and an unsubscribe.

use std::time::Duration;

use async_nats::jetstream;
use async_nats::{StatusCode, Subscriber};
use bytes::Bytes;
use futures::StreamExt as _;
use tokio::sync::Mutex;

/// How long one pull request waits on the server for a job.
const PULL_EXPIRES: Duration = Duration::from_secs(5);
/// How long a slot waits for an answer before it asks again (the request may have been
/// lost, e.g. with a reconnect).
const ANSWER_WAIT: Duration = Duration::from_secs(6);
/// Pause after the server refused a pull, before asking again.
const PULL_RETRY: Duration = Duration::from_secs(1);

/// The job queue as the slots of one executor see it.
pub struct JobFeed {
    client: async_nats::Client,
    js: jetstream::Context,
    next_subject: String,
    inbox: String,
    request: Bytes,
    answers: Mutex<Subscriber>,
}

impl JobFeed {
    /// Subscribes the inbox for `stream`'s durable `consumer`.
    ///
    /// # Errors
    /// When the subscription cannot be made.
    pub async fn new(
        js: &jetstream::Context,
        client: &async_nats::Client,
        stream: &str,
        consumer: &str,
    ) -> anyhow::Result<Self> {
        let inbox = client.new_inbox();
        let answers = client.subscribe(inbox.clone()).await?;
        let expires = u64::try_from(PULL_EXPIRES.as_nanos())?;
        Ok(Self {
            client: client.clone(),
            js: js.clone(),
            next_subject: format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"),
            inbox,
            request: Bytes::from(format!(r#"{{"batch":1,"expires":{expires}}}"#)),
            answers: Mutex::new(answers),
        })
    }

    /// The next job for a free slot. Loops over expired and refused pulls; `None` only when
    /// the subscription has ended.
    pub async fn next(&self) -> Option<jetstream::Message> {
        loop {
            if let Err(e) = self
                .client
                .publish_with_reply(self.next_subject.clone(), self.inbox.clone(), self.request.clone())
                .await
            {
                tracing::warn!(error = %e, "cannot ask for a job; retrying");
                tokio::time::sleep(PULL_RETRY).await;
                continue;
            }
            // Answers are interchangeable: whichever slot waits takes the next one.
            let answer = {
                let mut answers = self.answers.lock().await;
                tokio::time::timeout(ANSWER_WAIT, answers.next()).await
            };
            let message = match answer {
                Err(_) => continue,
                Ok(None) => return None,
                Ok(Some(message)) => message,
            };
            match message.status {
                None | Some(StatusCode::OK) => return Some(jetstream::Message { message, context: self.js.clone() }),
                Some(StatusCode::TIMEOUT | StatusCode::NOT_FOUND | StatusCode::IDLE_HEARTBEAT) => {}
                Some(status) => {
                    tracing::warn!(%status, description = ?message.description, "job pull refused; retrying");
                    tokio::time::sleep(PULL_RETRY).await;
                }
            }
        }
    }
}
