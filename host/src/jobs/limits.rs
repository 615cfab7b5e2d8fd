//! What a job may ask for: defaults and the largest values a platform accepts.

use edge_wire::{Limits, LimitsRequest};

/// Default wall-clock deadline.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// Default memory cap.
pub const DEFAULT_MEMORY_MB: u64 = 128;
/// Default cap on stdout and stderr together.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 1 << 20;
/// Largest deadline accepted unless configured otherwise.
pub const MAX_TIMEOUT_MS: u64 = 15 * 60 * 1000;
/// Largest memory cap accepted unless configured otherwise.
pub const MAX_MEMORY_MB: u64 = 1024;
/// Largest output cap: the whole record, output included, must fit a NATS KV value.
pub const MAX_OUTPUT_BYTES: u64 = 2 << 20;

/// A limit out of its range.
#[derive(Debug, thiserror::Error)]
#[error("limits.{field} must be between {min} and {max} (got {got})")]
pub struct LimitError {
    pub field: &'static str,
    pub min: u64,
    pub max: u64,
    pub got: u64,
}

/// Defaults and maxima for job limits.
#[derive(Debug, Clone, Copy)]
pub struct LimitPolicy {
    /// Deadline when the request names none.
    pub default_timeout_ms: u64,
    /// Largest deadline.
    pub max_timeout_ms: u64,
    /// Memory cap when the request names none.
    pub default_memory_mb: u64,
    /// Largest memory cap; executors must be started with at least this `--max-memory-mb`.
    pub max_memory_mb: u64,
    /// Output cap when the request names none.
    pub default_max_output_bytes: u64,
    /// Largest output cap.
    pub max_output_bytes: u64,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        Self {
            default_timeout_ms: DEFAULT_TIMEOUT_MS,
            max_timeout_ms: MAX_TIMEOUT_MS,
            default_memory_mb: DEFAULT_MEMORY_MB,
            max_memory_mb: MAX_MEMORY_MB,
            default_max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            max_output_bytes: MAX_OUTPUT_BYTES,
        }
    }
}

impl LimitPolicy {
    /// Fills in defaults and checks ranges.
    ///
    /// # Errors
    /// [`LimitError`] for the first limit out of range.
    pub fn resolve(&self, asked: &LimitsRequest) -> Result<Limits, LimitError> {
        let check = |field, got: Option<u64>, default: u64, min: u64, max: u64| {
            let value = got.unwrap_or(default);
            if (min..=max).contains(&value) { Ok(value) } else { Err(LimitError { field, min, max, got: value }) }
        };
        Ok(Limits {
            timeout_ms: check("timeout_ms", asked.timeout_ms, self.default_timeout_ms, 1, self.max_timeout_ms)?,
            memory_mb: check("memory_mb", asked.memory_mb, self.default_memory_mb, 1, self.max_memory_mb)?,
            fuel: match asked.fuel {
                Some(fuel) => Some(check("fuel", Some(fuel), 0, 1, u64::MAX)?),
                None => None,
            },
            max_output_bytes: check(
                "max_output_bytes",
                asked.max_output_bytes,
                self.default_max_output_bytes,
                0,
                self.max_output_bytes,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in_and_ranges_hold() {
        let policy = LimitPolicy::default();
        let limits = policy.resolve(&LimitsRequest::default()).expect("defaults");
        assert_eq!(limits.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(limits.fuel, None);
        let bad = LimitsRequest { memory_mb: Some(MAX_MEMORY_MB + 1), ..Default::default() };
        let err = policy.resolve(&bad).expect_err("too much memory");
        assert_eq!(err.field, "memory_mb");
        let zero = LimitsRequest { timeout_ms: Some(0), ..Default::default() };
        assert_eq!(policy.resolve(&zero).expect_err("zero").field, "timeout_ms");
        let fuel = LimitsRequest { fuel: Some(0), ..Default::default() };
        assert_eq!(policy.resolve(&fuel).expect_err("no fuel").field, "fuel");
    }
}
