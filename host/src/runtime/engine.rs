use std::hash::{Hash, Hasher};
use std::time::Duration;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: how late a deadline or a cancel may be noticed in a guest
/// that is computing, and how often such a guest yields to the other tasks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Settings that size the engine of one executor.
#[derive(Debug, Clone, Copy)]
pub struct EngineSettings {
    /// Largest memory a job may ask for, in MiB; the pool reserves slots this big.
    pub max_memory_mb: u64,
    /// Jobs that may run at once; the pool is sized for them.
    pub concurrency: u32,
    /// Whether stores can get a fuel budget. Fuel costs every guest time (the code counts
    /// as it goes), so engines that never meter (edge functions) leave it off.
    pub fuel: bool,
}

/// One wasmtime engine and what belongs to it.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    settings: EngineSettings,
    fingerprint: String,
}

impl Runtime {
    /// Builds the engine and starts its epoch ticker.
    ///
    /// # Errors
    /// When wasmtime rejects the configuration (e.g. the pool cannot be reserved).
    pub fn new(settings: EngineSettings) -> anyhow::Result<Self> {
        let mut pool = PoolingAllocationConfig::default();
        // Every slot of the pool may hold the largest memory a job can ask for.
        pool.max_memory_size(mib_to_bytes(settings.max_memory_mb)?);
        // A wasip2 command is several core instances (program, adapter, shims); leave room
        // for concurrent jobs plus instances still being torn down.
        let slots = settings.concurrency.saturating_mul(2).max(8);
        pool.total_component_instances(slots);
        pool.total_core_instances(slots.saturating_mul(16));
        pool.total_memories(slots.saturating_mul(8));
        pool.total_tables(slots.saturating_mul(16));
        pool.total_stacks(slots);
        pool.max_memories_per_module(2);
        pool.max_tables_per_module(4);
        // Without these the kernel spends half the time zeroing and remapping slots. With
        // PAGEMAP_SCAN (Linux 6.7+) only pages a job touched are reset, so a generous
        // resident size costs nothing for small jobs and saves page faults for all.
        pool.pagemap_scan(Enabled::Auto);
        pool.linear_memory_keep_resident(8 << 20);
        pool.table_keep_resident(1 << 16);
        pool.async_stack_keep_resident(1 << 16);

        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .consume_fuel(settings.fuel)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(anyhow::Error::from).context("configuring the wasmtime engine")?;
        start_epoch_ticker(&engine);
        let fingerprint = engine_fingerprint(&engine);
        Ok(Self { engine, settings, fingerprint })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The settings it was built with.
    pub fn settings(&self) -> EngineSettings {
        self.settings
    }

    /// Names the native code this engine makes: the same fingerprint means precompiled
    /// artifacts can be shared (wasmtime version, target and code-changing settings).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

fn mib_to_bytes(mib: u64) -> anyhow::Result<usize> {
    mib.checked_mul(1 << 20)
        .and_then(|b| usize::try_from(b).ok())
        .with_context(|| format!("max memory of {mib} MiB does not fit this machine"))
}

/// One ticker thread per engine. It holds only a weak reference, so it ends with the engine.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new().name("edge-epoch".into()).spawn(move || {
        loop {
            std::thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
        }
    });
    if let Err(e) = spawned {
        // Without a ticker no deadline fires: better to die loudly than to hang on a loop.
        panic!("cannot start the epoch ticker thread: {e}");
    }
}

fn engine_fingerprint(engine: &Engine) -> String {
    struct Sha256Hasher(Sha256);
    impl Hasher for Sha256Hasher {
        fn finish(&self) -> u64 {
            0 // unused: the digest is read below
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut hasher = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex::encode(&hasher.0.finalize()[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_settings_same_fingerprint() {
        let settings = EngineSettings { max_memory_mb: 64, concurrency: 1, fuel: true };
        let a = Runtime::new(settings).expect("engine");
        let b = Runtime::new(settings).expect("engine");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 24);
    }
}
