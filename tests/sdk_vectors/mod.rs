//! Reading `sdk-vectors/<sender>.json`: deliveries signed and checked by each sender's own SDK,
//! with the SDK's verdict.
//!
//! The files are read at run time from the directory named by `WEBHOOK_RECEIVER_SDK_VECTORS`,
//! or from the committed `sdk-vectors/` when it is unset: `.ci/run` regenerates every file with
//! the pinned SDKs into a scratch directory and runs the sender tests against that one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code,
    unreachable_pub
)]

use std::sync::Arc;

use serde::Deserialize;
use webhook_receiver::clock::{Clock, ManualClock};

/// One file.
#[derive(Debug, Deserialize)]
pub struct Vectors {
    pub sender: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub shared_key_secret: Option<String>,
    /// The public key of the public-key senders (Discord hex, SendGrid base64 DER).
    #[serde(default)]
    pub public_key: Option<String>,
    /// The seed the generator derived Discord's key pair from.
    #[serde(default)]
    pub private_key_seed_hex: Option<String>,
    pub cases: Vec<Case>,
}

/// One delivery and the SDK's verdict.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub notification_url: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub now: i64,
    pub sdk_accepts: bool,
    #[serde(default)]
    pub sdk_specific: bool,
}

impl Case {
    /// The clock of the case: frozen at its `now`.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(ManualClock::at_unix(self.now))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn load(text: &str) -> Vectors {
    serde_json::from_str(text).expect("an sdk-vectors file")
}

/// The environment variable naming the directory the `<sender>.json` files are read from.
pub const DIR_VAR: &str = "WEBHOOK_RECEIVER_SDK_VECTORS";

/// The directory the vectors are read from: `$WEBHOOK_RECEIVER_SDK_VECTORS`, or the committed
/// `sdk-vectors/`.
pub fn dir() -> std::path::PathBuf {
    match std::env::var_os(DIR_VAR) {
        Some(dir) if !dir.is_empty() => std::path::PathBuf::from(dir),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk-vectors"),
    }
}

/// The vectors of `sender` (`"stripe"`, ...): `<dir()>/<sender>.json`, whose `sender` field
/// must name it.
pub fn sender(sender: &str) -> Vectors {
    let path = dir().join(format!("{sender}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {} ({DIR_VAR}): {e}", path.display()));
    let vectors = load(&text);
    assert_eq!(vectors.sender, sender, "{}", path.display());
    vectors
}

/// The case of `sender` named `name`; panics, naming both, when there is none.
pub fn case(sender: &str, name: &str) -> Case {
    self::sender(sender)
        .cases
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{sender}: no case named {name}"))
}

/// Checks every case: the crate's verdict (`verdict(case)`) equals the SDK's, except for the
/// cases listed in `documented` (name, the crate's documented verdict), which must be
/// `sdk_specific` and get the documented verdict. Returns how many cases were checked.
pub fn check_all(
    vectors: &Vectors,
    documented: &[(&str, bool)],
    mut verdict: impl FnMut(&Case) -> Result<(), String>,
) -> usize {
    let mut failures = Vec::new();
    for case in &vectors.cases {
        let result = verdict(case);
        let expected = match documented.iter().find(|(name, _)| *name == case.name) {
            Some((_, ours)) => {
                assert!(
                    case.sdk_specific,
                    "{}: a documented divergence must be sdk_specific",
                    case.name
                );
                *ours
            }
            None => case.sdk_accepts,
        };
        if result.is_ok() != expected {
            failures.push(format!(
                "{}: expected {}, got {:?}",
                case.name,
                if expected { "accept" } else { "reject" },
                result
            ));
        }
    }
    for (name, _) in documented {
        assert!(
            vectors.cases.iter().any(|c| c.name == *name),
            "no case named {name}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    vectors.cases.len()
}
