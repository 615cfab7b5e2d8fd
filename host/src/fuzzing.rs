//! Entry points for the fuzz targets in `fuzz/`: they run the production checks, not
//! copies of them, without making the modules behind them public. Not an API.

use edge_wire::{ComponentKind, JobRequest, Limits};

use crate::jobs::{LimitPolicy, ValidRequest, validate};
use crate::webhooks::UrlPolicy;

/// What a job request that passed the checks turns into.
#[derive(Debug)]
pub struct CheckedJob {
    /// The limits with defaults filled in.
    pub limits: Limits,
    /// The job's standard input, from `stdin` or `stdin_base64`.
    pub stdin: Vec<u8>,
}

/// The validation `POST /v1/components` runs on uploaded bytes; the error as the client
/// would read it.
///
/// # Errors
/// Why the bytes are not a component edge runs.
pub fn inspect_component(bytes: &[u8]) -> Result<ComponentKind, String> {
    crate::components::inspect(bytes).map_err(|e| e.to_string())
}

/// Every check `POST /v1/jobs` makes of a parsed request before it needs NATS, with the
/// default limits and a webhook deny-list like `edge serve`'s default one.
///
/// # Errors
/// Why the request is refused, as the client would read it.
pub fn check_job_request(request: &JobRequest) -> Result<CheckedJob, String> {
    let webhooks = UrlPolicy {
        allow_hosts: Vec::new(),
        deny_hosts: vec!["169.254.169.254".into(), "metadata.google.internal".into()],
    };
    let ValidRequest { stdin, limits, .. } =
        validate(request, &LimitPolicy::default(), &webhooks).map_err(|e| e.to_string())?;
    Ok(CheckedJob { limits, stdin })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str) -> Result<CheckedJob, String> {
        check_job_request(&serde_json::from_str(json).expect("a job request"))
    }

    #[test]
    fn the_fuzzed_checks_accept_and_refuse_as_submit_does() {
        let full = r#"{"component":"hello","args":["a"],"env":{"K":"V"},"stdin":"x",
            "limits":{"timeout_ms":1000,"memory_mb":16},"webhook":{"url":"https://example.com/h","secret":"s"}}"#;
        let checked = check(full).expect("valid");
        assert_eq!((checked.limits.timeout_ms, checked.limits.memory_mb, checked.stdin), (1000, 16, b"x".to_vec()));
        for refused in [
            r#"{"component":"hello","stdin":"x","stdin_base64":"eA=="}"#,
            r#"{"component":"hello","args":["a\u0000"]}"#,
            r#"{"component":"hello","env":{"A=B":"x"}}"#,
            r#"{"component":"-bad"}"#,
            r#"{"component":"hello","limits":{"memory_mb":0}}"#,
            r#"{"component":"hello","webhook":{"url":"http://169.254.169.254/x","secret":"s"}}"#,
            r#"{"component":"hello","webhook":{"url":"https://example.com/h","secret":""}}"#,
        ] {
            assert!(check(refused).is_err(), "{refused}");
        }
        assert!(inspect_component(b"\0asm\x0d\0\x01\0").is_err_and(|e| e.contains("exports none")));
    }
}
