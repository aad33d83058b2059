//! What `axum_receiver` and `actix_receiver` share, apart from their framework: the senders
//! configured from the environment, the start-up (logging, `--print-curl <sender>`, exit code 2
//! on a missing or invalid variable) and the logging of what each delivery came to.

use std::fmt::Display;
use std::ops::ControlFlow;
use std::process::ExitCode;

use tracing::{error, info, warn};
use webhook_receiver::Delivery;
use webhook_receiver::Received;
use webhook_receiver::integrations::WebhookRejection;
use webhook_receiver::providers::munity::{self, Munity};
use webhook_receiver::providers::palenca::{self, Palenca};
use webhook_receiver::providers::receeve::{self, Receeve};
use webhook_receiver::testing::{self, SignedRequest};
use webhook_receiver::verify::{HmacScheme, SignatureEncoding, TokenScheme};
use webhook_receiver::{ConfigError, Secret};

/// The header names agreed with Palenca and Munity (neither publishes one).
const PALENCA_SIGNATURE_HEADER: &str = "x-palenca-signature";
const MUNITY_TOKEN_HEADER: &str = "x-munity-token";

/// Why a handler could not process an event: the sender gets a 500 and retries.
pub(crate) type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// Everything read from the environment at start-up.
pub(crate) struct Config {
    pub(crate) palenca: Palenca,
    pub(crate) receeve: Receeve,
    pub(crate) munity: Munity,
    pub(crate) port: u16,
}

/// Starts logging through `tracing` (filter from `RUST_LOG`, default `info`), reads the
/// configuration and handles `--print-curl <sender>` (a curl command that sends a signed
/// fixture) and `--print-body <sender>` (the signed fixture's body alone, for load scripts).
///
/// `Continue` carries the configuration to serve with. `Break` carries the exit code when
/// there is nothing to serve: success after printing, 2 (with a message prefixed by
/// `example`) when a variable is missing or invalid, or an argument is unknown.
pub(crate) fn start(example: &str, default_port: u16) -> ControlFlow<ExitCode, Config> {
    webhook_receiver_e2e::log_from_env();

    let fail = |message: String| {
        eprintln!("{example}: {message}");
        ControlFlow::Break(ExitCode::from(2))
    };
    let config = match Config::from_env(default_port) {
        Ok(config) => config,
        Err(message) => return fail(message),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let printed = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => return ControlFlow::Continue(config),
        ["--print-curl", sender] => signed_sample(&config, sender).map(|request| {
            println!("{}", curl_command(&config, sender, &request));
        }),
        ["--print-body", sender] => signed_sample(&config, sender).map(|request| {
            println!("{}", String::from_utf8_lossy(request.body()));
        }),
        _ => Err(format!(
            "unexpected arguments {args:?}; usage: {example} [--print-curl SENDER | \
             --print-body SENDER] (SENDER: palenca, receeve or munity)"
        )),
    };
    match printed {
        Ok(()) => ControlFlow::Break(ExitCode::SUCCESS),
        Err(message) => fail(message),
    }
}

impl Config {
    fn from_env(default_port: u16) -> Result<Self, String> {
        let palenca = env_secret("PALENCA_SECRET");
        let receeve = env_secret("RECEEVE_SECRET");
        let munity = env_secret("MUNITY_TOKEN");
        let (Ok(palenca), Ok(receeve), Ok(munity)) = (&palenca, &receeve, &munity) else {
            let missing: Vec<&str> = [palenca, receeve, munity]
                .into_iter()
                .filter_map(Result::err)
                .collect();
            return Err(format!(
                "missing secret{}: set {} (the secrets agreed with the senders; see the \
                 example's documentation)",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            ));
        };
        let port = webhook_receiver_e2e::env_or("PORT", default_port, "a port number")?;
        Ok(Self {
            palenca: Palenca::new(
                HmacScheme::new(PALENCA_SIGNATURE_HEADER, secret("PALENCA_SECRET", palenca)?)
                    .map_err(invalid("PALENCA_SECRET"))?
                    .encoding(SignatureEncoding::Hex)
                    .prefix("sha256="),
            ),
            receeve: Receeve::hmac(secret("RECEEVE_SECRET", receeve)?),
            munity: Munity::new(
                TokenScheme::new(MUNITY_TOKEN_HEADER, secret("MUNITY_TOKEN", munity)?)
                    .map_err(invalid("MUNITY_TOKEN"))?,
            ),
            port,
        })
    }
}

/// The variable's value, or its name when it is unset or blank.
fn env_secret(name: &'static str) -> Result<String, &'static str> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .ok_or(name)
}

fn secret(name: &'static str, value: &str) -> Result<Secret, String> {
    Secret::new(value).map_err(invalid(name))
}

