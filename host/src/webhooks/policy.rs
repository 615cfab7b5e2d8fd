//! Which webhook URLs are accepted: `http` and `https` only, hosts from an allow-list if
//! one is set, never from the deny-list.

/// Longest webhook secret.
pub const MAX_SECRET_BYTES: usize = 256;
/// Longest webhook URL.
const MAX_URL_BYTES: usize = 2048;

/// A refused webhook.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    Invalid(String),
    #[error("webhook store unavailable: {0}")]
    Unavailable(String),
}

/// Host lists for webhook URLs (lower-case host names or IP literals).
#[derive(Debug, Clone, Default)]
pub struct UrlPolicy {
    /// If not empty, only these hosts.
    pub allow_hosts: Vec<String>,
    /// Never these hosts.
    pub deny_hosts: Vec<String>,
}

impl UrlPolicy {
    /// Checks one URL.
    ///
    /// # Errors
    /// [`WebhookError::Invalid`] saying why it is refused.
    pub fn check(&self, raw: &str) -> Result<(), WebhookError> {
        let invalid = |m: String| Err(WebhookError::Invalid(m));
        if raw.len() > MAX_URL_BYTES {
            return invalid(format!("webhook.url is longer than {MAX_URL_BYTES} bytes"));
        }
        let url = match url::Url::parse(raw) {
            Ok(url) => url,
            Err(e) => return invalid(format!("webhook.url is not a URL: {e}")),
        };
        if !matches!(url.scheme(), "http" | "https") {
            return invalid(format!("webhook.url must be http or https, not {}", url.scheme()));
        }
        let Some(host) = url.host_str().map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase()) else {
            return invalid("webhook.url has no host".into());
        };
        if !url.username().is_empty() || url.password().is_some() {
            return invalid("webhook.url must not carry credentials; use the secret".into());
        }
        if self.deny_hosts.contains(&host) {
            return invalid(format!("webhooks to {host} are not allowed here"));
        }
        if !self.allow_hosts.is_empty() && !self.allow_hosts.contains(&host) {
            return invalid(format!("webhooks to {host} are not allowed here (not in the allow-list)"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_hosts_and_lists() {
        let open = UrlPolicy::default();
        assert!(open.check("https://example.com/hook").is_ok());
        assert!(open.check("http://127.0.0.1:9000/x").is_ok());
        for bad in ["ftp://example.com/", "not a url", "file:///etc/passwd", "https://user:pw@example.com/"] {
            assert!(open.check(bad).is_err(), "{bad}");
        }
        let deny = UrlPolicy { deny_hosts: vec!["169.254.169.254".into(), "localhost".into()], ..Default::default() };
        assert!(deny.check("http://169.254.169.254/latest").is_err());
        assert!(deny.check("http://LOCALHOST:80/").is_err());
        assert!(deny.check("https://example.com/").is_ok());
        let allow = UrlPolicy { allow_hosts: vec!["hooks.example.com".into()], ..Default::default() };
        assert!(allow.check("https://hooks.example.com/a").is_ok());
        assert!(allow.check("https://evil.example.com/a").is_err());
    }
}
