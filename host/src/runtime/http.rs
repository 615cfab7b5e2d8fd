//! Serves one HTTP request with a `wasi:http` component: a fresh store per request, the
//! same deadline and memory cap as jobs, outbound requests on an allow-list.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt as _;

use wasmtime_wasi_http::WasiHttpView as _;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use super::Runtime;
use super::cancel::DeadlineReached;
use super::outbound::OutboundPolicy;
use super::output::OutputCapture;
use super::sandbox::SandboxState;

/// Bytes a function may write to its stdout and stderr per request (logs; kept nowhere yet).
const FUNCTION_OUTPUT_BYTES: u64 = 64 * 1024;

/// Limits of one request.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Until the response head is sent, and for the body after it.
    pub timeout: Duration,
    /// Linear memory cap.
    pub memory_mb: u64,
}

/// Why a request got no response from the guest.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The guest did not answer in time.
    #[error("the function did not answer within {0:?}")]
    Timeout(Duration),
    /// The guest trapped or failed before answering.
    #[error("the function failed: {0}")]
    Failed(String),
}

impl Runtime {
    /// Runs `pre` for `request`.
    ///
    /// # Errors
    /// [`ServeError`] when the guest does not produce a response.
    pub async fn serve_http<B>(
        &self,
        pre: &ProxyPre<SandboxState>,
        request: hyper::Request<B>,
        limits: RequestLimits,
        outbound: OutboundPolicy,
    ) -> Result<hyper::Response<HyperOutgoingBody>, ServeError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        let capture = OutputCapture::new(FUNCTION_OUTPUT_BYTES, None);
        let state = SandboxState::new(&[], &[], Vec::new(), capture, None, limits.memory_mb, outbound);
        let mut store = self.guarded_store(state, None, Instant::now() + limits.timeout, None);
        let failed = |e: wasmtime::Error| ServeError::Failed(format!("{e:#}"));

        let request = request
            .map(|body| body.map_err(|e| wasmtime_wasi_http::Error::InternalError(Some(e.to_string()))).boxed_unsync());
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store.data_mut().http().new_incoming_request(Scheme::Http, request).map_err(failed)?;
        let out = store.data_mut().http().new_response_outparam(sender).map_err(failed)?;
        let pre = pre.clone();
        // In its own task: the guest may go on writing the body after the head is sent.
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, out).await
        });
        let timeout = limits.timeout;
        match tokio::time::timeout(timeout, receiver).await {
            Ok(Ok(Ok(response))) => Ok(response),
            Ok(Ok(Err(code))) => Err(ServeError::Failed(format!("the function answered with an error: {code:?}"))),
            // The guest ended (or trapped) without answering: its task says why.
            Ok(Err(_)) => match task.await {
                Ok(Err(e)) if e.is::<DeadlineReached>() => Err(ServeError::Timeout(timeout)),
                Ok(Err(e)) => Err(failed(e)),
                Ok(Ok(())) => Err(ServeError::Failed("the function returned without a response".into())),
                Err(e) => Err(ServeError::Failed(e.to_string())),
            },
            Err(_) => {
                task.abort();
                Err(ServeError::Timeout(timeout))
            }
        }
    }
}
