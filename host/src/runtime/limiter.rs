use wasmtime::ResourceLimiter;

/// Caps the linear memory of one job (all its memories together) and records the peak.
pub struct JobLimiter {
    limit_bytes: usize,
    current_bytes: usize,
    peak_bytes: usize,
    table_elements_limit: usize,
    exceeded: bool,
}

/// Most table elements a job may hold in one table.
const TABLE_ELEMENTS_LIMIT: usize = 100_000;

impl JobLimiter {
    pub fn new(limit_bytes: usize) -> Self {
        Self {
            limit_bytes,
            current_bytes: 0,
            peak_bytes: 0,
            table_elements_limit: TABLE_ELEMENTS_LIMIT,
            exceeded: false,
        }
    }

    /// Highest total the job held.
    pub fn peak_bytes(&self) -> usize {
        self.peak_bytes
    }

    /// True once a growth was refused for the cap.
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }
}

impl ResourceLimiter for JobLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = self.current_bytes - current.min(self.current_bytes) + desired;
        if total > self.limit_bytes {
            self.exceeded = true;
            // An error, not `Ok(false)`: the guest traps at once instead of seeing a failed
            // grow that its allocator would turn into an abort with a vaguer message.
            return Err(wasmtime::Error::msg(format!(
                "memory limit: growing to {total} bytes exceeds the cap of {} bytes",
                self.limit_bytes
            )));
        }
        self.current_bytes = total;
        self.peak_bytes = self.peak_bytes.max(total);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= self.table_elements_limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_all_memories_and_refuses_past_the_cap() {
        let mut limiter = JobLimiter::new(100);
        assert!(limiter.memory_growing(0, 40, None).expect("first memory"));
        assert!(limiter.memory_growing(0, 50, None).expect("second memory"));
        assert_eq!(limiter.peak_bytes(), 90);
        assert!(limiter.memory_growing(40, 60, None).is_err());
        assert!(limiter.exceeded());
        assert_eq!(limiter.peak_bytes(), 90);
    }
}
