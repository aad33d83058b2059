//! Palenca: gig-economy login and account events.
//!
//! Palenca names the event in `webhook_action` and has sent three body shapes over time; all
//! three parse into one [`Event`]:
//!
//! 1. flat: `{"user_id", "account_id", "country", "platform", "webhook_action"}`;
//! 2. an envelope `{"webhook_url", "data": {...the same fields...}}`;
//! 3. the current envelope, whose `data` adds `webhook_id`, `external_id` and
//!    `status_details`.
//!
//! **Authentication.** A Palenca webhook created with `sign_request: true` carries a private
//! key, but Palenca does not publish the header, algorithm or encoding of the signature. So
//! this crate does not pretend to know them: you name the header and encoding of an
//! [`HmacScheme`] (HMAC-SHA256 of the raw body), or use a [`TokenScheme`] with a header of your
//! choosing.
//!
//! **Message id.** `data.webhook_id` when present; otherwise the SHA-256 of the body, which
//! Palenca's retries (up to three more attempts when no 200/201 came within 30 s) repeat
//! byte for byte.
//!
//! ```
//! use webhook_receiver::{Secret, verify::{HmacScheme, SignatureEncoding}};
//! use webhook_receiver::providers::palenca::{Palenca, WebhookAction};
//!
//! // The header name is yours to agree with Palenca's setup; this one is an example.
//! let scheme = HmacScheme::new("x-my-palenca-signature", Secret::new("private-key").unwrap())
//!     .unwrap()
//!     .encoding(SignatureEncoding::Hex);
//! let palenca = Palenca::new(scheme);
//!
//! let body = br#"{"user_id":"f2a6d844-22ee-455d-9d2c-deb413d78b74","account_id":null,
//!   "country":"mx","platform":"uber","webhook_action":"account.created"}"#;
//! let (header, value) = palenca.authentication().sign(body);
//! let delivery = palenca.verify_and_parse(&[(header, value)], body).unwrap();
//! assert_eq!(delivery.event.action, WebhookAction::AccountCreated);
//! # use webhook_receiver::Provider;
//! ```
//!
//! [`HmacScheme`]: crate::verify::HmacScheme
//! [`TokenScheme`]: crate::verify::TokenScheme

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::json::lenient;
use crate::json::wire_enum;
use crate::verify::Authentication;
use crate::{DEFAULT_BODY_LIMIT, Delivery, Error, Headers, MessageId, Provider, Verified};

/// The namespace of Palenca message ids.
pub const NAME: &str = "palenca";

/// Receives Palenca webhooks. Build once at start-up; clone freely.
#[derive(Debug, Clone)]
pub struct Palenca {
    auth: Authentication,
    body_limit: usize,
}

impl Palenca {
    /// A receiver authenticating deliveries with `auth`: an
    /// [`HmacScheme`](crate::verify::HmacScheme) or a [`TokenScheme`](crate::verify::TokenScheme).
    #[must_use]
    pub fn new(auth: impl Into<Authentication>) -> Self {
        Self {
            auth: auth.into(),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Sets the largest accepted body in bytes (default 1 MiB).
    #[must_use]
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// How deliveries are authenticated.
    #[must_use]
    pub fn authentication(&self) -> &Authentication {
        &self.auth
    }
}

impl Provider for Palenca {
    type Event = Event;

    fn name(&self) -> &'static str {
        NAME
    }

    fn body_limit(&self) -> usize {
        self.body_limit
    }

    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        self.auth.verify(headers, body)
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event>, Error> {
        let event = parse_event(verified.payload())?;
        let id = match event.webhook_id {
            Some(webhook_id) => MessageId::new(
                NAME,
                webhook_id
                    .hyphenated()
                    .encode_lower(&mut Uuid::encode_buffer()),
            ),
            None => MessageId::digest(NAME, verified.payload()),
        };
        Ok(Delivery::new(id, event, None))
    }
}

/// Parses a Palenca body of any of the three shapes.
///
/// # Errors
/// [`Error::MalformedPayload`] for invalid JSON, [`Error::UnexpectedPayload`] when neither the
/// body nor its `data` carries `webhook_action` and `user_id`.
pub(crate) fn parse_event(bytes: &[u8]) -> Result<Event, Error> {
    let mut wire: Wire = crate::json::parse_json_object(bytes)?;
    let webhook_url = wire.webhook_url.take();
    let fields = match wire.data.take() {
        Some(data) => *data,
        None => wire,
    };
    let missing = |field: &'static str| {
        Error::UnexpectedPayload(crate::error::JsonError::missing_field(field))
    };
    Ok(Event {
        action: fields
            .webhook_action
            .ok_or_else(|| missing("webhook_action"))?,
        user_id: fields.user_id.ok_or_else(|| missing("user_id"))?,
        account_id: fields.account_id,
        country: fields.country,
        platform: fields.platform,
        external_id: fields.external_id,
        status_details: fields.status_details,
        webhook_id: fields.webhook_id,
        webhook_url,
    })
}

