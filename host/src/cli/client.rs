//! Client verbs: `edge upload`, `edge run`, `edge jobs`. They talk to a host over HTTP.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use edge_wire::{ComponentInfo, ErrorResponse, JobList, JobRecord, JobRequest, LimitsRequest};
use serde::de::DeserializeOwned;

use super::DEFAULT_SERVER;

/// Where the host is.
#[derive(Args, Clone)]
pub struct ServerArgs {
    /// Base URL of an edge host.
    #[arg(long, env = "EDGE_SERVER", default_value = DEFAULT_SERVER)]
    pub server: String,

    /// API key, when the host requires one (`edge dev` prints one).
    #[arg(long, env = "EDGE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

impl ServerArgs {
    /// An HTTP client that sends the API key with every request.
    fn client(&self) -> anyhow::Result<reqwest::Client> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(key) = &self.api_key {
            let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(|_| anyhow::anyhow!("the API key must be visible ASCII"))?;
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        Ok(reqwest::Client::builder().default_headers(headers).build()?)
    }
}

/// Upload a component file under a name.
#[derive(Args)]
pub struct UploadCommand {
    /// The `.wasm` component.
    pub file: PathBuf,
    /// Name to upload it as (default: the file name without `.wasm`).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
}

impl UploadCommand {
    pub async fn execute(self) -> anyhow::Result<()> {
        let bytes = std::fs::read(&self.file).with_context(|| format!("reading {}", self.file.display()))?;
        let name = match self.name {
            Some(name) => name,
            None => self.file.file_stem().and_then(|s| s.to_str()).context("give --name")?.to_owned(),
        };
        let url = format!("{}/v1/components", self.server.server.trim_end_matches('/'));
        let response = self.server.client()?.post(url).query(&[("name", &name)]).body(bytes).send().await?;
        let info: ComponentInfo = answer(response).await?;
        println!("{} v{} {} ({}, {} bytes)", info.name, info.version, info.digest, info.kind.as_str(), info.size);
        Ok(())
    }
}

/// Run a component as a job and print its output (exit code is the job's).
#[derive(Args)]
pub struct RunCommand {
    /// Component name or digest.
    pub component: String,
    /// Arguments for the component.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Environment variable for the job, `KEY=VALUE` (repeatable).
    #[arg(long = "env", short = 'e', value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// File to feed to stdin (`-` for this process's stdin).
    #[arg(long)]
    pub stdin: Option<PathBuf>,
    /// Deadline of the job, e.g. `30s`.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub timeout: Option<Duration>,
    /// Memory cap of the job in MiB.
    #[arg(long)]
    pub memory_mb: Option<u64>,
    /// Fuel budget of the job.
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Print the whole record as JSON instead of the output.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Longest single wait the client asks the host for; it asks again until the job ends.
const WAIT_STEP: &str = "30s";

impl RunCommand {
    pub async fn execute(self) -> anyhow::Result<()> {
        let stdin = match &self.stdin {
            None => None,
            Some(path) if path.as_os_str() == "-" => {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
                Some(buf)
            }
            Some(path) => Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?),
        };
        let (stdin_text, stdin_base64) = match stdin {
            None => (None, None),
            Some(bytes) => match String::from_utf8(bytes) {
                Ok(text) => (Some(text), None),
                Err(e) => {
                    use base64::Engine as _;
                    (None, Some(base64::engine::general_purpose::STANDARD.encode(e.into_bytes())))
                }
            },
        };
        let request = JobRequest {
            component: self.component.clone(),
            args: self.args.clone(),
            env: self.env.iter().cloned().collect::<BTreeMap<_, _>>(),
            stdin: stdin_text,
            stdin_base64,
            limits: LimitsRequest {
                timeout_ms: self.timeout.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
                memory_mb: self.memory_mb,
                fuel: self.fuel,
                max_output_bytes: None,
            },
            webhook: None,
        };
        let base = self.server.server.trim_end_matches('/').to_owned();
        let client = self.server.client()?;
        let spinner = spinner(&format!("running {}", self.component));
        let submitted =
            client.post(format!("{base}/v1/jobs")).query(&[("wait", WAIT_STEP)]).json(&request).send().await?;
        let first: serde_json::Value = answer(submitted).await?;
        let id = first["id"].as_str().context("the host answered without a job id")?.to_owned();
        let record = loop {
            let record: JobRecord = answer(client.get(format!("{base}/v1/jobs/{id}")).send().await?).await?;
            if record.status.is_final() {
                break record;
            }
            spinner.set_message(format!("{} {} ({})", self.component, record.status.as_str(), id));
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        spinner.finish_and_clear();
        if self.json {
            println!("{}", serde_json::to_string_pretty(&record)?);
        } else {
            std::io::stdout().write_all(&record.stdout.to_bytes().unwrap_or_default())?;
            std::io::stderr().write_all(&record.stderr.to_bytes().unwrap_or_default())?;
            if let Some(error) = &record.error {
                eprintln!("edge: job {} {}: {} ({})", record.id, record.status.as_str(), error.message, error.code);
            }
        }
        match record.exit_code {
            Some(0) => Ok(()),
            Some(code) => std::process::exit(code.clamp(1, 255)),
            None => bail!("job {} ended {}", record.id, record.status.as_str()),
        }
    }
}

/// Show recent jobs, or one job as JSON.
#[derive(Args)]
pub struct JobsCommand {
    /// A job id: show its whole record.
    pub id: Option<String>,
    /// How many recent jobs to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    pub server: ServerArgs,
}

impl JobsCommand {
    pub async fn execute(self) -> anyhow::Result<()> {
        let base = self.server.server.trim_end_matches('/');
        let client = self.server.client()?;
        if let Some(id) = self.id {
            let record: JobRecord = answer(client.get(format!("{base}/v1/jobs/{id}")).send().await?).await?;
            println!("{}", serde_json::to_string_pretty(&record)?);
            return Ok(());
        }
        let list: JobList =
            answer(client.get(format!("{base}/v1/jobs")).query(&[("limit", self.limit)]).send().await?).await?;
        println!("{:<36}  {:<16}  {:<20}  {:>5}  {:>8}", "ID", "STATUS", "COMPONENT", "EXIT", "WALL MS");
        for job in list.jobs {
            let exit = job.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
            println!(
                "{:<36}  {:<16}  {:<20}  {:>5}  {:>8}",
                job.id,
                job.status.as_str(),
                job.component,
                exit,
                job.usage.wall_ms
            );
        }
        Ok(())
    }
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

fn spinner(message: &str) -> indicatif::ProgressBar {
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(message.to_owned());
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}

/// The body of a successful answer, or the host's error as an error.
async fn answer<T: DeserializeOwned>(response: reqwest::Response) -> anyhow::Result<T> {
    let status = response.status();
    let body = response.bytes().await?;
    if status.is_success() {
        return serde_json::from_slice(&body).with_context(|| format!("unexpected answer from the host ({status})"));
    }
    match serde_json::from_slice::<ErrorResponse>(&body) {
        Ok(e) => bail!("{} ({}): {}", status, e.error.code, e.error.message),
        Err(_) => bail!("{status}: {}", String::from_utf8_lossy(&body)),
    }
}
