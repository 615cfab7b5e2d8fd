//! `edge-loadgen`: drives a running edge platform for `just bench` and prints one JSON
//! object of figures. Load runs on loopback only and is bounded in count and time.
//!
//! - `burst`: N jobs submitted as fast as `--in-flight` allows, over the NATS API or REST,
//!   until every `done` event has arrived; checks each job succeeded.
//! - `rate`: open-loop `POST /v1/jobs?wait` at a fixed rate; latency is measured from each
//!   request's scheduled time, so a stall counts against the system (no coordinated omission).
//! - `nats-rate`: the baseline for `rate`: raw NATS request/reply of an empty message to a
//!   responder in this process, at the same rate, measured the same way.
//! - `sse`: C clients follow one job's SSE stream; checks every client got every event.

mod http1;
mod latency;
mod sse;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use clap::{Parser, Subcommand, ValueEnum};
use edge_wire::JobStatus;
use futures::StreamExt as _;
use serde_json::json;

// The load generator shares the cores with what it measures: the lighter, the better.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Via {
    Nats,
    Rest,
}

#[derive(Subcommand)]
enum Command {
    Burst {
        #[arg(long)]
        via: Via,
        #[arg(long, default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
        #[arg(long, default_value_t = 20_000)]
        jobs: usize,
        #[arg(long, default_value_t = 256)]
        in_flight: usize,
        #[arg(long, default_value = "hello")]
        component: String,
        /// Give up after this long.
        #[arg(long, default_value = "300")]
        timeout_s: u64,
    },
    Rate {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value = "hello")]
        component: String,
    },
    NatsRate {
        #[arg(long, default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    Sse {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
        #[arg(long, default_value_t = 500)]
        clients: usize,
        /// The host's process id, to report its memory.
        #[arg(long)]
        host_pid: Option<u32>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let figures = match Cli::parse().command {
        Command::Burst { via, nats_url, base, jobs, in_flight, component, timeout_s } => {
            burst(via, &nats_url, &base, jobs, in_flight, &component, Duration::from_secs(timeout_s)).await?
        }
        Command::Rate { base, rate, seconds, component } => latency::rest(&base, rate, seconds, &component).await?,
        Command::NatsRate { nats_url, rate, seconds } => latency::nats(&nats_url, rate, seconds).await?,
        Command::Sse { base, clients, host_pid } => sse::fan_out(&base, clients, host_pid).await?,
    };
    println!("{}", serde_json::to_string_pretty(&figures)?);
    Ok(())
}

async fn burst(
    via: Via,
    nats_url: &str,
    base: &str,
    jobs: usize,
    in_flight: usize,
    component: &str,
    timeout: Duration,
) -> anyhow::Result<serde_json::Value> {
    let nats = async_nats::connect(nats_url).await?;
    // Every job's end, from the subjects the events stream stores.
    let mut done = nats.subscribe("edge.events.*.done").await?;
    nats.flush().await?;
    let request = bytes::Bytes::from(serde_json::to_vec(&json!({"component": component, "args": ["burst"]}))?);
    // One submitter per job in flight, each on its own connection for REST; they take
    // job numbers from a shared counter until all are taken.
    let mut connections = Vec::new();
    if matches!(via, Via::Rest) {
        for _ in 0..in_flight {
            connections.push(Some(http1::Connection::open(base).await?));
        }
    } else {
        connections.resize_with(in_flight, || None);
    }
    let taken = std::sync::Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut submitters = tokio::task::JoinSet::new();
    for mut connection in connections {
        let (nats, request, taken) = (nats.clone(), request.clone(), taken.clone());
        submitters.spawn(async move {
            let mut ids = Vec::new();
            while taken.fetch_add(1, Ordering::Relaxed) < jobs {
                ids.push(submit_one(&nats, connection.as_mut(), request.clone()).await?);
            }
            anyhow::Ok(ids)
        });
    }
    let mut ids = HashSet::with_capacity(jobs);
    while let Some(submitted) = submitters.join_next().await {
        ids.extend(submitted??);
    }
    let submitted = started.elapsed();
    ensure!(ids.len() == jobs, "{} distinct ids for {jobs} jobs", ids.len());

    let mut finished = HashSet::with_capacity(jobs);
    let mut failed = 0;
    let deadline = tokio::time::Instant::now() + timeout;
    while finished.len() < jobs {
        let message = tokio::time::timeout_at(deadline, done.next())
            .await
            .with_context(|| format!("only {} of {jobs} jobs finished in time", finished.len()))?
            .context("subscription ended")?;
        let Ok(record) = serde_json::from_slice::<Finished>(&message.payload) else { continue };
        if ids.contains(&record.id) && finished.insert(record.id.clone()) && record.status != JobStatus::Succeeded {
            failed += 1;
        }
    }
    let completed = started.elapsed();
    ensure!(failed == 0, "{failed} of {jobs} jobs did not succeed");
    Ok(json!({
        "via": match via { Via::Nats => "nats", Via::Rest => "rest" },
        "jobs": jobs,
        "in_flight": in_flight,
        "submit_per_s": jobs as f64 / submitted.as_secs_f64(),
        "completed_per_s": jobs as f64 / completed.as_secs_f64(),
        "seconds": completed.as_secs_f64(),
    }))
}

/// What a burst needs of a `done` event (its final record, flattened into the event).
#[derive(serde::Deserialize)]
struct Finished {
    id: String,
    status: JobStatus,
}

/// What a submit answers (over REST or NATS): the new job's id.
#[derive(serde::Deserialize)]
struct Accepted {
    id: String,
}

/// Submits one job over REST (with a connection) or the NATS API (without); its id.
async fn submit_one(
    nats: &async_nats::Client,
    connection: Option<&mut http1::Connection>,
    request: bytes::Bytes,
) -> anyhow::Result<String> {
    let reply = match connection {
        Some(connection) => connection.post_json("/v1/jobs", request, 202).await?,
        None => {
            let reply = nats.request("edge.api.jobs.submit", request).await?;
            if let Some(error) = reply.headers.as_ref().and_then(|h| h.get("Nats-Service-Error")) {
                bail!("submit refused: {error}");
            }
            reply.payload
        }
    };
    Ok(serde_json::from_slice::<Accepted>(&reply)?.id)
}
