//! Outgoing HTTP from guests: denied unless the host is on the component's allow-list.

use std::sync::Arc;

use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

/// Which authorities (`host` or `host:port`) a guest may send HTTP requests to.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allowed: Arc<Vec<String>>,
}

impl OutboundPolicy {
    /// Nothing allowed: what jobs get.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// These hosts (`example.com`) or authorities (`127.0.0.1:8080`), nothing else.
    pub fn allow(hosts: &[String]) -> Self {
        Self { allowed: Arc::new(hosts.iter().map(|h| h.to_ascii_lowercase()).collect()) }
    }

    fn allows(&self, uri: &http::Uri) -> bool {
        let Some(authority) = uri.authority() else { return false };
        let host = authority.host().to_ascii_lowercase();
        let full = authority.as_str().to_ascii_lowercase();
        self.allowed.iter().any(|a| *a == host || *a == full)
    }
}

type Sent = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Sent {
        drop(fut);
        if !self.allows(request.uri()) {
            tracing::info!(uri = %request.uri(), "outbound request denied");
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_authorities() {
        let policy = OutboundPolicy::allow(&["Example.com".into(), "127.0.0.1:8080".into()]);
        let ok = |u: &str| policy.allows(&u.parse().expect("uri"));
        assert!(ok("https://example.com/x"));
        assert!(ok("http://example.com:9000/x"));
        assert!(ok("http://127.0.0.1:8080/"));
        assert!(!ok("http://127.0.0.1:8081/"));
        assert!(!ok("http://evil.com/"));
        assert!(!OutboundPolicy::deny_all().allows(&"http://example.com/".parse().expect("uri")));
    }
}
