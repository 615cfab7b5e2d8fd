//! SSE fan-out: many clients follow one job from its start; each must receive every event.

use std::time::Duration;

use anyhow::{Context as _, ensure};
use futures::StreamExt as _;
use serde_json::json;

/// Memory of a process from /proc, in KiB: (resident now, peak resident).
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field =
        |name: &str| status.lines().find(|l| l.starts_with(name))?.split_whitespace().nth(1)?.parse::<u64>().ok();
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Reads one client's stream to its end; returns the SSE ids it saw, in order.
async fn follow(http: reqwest::Client, url: String) -> anyhow::Result<Vec<u64>> {
    let response = http.get(&url).send().await?;
    ensure!(response.status() == 200, "events answered {}", response.status());
    let mut body = response.bytes_stream();
    let mut pending = Vec::new();
    let mut ids = Vec::new();
    while let Some(chunk) = body.next().await {
        pending.extend_from_slice(&chunk?);
        while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
            let frame: Vec<u8> = pending.drain(..end + 2).collect();
            for line in String::from_utf8_lossy(&frame).lines() {
                if let Some(id) = line.strip_prefix("id:") {
                    ids.push(id.trim().parse()?);
                }
            }
        }
    }
    Ok(ids)
}

pub async fn fan_out(base: &str, clients: usize, host_pid: Option<u32>) -> anyhow::Result<serde_json::Value> {
    let base = base.trim_end_matches('/');
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let before = host_pid.and_then(memory_kib);
    // 20 lines, 100 ms apart: long enough for every client to connect while it runs.
    let job: serde_json::Value = http
        .post(format!("{base}/v1/jobs"))
        .json(&json!({"component": "sleep-print", "args": ["20", "100"]}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = job["id"].as_str().context("no job id")?.to_owned();
    let url = format!("{base}/v1/jobs/{id}/events");
    let readers: Vec<_> = (0..clients).map(|_| tokio::spawn(follow(http.clone(), url.clone()))).collect();

    let mut peak_rss = 0;
    let sampler = async {
        loop {
            if let Some((rss, _)) = host_pid.and_then(memory_kib) {
                peak_rss = peak_rss.max(rss);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let all = futures::future::join_all(readers);
    let results = tokio::select! {
        results = tokio::time::timeout(Duration::from_secs(60), all) => results.context("clients did not finish in 60 s")?,
        () = sampler => unreachable!("the sampler never ends"),
    };
    let mut streams = Vec::with_capacity(clients);
    for result in results {
        streams.push(result??);
    }
    // The record is final now; a late follower replays the whole history.
    let reference = follow(http.clone(), url.clone()).await?;
    let complete = streams.iter().filter(|ids| **ids == reference).count();
    ensure!(
        complete == clients,
        "{} of {clients} clients missed events (expected {:?})",
        clients - complete,
        reference
    );
    let after = host_pid.and_then(memory_kib);
    Ok(json!({
        "clients": clients,
        "events_per_client": reference.len(),
        "clients_with_every_event": complete,
        "host_rss_before_kib": before.map(|m| m.0),
        "host_rss_peak_kib": if host_pid.is_some() { Some(peak_rss) } else { None },
        "host_rss_after_kib": after.map(|m| m.0),
    }))
}
