//! Open-loop latency: requests leave on a fixed schedule whatever the answers do, and each
//! is timed from its scheduled start.

use std::future::Future;
use std::time::Duration;

use anyhow::ensure;
use serde_json::json;

/// Calls `one` `rate` times a second for `seconds`, each on its own task. A thread paces the
/// sends (sleep, then spin for the last stretch) because tokio's timers are only
/// millisecond-precise, which alone would add up to a millisecond to every figure.
async fn open_loop<F, Fut>(rate: u64, seconds: u64, one: F) -> anyhow::Result<serde_json::Value>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let total = rate * seconds;
    let interval = Duration::from_secs(1) / u32::try_from(rate)?;
    let handle = tokio::runtime::Handle::current();
    let pacer = std::thread::spawn(move || {
        let start = std::time::Instant::now() + Duration::from_millis(100);
        let mut tasks = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        for i in 0..u32::try_from(total).unwrap_or(u32::MAX) {
            let scheduled = start + interval * i;
            loop {
                let now = std::time::Instant::now();
                if now >= scheduled {
                    break;
                }
                let left = scheduled - now;
                if left > Duration::from_micros(300) {
                    std::thread::sleep(left - Duration::from_micros(200));
                } else {
                    std::hint::spin_loop();
                }
            }
            let call = one();
            tasks.push(handle.spawn(async move {
                let result = tokio::time::timeout(Duration::from_secs(30), call).await;
                (scheduled.elapsed(), result)
            }));
        }
        tasks
    });
    let tasks = tokio::task::spawn_blocking(move || pacer.join()).await?.map_err(|_| anyhow::anyhow!("pacer died"))?;
    let mut times = Vec::with_capacity(tasks.len());
    let mut errors = Vec::new();
    for task in tasks {
        match task.await? {
            (elapsed, Ok(Ok(()))) => times.push(elapsed),
            (_, Ok(Err(e))) => errors.push(e.to_string()),
            (_, Err(_)) => errors.push("no answer in 30 s".into()),
        }
    }
    ensure!(!times.is_empty(), "every request failed: {:?}", errors.first());
    times.sort_unstable();
    let ms = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    errors.truncate(5);
    Ok(json!({
        "rate_per_s": rate, "seconds": seconds, "ok": times.len(), "errors": total as usize - times.len(),
        "first_errors": errors,
        "p50_ms": ms(0.5), "p90_ms": ms(0.9), "p99_ms": ms(0.99), "max_ms": ms(1.0),
    }))
}

/// `POST /v1/jobs?wait=10s` of a job that must succeed.
pub async fn rest(base: &str, rate: u64, seconds: u64, component: &str) -> anyhow::Result<serde_json::Value> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    let url = format!("{}/v1/jobs?wait=10s", base.trim_end_matches('/'));
    let body = bytes::Bytes::from(serde_json::to_vec(&json!({"component": component, "args": ["latency"]}))?);
    // Warm the connection pool and the executor's cache.
    for _ in 0..20 {
        http.post(&url).body(body.clone()).send().await?.error_for_status()?;
    }
    open_loop(rate, seconds, move || {
        let request = http.post(&url).header("content-type", "application/json").body(body.clone());
        async move {
            let response = request.send().await?;
            ensure!(response.status() == 200, "answered {}", response.status());
            let record: serde_json::Value = response.json().await?;
            ensure!(record["status"] == "succeeded", "job ended {}", record["status"]);
            Ok(())
        }
    })
    .await
}

/// Request/reply of an empty message to a responder on its own connection.
pub async fn nats(nats_url: &str, rate: u64, seconds: u64) -> anyhow::Result<serde_json::Value> {
    let responder = async_nats::connect(nats_url).await?;
    let mut requests = responder.subscribe("bench.empty").await?;
    responder.flush().await?;
    tokio::spawn(async move {
        use futures::StreamExt as _;
        while let Some(request) = requests.next().await {
            if let Some(reply) = request.reply {
                let _ = responder.publish(reply, bytes::Bytes::new()).await;
            }
        }
    });
    let client = async_nats::connect(nats_url).await?;
    for _ in 0..20 {
        client.request("bench.empty", bytes::Bytes::new()).await?;
    }
    open_loop(rate, seconds, move || {
        let client = client.clone();
        async move {
            client.request("bench.empty", bytes::Bytes::new()).await?;
            Ok(())
        }
    })
    .await
}