/// One Palenca notification, whichever shape it arrived in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// What happened (`webhook_action`).
    #[serde(rename = "webhook_action")]
    pub action: WebhookAction,
    /// The Palenca user.
    pub user_id: Uuid,
    /// The connected account, where there is one.
    pub account_id: Option<Uuid>,
    /// The account's country code (`mx`, `co`, ...).
    pub country: Option<String>,
    /// The platform (`uber`, `imss`, ...).
    pub platform: Option<String>,
    /// Your own id for the user, given to the widget; Palenca sends the text `"None"` when
    /// there is none, which reads as `None` here.
    pub external_id: Option<String>,
    /// Why a login is in its state (`pending_for_data`, `invalid_credentials`, ...).
    pub status_details: Option<StatusDetails>,
    /// The delivery id, in the current envelope.
    pub webhook_id: Option<Uuid>,
    /// The URL Palenca posted to, in the envelope shapes.
    pub webhook_url: Option<String>,
}

impl Event {
    /// Whether this is the event after which Palenca's data may be fetched: Palenca's docs say
    /// only `login.success` should trigger a request to its API.
    #[must_use]
    pub fn should_fetch_data(&self) -> bool {
        self.action == WebhookAction::LoginSuccess
    }
}

/// All three shapes in one pass: the flat shape's fields at the top level, or the envelope's
/// `webhook_url` and `data` (the same fields one level down). One recursive struct instead of
/// `#[serde(flatten)]`, which would buffer the whole object before reading it.
#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    webhook_url: Option<String>,
    #[serde(default, deserialize_with = "crate::json::object::opt")]
    data: Option<Box<Wire>>,
    #[serde(default)]
    webhook_action: Option<WebhookAction>,
    #[serde(default)]
    user_id: Option<Uuid>,
    #[serde(default)]
    account_id: Option<Uuid>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    country: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    platform: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    external_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_wire")]
    status_details: Option<StatusDetails>,
    #[serde(default)]
    webhook_id: Option<Uuid>,
}

wire_enum! {
    /// The `webhook_action` of a Palenca event: the 18 values of Palenca's OpenAPI, and any
    /// other kept as sent. Current docs say new integrations receive only the four `login.*`
    /// events `created`, `success`, `error` and `incomplete`.
    pub enum WebhookAction {
        UserCreated = "user.created",
        UserDeleted = "user.deleted",
        AccountCreated = "account.created",
        AccountConnected = "account.connected",
        AccountRequiresAuth = "account.requires_auth",
        AccountNeedsAuth = "account.needs_auth",
        ProfileUpdated = "profile.updated",
        EmploymentCreated = "employment.created",
        EmploymentUpdated = "employment.updated",
        EarningsUpdated = "earnings.updated",
        EventsUpdated = "events.updated",
        CleanSaveFinished = "clean_save.finished",
        LoginCreated = "login.created",
        LoginSuccess = "login.success",
        LoginError = "login.error",
        LoginIncomplete = "login.incomplete",
        LoginRetry = "login.retry",
        LoginFailedRefresh = "login.failed_refresh",
    }
}

