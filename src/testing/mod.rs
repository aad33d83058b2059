//! Testing kit (being written).

/// What a genuine sender would send: headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl SignedRequest {
    /// A request from its headers and body.
    #[must_use]
    pub fn new(headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Self { headers, body }
    }

    /// The headers, in the order a sender would send them.
    #[must_use]
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The raw body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The first value of header `name` (any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
