//! Edge functions: `wasi:http` components served at `/fn/{name}/...` by the host that took
//! the request, in-process and off the bus, from the same engine settings, component cache
//! and precompiled code as jobs.

use std::sync::Arc;
use std::time::Instant;

use edge_wire::ComponentKind;

use crate::components::{ComponentRef, ComponentStore, NatsSource, StoreError};
use crate::runtime::{CacheError, ComponentCache, Ready, RequestLimits, ServeError};

/// Why a function call got no answer from the function.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no function {0}")]
    NotFound(String),
    #[error("{0} is a `{1}` component, not an http one")]
    NotHttp(String, &'static str),
    #[error("invalid function name: {0}")]
    InvalidName(String),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error("{0}")]
    Unavailable(String),
}

/// The functions of one host.
pub struct Functions {
    cache: ComponentCache<NatsSource>,
    components: ComponentStore,
    limits: RequestLimits,
}

impl Functions {
    pub fn new(cache: ComponentCache<NatsSource>, components: ComponentStore, limits: RequestLimits) -> Self {
        Self { cache, components, limits }
    }

    /// Serves `request` with function `target` (`name` or `name@sha256:...`).
    ///
    /// # Errors
    /// [`CallError`] when there is no such function or it gave no answer.
    pub async fn call<B>(
        self: &Arc<Self>,
        target: &str,
        request: hyper::Request<B>,
    ) -> Result<hyper::Response<wasmtime_wasi_http::p2::body::HyperOutgoingBody>, CallError>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        let started = Instant::now();
        let (name, pinned) = match target.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (target, None),
        };
        // `/fn/<tenant>.<name>/`, or `/fn/<name>/` for the default tenant.
        let (tenant, name) = name.split_once('.').unwrap_or((crate::auth::DEFAULT_TENANT, name));
        let entry = self.components.name_entry(tenant, name).await.map_err(|e| match e {
            StoreError::NotFound(_) => CallError::NotFound(target.to_owned()),
            other => CallError::Unavailable(other.to_string()),
        })?;
        let (digest, kind) = match pinned {
            None => (entry.info.digest.clone(), entry.info.kind),
            Some(digest) => {
                let reference = ComponentRef::parse(digest).map_err(|e| CallError::InvalidName(e.to_string()))?;
                // Only versions of this name, not any digest under any name.
                let version = entry.info.versions.iter().find(|v| ComponentRef::Digest(v.digest.clone()) == reference);
                let version = version.ok_or_else(|| CallError::NotFound(target.to_owned()))?;
                (version.digest.clone(), version.kind)
            }
        };
        if kind != ComponentKind::Http {
            return Err(CallError::NotHttp(target.to_owned(), kind.as_str()));
        }
        let (ready, _) = self.cache.get(&digest, kind).await.map_err(|e| match e {
            CacheError::Unavailable { reason, .. } => CallError::Unavailable(reason),
            CacheError::Unusable { reason, .. } => CallError::Serve(ServeError::Failed(reason)),
        })?;
        let Ready::Http(pre) = ready else {
            return Err(CallError::NotHttp(target.to_owned(), kind.as_str()));
        };
        let result = self.cache.runtime().serve_http(&pre, request, self.limits, entry.outbound.clone()).await;
        let class = match &result {
            Ok(response) => status_class(response.status().as_u16()),
            Err(_) => "5xx",
        };
        let function = name.to_owned();
        metrics::counter!("edge_fn_requests_total", "function" => function.clone(), "class" => class).increment(1);
        metrics::histogram!("edge_fn_request_seconds", "function" => function).record(started.elapsed().as_secs_f64());
        Ok(result?)
    }
}

fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}
