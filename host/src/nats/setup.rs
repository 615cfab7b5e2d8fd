use std::time::Duration;

use anyhow::{Context as _, bail};
use async_nats::jetstream::{self, consumer, kv, object_store, stream};
use serde::Deserialize;

use super::names;

/// The definitions in `nats/`, built into the binary so a node needs no files to start.
const STREAM_DEFINITIONS: [(&str, &str); 4] = [
    (names::JOBS_STREAM, include_str!("../../../nats/streams/EDGE_JOBS.json")),
    (names::EVENTS_STREAM, include_str!("../../../nats/streams/EDGE_EVENTS.json")),
    (names::WEBHOOKS_STREAM, include_str!("../../../nats/streams/EDGE_WEBHOOKS.json")),
    (names::DEAD_LETTERS_STREAM, include_str!("../../../nats/streams/EDGE_DEAD_LETTERS.json")),
];
/// The `executors` consumer on EDGE_JOBS.
pub const EXECUTORS_CONSUMER: &str = include_str!("../../../nats/consumers/executors.json");
/// The `webhook-senders` consumer on EDGE_WEBHOOKS.
pub const WEBHOOK_SENDERS_CONSUMER: &str = include_str!("../../../nats/consumers/webhook-senders.json");
/// The `dead-letter-handlers` consumer on EDGE_DEAD_LETTERS.
pub const DEAD_LETTER_HANDLERS_CONSUMER: &str = include_str!("../../../nats/consumers/dead-letter-handlers.json");
const BUCKETS: &str = include_str!("../../../nats/buckets.json");

/// How long to wait for the first connection before telling the user NATS is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
struct ConsumerDefinition {
    stream_name: String,
    config: consumer::pull::Config,
}

#[derive(Deserialize)]
struct BucketDefinitions {
    key_value: Vec<KvDefinition>,
    object_store: Vec<ObjectStoreDefinition>,
}

#[derive(Deserialize)]
struct KvDefinition {
    bucket: String,
    description: String,
    history: i64,
    max_age_secs: u64,
    max_value_size: i32,
}

#[derive(Deserialize)]
struct ObjectStoreDefinition {
    bucket: String,
    description: String,
}

/// Handles on everything edge keeps in NATS.
#[derive(Clone)]
pub struct Platform {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    /// EDGE_JOBS, where queued jobs (and their records) wait.
    pub job_queue: stream::Stream,
    pub jobs: kv::Store,
    pub names: kv::Store,
    pub webhooks: kv::Store,
    pub executors: kv::Store,
    pub dead_letters: kv::Store,
    pub idempotency: kv::Store,
    pub components: object_store::ObjectStore,
    pub precompiled: object_store::ObjectStore,
}

/// Connects to NATS and checks that JetStream is there.
///
/// # Errors
/// With a message that says what to do when the server cannot be reached or has no
/// JetStream.
pub async fn connect(
    url: &str,
    client_name: &str,
    credentials: Option<(String, String)>,
) -> anyhow::Result<(async_nats::Client, jetstream::Context)> {
    let options = match credentials {
        Some((user, password)) => async_nats::ConnectOptions::with_user_and_password(user, password),
        None => async_nats::ConnectOptions::new(),
    };
    let client = options
        .name(client_name)
        .connection_timeout(CONNECT_TIMEOUT)
        // After the first connection, keep trying for ever: a restarted server is normal.
        .max_reconnects(None)
        .connect(url)
        .await
        .map_err(|e| match e.kind() {
            async_nats::ConnectErrorKind::AuthorizationViolation | async_nats::ConnectErrorKind::Authentication => {
                anyhow::anyhow!(
                    "NATS at {url} refused this node's credentials: give --nats-user and --nats-password \
                     (EDGE_NATS_USER, EDGE_NATS_PASSWORD) of a user in its config ({e})"
                )
            }
            _ => anyhow::Error::new(e)
                .context(format!("cannot reach NATS at {url}: is nats-server running there? (`just nats` starts one)")),
        })?;
    let js = jetstream::new(client.clone());
    match tokio::time::timeout(CONNECT_TIMEOUT, js.query_account()).await {
        Ok(Ok(_)) => Ok((client, js)),
        Ok(Err(e)) => bail!(
            "NATS at {url} has no JetStream ({e}): start nats-server with -js, or with a \
             `jetstream {{}}` block in its config (nats/nats-server.conf has one)"
        ),
        Err(_) => bail!("NATS at {url} did not answer a JetStream request in {CONNECT_TIMEOUT:?}"),
    }
}