wire_enum! {
    /// Palenca's `status_details` reason codes (the documented list), and any other kept as
    /// sent.
    pub enum StatusDetails {
        BadRequest = "bad_request",
        Banned = "banned",
        InvalidCredentials = "invalid_credentials",
        TooManyRequests = "too_many_requests",
        ServiceUnavailable = "service_unavailable",
        RequestTimeout = "request_timeout",
        AccessForbidden = "access_forbidden",
        PlatformError = "platform_error",
        InvalidOtp = "invalid_otp",
        ExpiredOtp = "expired_otp",
        InvalidNss = "invalid_nss",
        InvalidPhone = "invalid_phone",
        InvalidEmail = "invalid_email",
        LambdaError = "lambda_error",
        PhoneOrCodeMissing = "phone_or_code_missing",
        PasswordMissing = "password_missing",
        NotRegistered = "not_registered",
        LoginRefused = "login_refused",
        Unknown = "unknown",
        InvalidOtpSession = "invalid_otp_session",
        InvalidOtpAuthKey = "invalid_otp_auth_key",
        NeedsAuth = "needs_auth",
        RequiresAuth = "requires_auth",
        CurpNotFound = "curp_not_found",
        CouldNotSendOtp = "could_not_send_otp",
        ProfileUnavailable = "profile_unavailable",
        NoEmploymentRecords = "no_employment_records",
        AccountSetupIncomplete = "account_setup_incomplete",
        IdentityVerificationFailed = "identity_verification_failed",
        GovIdNotInDataSource = "gov_id_not_in_data_source",
        GovIdHasInconsistencies = "gov_id_has_inconsistencies",
        MfaDeactivationRequired = "mfa_deactivation_required",
        AccessTokenNotGenerated = "access_token_not_generated",
        TwoFactorAuthRequired = "two_factor_auth_required",
        CaptchaBypassError = "captcha_bypass_error",
        InvalidIdentifier = "invalid_identifier",
        AccountBlocked = "account_blocked",
        ProxyError = "proxy_error",
        InvalidCaptcha = "invalid_captcha",
        InvalidGovId = "invalid_gov_id",
        DeviceAuthorizationRequired = "device_authorization_required",
        MaxRetriesExceeded = "max_retries_exceeded",
        TaskCreateFail = "task_create_fail",
        InvalidCpf = "invalid_cpf",
        InvalidInAuthSessionId = "invalid_in_auth_session_id",
        UnableToGetUberMetrics = "unable_to_get_uber_metrics",
        EmailOtpValidationPending = "email_otp_validation_pending",
        LoginNotAvailable = "login_not_available",
        InvalidPassword = "invalid_password",
        UnknownLoginType = "unknown_login_type",
        EmailNotValidated = "email_not_validated",
        AlreadyConnected = "already_connected",
        MissingSocialSecurityNumber = "missing_social_security_number",
        SocialSecurityNumberMismatch = "social_security_number_mismatch",
        ZeroQuotedWeeks = "zero_quoted_weeks",
        ProxyMaxRetriesExceeded = "proxy_max_retries_exceeded",
        CurpNotFoundInRenapo = "curp_not_found_in_renapo",
        NssNotFoundInImss = "nss_not_found_in_imss",
        RenapoUnavailable = "renapo_unavailable",
        ServiceDegradation = "service_degradation",
        ServerError = "server_error",
        DbConstraintViolation = "db_constraint_violation",
        ApiForbidden = "api_forbidden",
        AuthTokenExpired = "auth_token_expired",
        NetworkMaxRetriesExceeded = "network_max_retries_exceeded",
        ApiServiceUnavailable02 = "api_service_unavailable_02",
        ApiServiceUnavailable08 = "api_service_unavailable_08",
        LambdaTimeout = "lambda_timeout",
        ApiServiceUnavailable = "api_service_unavailable",
        AuthMaxAttemptsExceeded = "auth_max_attempts_exceeded",
        BrowserNavigationTimeout = "browser_navigation_timeout",
        RenderInvalidHtml = "render_invalid_html",
        BrowserConnectionTimeout = "browser_connection_timeout",
        ParserInvalidPdf = "parser_invalid_pdf",
        AwsS3UploadFail = "aws_s3_upload_fail",
        NetworkConnectivityIssues = "network_connectivity_issues",
        AuthInvalidToken = "auth_invalid_token",
        ServerNotFound = "server_not_found",
        ApiServerError = "api_server_error",
        NetworkSslError = "network_ssl_error",
        AuthForbidden = "auth_forbidden",
        ApiBadGateway = "api_bad_gateway",
        ApiServerTimeout = "api_server_timeout",
        SystemPlatformError = "system_platform_error",
        ApiRateLimitExceeded = "api_rate_limit_exceeded",
        ApiRenapoUnavailable = "api_renapo_unavailable",
        UserGovIdHasInconsistencies = "user_gov_id_has_inconsistencies",
        UserSsnMissing = "user_ssn_missing",
        UserCurpNotFoundInRenapo = "user_curp_not_found_in_renapo",
        RpciTimeout = "rpci_timeout",
        PendingDataExtraction = "pending_data_extraction",
        EmploymentInfoInImss = "employment_info_in_imss",
        PendingForData = "pending_for_data",
        ValidationPending = "validation_pending",
        PasswordValidationPending = "password_validation_pending",
        ValidationTimeExpired = "validation_time_expired",
        CurpHasInconsistencies = "curp_has_inconsistencies",
        CurpNotInPlatform = "curp_not_in_platform",
        PlatformUnavailable = "platform_unavailable",
        FailedRefresh = "failed_refresh",
        InvalidSchemaResponse = "invalid_schema_response",
        NotAvailableInPlatform = "not_available_in_platform",
        UserCurpNotInPlatform = "user_curp_not_in_platform",
        UserGovIdNotInDataSource = "user_gov_id_not_in_data_source",
        AccountNotFound = "account_not_found",
        ProfileNotFound = "profile_not_found",
        UnableToGetRappiMetrics = "unable_to_get_rappi_metrics",
        CaptchaRequired = "captcha_required",
        CaptchaDetected = "captcha_detected",
        DidiRateLimited = "didi_rate_limited",
        DeviceRisk = "device_risk",
        CellRateLimited = "cell_rate_limited",
        ResendLimit = "resend_limit",
        DidiRejected = "didi_rejected",
        IncompleteProfile = "incomplete_profile",
    }
}
