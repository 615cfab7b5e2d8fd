use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// Captured bytes of a stream (stdout or stderr), binary-safe.
///
/// Exactly one of `text` (when the bytes are UTF-8) and `base64` (otherwise) is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Output {
    /// The bytes as text, when they are valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The bytes in standard base64, when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    /// True when the job wrote more than the output limit and the rest was dropped.
    #[serde(default)]
    pub truncated: bool,
}

impl Output {
    /// Encodes `bytes`. When `truncated`, an incomplete UTF-8 sequence cut at the very end
    /// is dropped so that text stays text.
    pub fn from_bytes(bytes: &[u8], truncated: bool) -> Self {
        let bytes = if truncated { trim_cut_utf8(bytes) } else { bytes };
        match std::str::from_utf8(bytes) {
            Ok(text) => Self { text: Some(text.to_owned()), base64: None, truncated },
            Err(_) => Self { text: None, base64: Some(STANDARD.encode(bytes)), truncated },
        }
    }

    /// The bytes back, whichever way they were encoded. `None` if `base64` is malformed.
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        match (&self.text, &self.base64) {
            (Some(text), _) => Some(text.as_bytes().to_vec()),
            (None, Some(b64)) => STANDARD.decode(b64).ok(),
            (None, None) => Some(Vec::new()),
        }
    }

    /// The text, or a lossy rendering of binary output for display.
    pub fn to_text_lossy(&self) -> String {
        match &self.text {
            Some(text) => text.clone(),
            None => String::from_utf8_lossy(&self.to_bytes().unwrap_or_default()).into_owned(),
        }
    }
}

fn trim_cut_utf8(bytes: &[u8]) -> &[u8] {
    match std::str::from_utf8(bytes) {
        Err(e) if e.error_len().is_none() => &bytes[..e.valid_up_to()],
        _ => bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_text_and_binary_is_base64() {
        assert_eq!(Output::from_bytes(b"hi\n", false).text.as_deref(), Some("hi\n"));
        let bin = Output::from_bytes(&[0xff, 0x00, 0x80], false);
        assert_eq!(bin.text, None);
        assert_eq!(bin.base64.as_deref(), Some("/wCA"));
        assert_eq!(bin.to_bytes(), Some(vec![0xff, 0x00, 0x80]));
    }

    #[test]
    fn a_truncated_multibyte_char_is_dropped_not_base64() {
        let cut = &"añ".as_bytes()[..2]; // 'a' and half of 'ñ'
        let out = Output::from_bytes(cut, true);
        assert_eq!(out.text.as_deref(), Some("a"));
        assert!(out.truncated);
        // Untruncated, the same bytes are not text.
        assert!(Output::from_bytes(cut, false).base64.is_some());
    }
}