/// Creates the streams and buckets that are missing and opens them all.
///
/// # Errors
/// When NATS refuses to create or open one of them.
pub async fn ensure_platform(client: async_nats::Client, js: jetstream::Context) -> anyhow::Result<Platform> {
    for (name, json) in STREAM_DEFINITIONS {
        let config: stream::Config = serde_json::from_str(json).with_context(|| format!("nats/streams/{name}.json"))?;
        let subjects = config.subjects.clone();
        let stream =
            js.get_or_create_stream(config.clone()).await.with_context(|| format!("creating stream {name}"))?;
        // A stream made by an older version listens on other subjects: bring it in line.
        if stream.cached_info().config.subjects != subjects {
            js.update_stream(config).await.with_context(|| format!("updating the subjects of stream {name}"))?;
        }
    }
    let job_queue = js.get_stream(names::JOBS_STREAM).await.context("opening the job queue")?;
    let buckets: BucketDefinitions = serde_json::from_str(BUCKETS).context("nats/buckets.json")?;
    let mut kvs = Vec::new();
    for def in buckets.key_value {
        let store = match js.get_key_value(&def.bucket).await {
            Ok(store) => store,
            Err(_) => js
                .create_key_value(kv::Config {
                    bucket: def.bucket.clone(),
                    description: def.description,
                    history: def.history,
                    max_age: Duration::from_secs(def.max_age_secs),
                    max_value_size: def.max_value_size,
                    max_bytes: -1,
                    ..Default::default()
                })
                .await
                .with_context(|| format!("creating key-value bucket {}", def.bucket))?,
        };
        kvs.push((def.bucket, store));
    }
    let mut objects = Vec::new();
    for def in buckets.object_store {
        let store = match js.get_object_store(&def.bucket).await {
            Ok(store) => store,
            Err(_) => js
                .create_object_store(object_store::Config {
                    bucket: def.bucket.clone(),
                    description: Some(def.description),
                    max_bytes: -1,
                    ..Default::default()
                })
                .await
                .with_context(|| format!("creating object store {}", def.bucket))?,
        };
        objects.push((def.bucket, store));
    }
    Ok(Platform {
        job_queue,
        jobs: take(&mut kvs, names::JOBS_BUCKET)?,
        names: take(&mut kvs, names::NAMES_BUCKET)?,
        webhooks: take(&mut kvs, names::WEBHOOKS_BUCKET)?,
        executors: take(&mut kvs, names::EXECUTORS_BUCKET)?,
        dead_letters: take(&mut kvs, names::DEAD_LETTERS_BUCKET)?,
        idempotency: take(&mut kvs, names::IDEMPOTENCY_BUCKET)?,
        components: take(&mut objects, names::COMPONENTS_BUCKET)?,
        precompiled: take(&mut objects, names::PRECOMPILED_BUCKET)?,
        client,
        js,
    })
}

fn take<T>(list: &mut Vec<(String, T)>, name: &str) -> anyhow::Result<T> {
    let index = list
        .iter()
        .position(|(bucket, _)| bucket == name)
        .with_context(|| format!("nats/buckets.json does not define {name}"))?;
    Ok(list.swap_remove(index).1)
}

/// Creates a shared durable consumer from its definition (one of the `*_CONSUMER`
/// constants), or brings it in line with it and with this node's `ack_wait`.
///
/// # Errors
/// When NATS refuses the consumer.
pub async fn ensure_consumer(
    js: &jetstream::Context,
    definition: &str,
    ack_wait: Option<Duration>,
) -> anyhow::Result<consumer::Consumer<consumer::pull::Config>> {
    let def: ConsumerDefinition = serde_json::from_str(definition).context("consumer definition in nats/consumers/")?;
    let mut config = def.config;
    if let Some(ack_wait) = ack_wait {
        config.ack_wait = ack_wait;
    }
    let stream =
        js.get_stream(&def.stream_name).await.with_context(|| format!("opening stream {}", def.stream_name))?;
    stream.create_consumer(config).await.with_context(|| format!("creating a consumer on {}", def.stream_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_definition_parses_and_matches_the_names() {
        for (name, json) in STREAM_DEFINITIONS {
            let config: stream::Config = serde_json::from_str(json).expect(name);
            assert_eq!(config.name, name);
        }
        let jobs: stream::Config = serde_json::from_str(STREAM_DEFINITIONS[0].1).expect("jobs");
        assert_eq!(jobs.retention, stream::RetentionPolicy::WorkQueue);
        assert_eq!(jobs.subjects, vec![names::JOBS_SUBMIT.to_string()]);
        assert!(jobs.duplicate_window > Duration::ZERO);

        let consumer: ConsumerDefinition = serde_json::from_str(EXECUTORS_CONSUMER).expect("consumer");
        assert_eq!(consumer.stream_name, names::JOBS_STREAM);
        assert_eq!(consumer.config.durable_name.as_deref(), Some(names::EXECUTORS_CONSUMER));
        assert_eq!(consumer.config.ack_policy, consumer::AckPolicy::Explicit);
        assert!(consumer.config.max_deliver > 1);

        let buckets: BucketDefinitions = serde_json::from_str(BUCKETS).expect("buckets");
        let kv: Vec<_> = buckets.key_value.iter().map(|b| b.bucket.as_str()).collect();
        let expected = [
            names::JOBS_BUCKET,
            names::NAMES_BUCKET,
            names::WEBHOOKS_BUCKET,
            names::EXECUTORS_BUCKET,
            names::DEAD_LETTERS_BUCKET,
            names::IDEMPOTENCY_BUCKET,
        ];
        assert_eq!(kv, expected);
        let dead: ConsumerDefinition = serde_json::from_str(DEAD_LETTER_HANDLERS_CONSUMER).expect("consumer");
        assert_eq!(dead.stream_name, names::DEAD_LETTERS_STREAM);
        let advisories: stream::Config = serde_json::from_str(STREAM_DEFINITIONS[3].1).expect("dead letters");
        // The advisory subject names the jobs stream and the executors' consumer.
        assert_eq!(
            advisories.subjects,
            [format!(
                "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{}.{}",
                names::JOBS_STREAM,
                names::EXECUTORS_CONSUMER
            )]
        );
        let senders: ConsumerDefinition = serde_json::from_str(WEBHOOK_SENDERS_CONSUMER).expect("consumer");
        assert_eq!(senders.stream_name, names::WEBHOOKS_STREAM);
        assert_eq!(senders.config.durable_name.as_deref(), Some(names::WEBHOOK_SENDERS_CONSUMER));
        let objects: Vec<_> = buckets.object_store.iter().map(|b| b.bucket.as_str()).collect();
        assert_eq!(objects, [names::COMPONENTS_BUCKET, names::PRECOMPILED_BUCKET]);
    }
}