fn invalid(name: &'static str) -> impl Fn(ConfigError) -> String {
    move |err| format!("{name}: {err}")
}

/// What a route answers: the receiver's outcome, or the extractor's refusal. Both frameworks
/// turn either into their response (axum `IntoResponse`, actix-web `Responder`).
pub(crate) type Answer = Result<Received<(), HandlerError>, WebhookRejection>;

/// The extractor's result, with a refusal logged on its way to becoming the answer (`?` in a
/// route turns it into the response). The answer itself never carries an error's text.
pub(crate) fn admitted<W>(webhook: Result<W, WebhookRejection>) -> Result<W, WebhookRejection> {
    webhook.inspect_err(|rejection| {
        if !cfg!(feature = "observe") {
            log_refused(rejection.status(), rejection);
        }
    })
}

/// What a delivery to `provider` came to, logged, as the answer.
///
/// With feature `observe` the crate logs each outcome itself (target `webhook_receiver`), so
/// only the handler's error, whose text the crate does not see, is logged here.
pub(crate) fn answered(provider: &str, received: Received<(), HandlerError>) -> Answer {
    if cfg!(feature = "observe") {
        if let Received::HandlerFailed { error, .. } = &received {
            error!(provider, %error, "handler failed; the sender will retry");
        }
    } else {
        log_received(provider, &received);
    }
    Ok(received)
}

/// The Palenca handler: logs the event (an application would act on it here).
pub(crate) async fn on_palenca(delivery: Delivery<palenca::Event>) -> Result<(), HandlerError> {
    let event = &delivery.event;
    info!(id = %delivery.id, action = %event.action, user = %event.user_id, "palenca event");
    Ok(())
}

/// The receeve handler.
pub(crate) async fn on_receeve(delivery: Delivery<receeve::Message>) -> Result<(), HandlerError> {
    let kind = delivery.event.details.message_type();
    info!(id = %delivery.id, message_type = %kind, "receeve message");
    Ok(())
}

/// The Munity handler.
pub(crate) async fn on_munity(delivery: Delivery<munity::Webhook>) -> Result<(), HandlerError> {
    let webhook = &delivery.event;
    info!(
        id = %delivery.id,
        event = webhook.event.name(),
        workspace = %webhook.workspace_id,
        "munity event"
    );
    Ok(())
}

/// Logs a request the extractor refused before it reached the receiver (`status` is what the
/// sender is answered).
pub(crate) fn log_refused(status: u16, rejection: &dyn Display) {
    warn!(status, error = %rejection, "request refused");
}

/// Logs what a delivery to `provider` came to, when it is worth a line: refusals and failures,
/// duplicates and deliveries another worker holds. Processed events are logged by the
/// handlers. Nothing here goes into the answer, which never carries an error's text.
pub(crate) fn log_received<T, E: Display>(provider: &str, received: &Received<T, E>) {
    match received {
        Received::Rejected(err) if err.is_authentication() => {
            warn!(provider, error = %err, "delivery failed authentication");
        }
        Received::Rejected(err) => warn!(provider, error = %err, "delivery rejected"),
        Received::Duplicate => info!(provider, "duplicate acknowledged"),
        Received::InProgress { retry_after } => {
            info!(provider, ?retry_after, "already in progress elsewhere");
        }
        Received::HandlerFailed { error, .. } => {
            error!(provider, %error, "handler failed; the sender will retry");
        }
        Received::StoreFailed(err) => {
            error!(provider, error = %err, "idempotency store failed");
        }
        _ => {}
    }
}

/// A fixture of the testing kit for `sender`, signed as the sender would sign it with the
/// configured secrets.
fn signed_sample(config: &Config, sender: &str) -> Result<SignedRequest, String> {
    match sender {
        "palenca" => Ok(testing::palenca::login_success().signed_with(&config.palenca)),
        "receeve" => Ok(testing::receeve::strategy_paused().signed_with(&config.receeve)),
        "munity" => Ok(testing::munity::webhook_test().signed_with(&config.munity)),
        other => Err(format!(
            "the sender is palenca, receeve or munity, not {other:?}"
        )),
    }
}

/// `--print-curl <sender>`: a curl command that sends `request` to this server's route for
/// `sender` on `PORT`.
fn curl_command(config: &Config, sender: &str, request: &SignedRequest) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\'', r"'\''"));
    let mut command = format!("curl -i http://127.0.0.1:{}/webhooks/{sender}", config.port);
    for (name, value) in request.headers() {
        command.push_str(&format!(" -H {}", quote(&format!("{name}: {value}"))));
    }
    // Single quotes keep the body byte for byte (HMACs cover every byte, newlines included).
    let body = String::from_utf8_lossy(request.body());
    command.push_str(&format!(" --data-binary {}", quote(&body)));
    command
}
