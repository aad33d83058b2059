//! receeve's catalogue of message types: [`MessageType`] (a kind and its version suffix) and
//! [`MessageKind`], each catalogued type with its group.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::json::wire_enum;

/// A receeve `messageType`: a catalogued [`MessageKind`] (or an unknown one) and the version
/// suffix (`.v1`) when the wire string has one. Round-trips the wire string exactly.
///
/// ```
/// use webhook_receiver::providers::receeve::{MessageKind, MessageType};
/// let t = MessageType::from_wire("event.claim.created.v1");
/// assert_eq!(t.kind(), &MessageKind::ClaimCreated);
/// assert_eq!(t.version(), Some(1));
/// assert_eq!(t.to_string(), "event.claim.created.v1");
/// assert_eq!(MessageType::from_wire("event.claim.created").version(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageType {
    kind: MessageKind,
    version: Option<u32>,
}

/// The empty type, which the `details` reader replaces with the one sent.
impl Default for MessageType {
    fn default() -> Self {
        Self {
            kind: MessageKind::Other(String::new()),
            version: None,
        }
    }
}

impl MessageType {
    /// Replaces an empty (default) type with `read`; `true` when it was not empty, i.e. the
    /// object named its type twice.
    pub(super) fn set_once(&mut self, read: MessageType) -> bool {
        let was_set = *self != MessageType::default();
        *self = read;
        was_set
    }

    /// Reads a wire string.
    #[must_use]
    pub fn from_wire(wire: &str) -> Self {
        if let Some((base, version)) = split_version(wire) {
            return Self {
                kind: MessageKind::from_wire(base),
                version: Some(version),
            };
        }
        Self {
            kind: MessageKind::from_wire(wire),
            version: None,
        }
    }

    /// A message type from its parts.
    #[must_use]
    pub fn new(kind: MessageKind, version: Option<u32>) -> Self {
        Self { kind, version }
    }

    /// What happened.
    #[must_use]
    pub fn kind(&self) -> &MessageKind {
        &self.kind
    }

    /// The schema version, where the wire string ends in `.v<N>`.
    #[must_use]
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// The exact wire string.
    #[must_use]
    pub fn to_wire(&self) -> Cow<'_, str> {
        match self.version {
            None => Cow::Borrowed(self.kind.as_str()),
            Some(v) => Cow::Owned(format!("{}.v{v}", self.kind.as_str())),
        }
    }
}

/// `name.v<N>` with a canonical decimal `N` (no leading zeros, fits `u32`): otherwise the
/// suffix is part of the name, so that every string round-trips.
fn split_version(wire: &str) -> Option<(&str, u32)> {
    // The trailing digits, then `.v` before them: what splitting at the last `.v` gives where
    // the rest is digits, without a substring search for every message.
    let count = wire.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (head, digits) = wire.split_at_checked(wire.len() - count)?;
    let base = head.strip_suffix(".v")?;
    // `digits` holds ASCII digits only; canonical is at least one, and no leading zero.
    let canonical = !digits.is_empty() && (digits == "0" || !digits.starts_with('0'));
    if !canonical {
        return None;
    }
    Some((base, digits.parse().ok()?))
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if let Some(v) = self.version {
            write!(f, ".v{v}")?;
        }
        Ok(())
    }
}

impl Serialize for MessageType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for MessageType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = MessageType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a receeve messageType string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MessageType, E> {
                Ok(MessageType::from_wire(v))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// Defines [`MessageKind`] (through `wire_enum!`) and its `group()` from one list of groups,
/// so that the catalogue is written once.
macro_rules! catalogue {
    ($( $group:literal { $( $(#[$meta:meta])* $variant:ident = $wire:literal, )+ } )+) => {
        wire_enum! {
            /// What a receeve message reports: the 76 catalogued message types (without their
            /// version suffix), and any other kept as sent.
            pub enum MessageKind {
                $($( $(#[$meta])* $variant = $wire, )+)+
            }
        }

        impl MessageKind {
            /// The catalogue group (`Account`, `Claim`, `CommunicationEmail`, ...), for known
            /// kinds.
            #[must_use]
            pub fn group(&self) -> Option<&'static str> {
                match self {
                    $( $(MessageKind::$variant)|+ => Some($group), )+
                    MessageKind::Other(_) => None,
                }
            }
        }
    };
}

catalogue! {
    "Account" {
        /// Account total amount and fees were updated.
        AccountAmountTotalFeesUpdated = "event.accountAmountTotalFees.updated",
        /// Account debtor information was updated.
        AccountDebtorUpdated = "event.accountDebtor.updated",
        /// Error occurred while updating debtor details.
        AccountDebtorUpdateFailed = "event.accountDebtorUpdate.failed",
        /// Error updating ledger entry due dates.
        AccountInvoiceLedgerEntriesDueDateUpdateFailed = "event.accountInvoiceLedgerEntriesDueDateUpdate.failed",
        /// New ledger entries were added to account.
        AccountLedgerEntriesAdded = "event.accountLedgerEntries.added",
        /// Error occurred adding ledger entries.
        AccountLedgerEntriesAddingFailed = "event.accountLedgerEntriesAdding.failed",
        /// Account metadata fields were updated.
        AccountMetaSet = "event.accountMeta.set",
        /// Error occurred updating account metadata.
        AccountMetaSetFailed = "event.accountMetaSet.failed",
        /// Change detected in account meta field.
        WebhookAccountMetaChanged = "webhook.accountMeta.changed",
    }
    "Claim" {
        /// Claim was created.
        ClaimCreated = "event.claim.created",
        /// Claim was resolved.
        ClaimResolved = "event.claim.resolved",
        /// Payment accepted and being processed.
        ClaimDebtPaymentProcessing = "event.claimDebtPayment.processing",
        /// Payment provider confirmed settlement.
        ClaimDebtPaymentSettled = "event.claimDebtPayment.settled",
        /// Multiple claims settled via single payment.
        MultiClaimDebtPaymentSettled = "event.multiClaimDebtPayment.settled",
        /// Multiple claims payment processing.
        MultiClaimDebtPaymentProcessing = "event.multiClaimDebtPayment.processing",
        /// Multiple claims payment canceled.
        MultiClaimDebtPaymentCanceled = "event.multiClaimDebtPayment.canceled",
        /// Multiple claims payment declined.
        MultiClaimDebtPaymentDeclined = "event.multiClaimDebtPayment.declined",
        /// Multiple claims payment disputed.
        MultiClaimDebtPaymentDisputed = "event.multiClaimDebtPayment.disputed",
        /// Claim metadata was updated.
        ClaimMetaUpdated = "event.claimMeta.updated",
        /// Custom trigger executed via ClientAPI.
        CustomClaimTriggerExecuted = "event.customClaimTrigger.executed",
        /// External system status changed.
        PartnerClaimExternalStatusChanged = "event.partnerClaimExternalStatus.changed",
        /// Claim amount was updated.
        ClaimTotalAmountUpdated = "event.claimTotalAmount.updated",
    }
    "CommunicationEmail" {
        /// Email received in debtor inbox.
        DebtorEmailDelivered = "event.debtorEmail.delivered",
        /// Debtor opened email.
        DebtorEmailOpened = "event.debtorEmail.opened",
        /// Email queued with provider.
        DebtorEmailQueued = "event.debtorEmail.queued",
        /// Email resolution received.
        DebtorEmailCommunicationResolutionReceived = "event.debtorEmailCommunicationResolution.received",
        /// Email delivery failed.
        DebtorEmailDeliveryFailed = "event.debtorEmailDelivery.failed",
        /// Email delivery interrupted by provider error.
        DebtorEmailDeliveryInterrupted = "event.debtorEmailDelivery.interrupted",
        /// Email processing failed (template issues).
        DebtorEmailProcessingFailed = "event.debtorEmailProcessing.failed",
        /// Debtor clicked unsubscribe link.
        DebtorEmailUnsubscribeRequested = "event.debtorEmailUnsubscribe.requested",
    }
    "CommunicationSMS" {
        /// SMS delivered to debtor.
        DebtorSMSDelivered = "event.debtorSMS.delivered",
        /// SMS queued with provider.
        DebtorSMSQueued = "event.debtorSMS.queued",
        /// SMS resolution received.
        DebtorSMSCommunicationResolutionReceived = "event.debtorSMSCommunicationResolution.received",
        /// SMS delivery failed.
        DebtorSMSDeliveryFailed = "event.debtorSMSDelivery.failed",
        /// SMS temporary delivery failure.
        DebtorSMSDeliveryTemporaryFailed = "event.debtorSMSDelivery.temporaryFailed",
        /// SMS processing failed (template issues).
        DebtorSMSProcessingFailed = "event.debtorSMSProcessing.failed",
    }
    "CommunicationLetter" {
        /// Letter generated successfully.
        DebtorLetterGenerated = "event.debtorLetter.generated",
        /// Letter processing failed.
        DebtorLetterProcessingFailed = "event.debtorLetterProcessing.failed",
    }
    "CommunicationCall" {
        /// Debtor answered inbound call.
        InboundCallAnswered = "event.inboundCall.answered",
        /// Debtor finished inbound call.
        InboundCallFinished = "event.inboundCall.finished",
        /// Debtor answered outbound call.
        OutboundCallAnswered = "event.outboundCall.answered",
        /// Debtor finished outbound call.
        OutboundCallFinished = "event.outboundCall.finished",
        /// Call resolution received.
        DebtorCallCommunicationResolutionReceived = "event.debtorCallCommunicationResolution.received",
        /// Message resolution received.
        DebtorMessageCommunicationResolutionReceived = "event.debtorMessageCommunicationResolution.received",
    }
    "FinancePromiseToPay" {
        /// Promise to pay created.
        PromiseToPayCreated = "event.promiseToPay.created",
        /// Promise to pay not paid by due date.
        PromiseToPayExpired = "event.promiseToPay.expired",
        /// Promise to pay no longer needed.
        PromiseToPayInvalidated = "event.promiseToPay.invalidated",
        /// Promise to pay successfully paid.
        PromiseToPayResolved = "event.promiseToPay.resolved",
    }
    "FinanceInstalmentPlan" {
        /// Instalment plan created.
        InstalmentPlanCreated = "event.instalmentPlan.created",
        /// Plan cancelled by agent/system.
        InstalmentPlanCancelled = "event.instalmentPlan.cancelled",
        /// Plan deleted from system.
        InstalmentPlanDeleted = "event.instalmentPlan.deleted",
        /// Plan processing suspended.
        InstalmentPlanDisabled = "event.instalmentPlan.disabled",
        /// Plan active and ready.
        InstalmentPlanEnabled = "event.instalmentPlan.enabled",
        /// Agreed amount not fully covered.
        InstalmentPlanInvalidated = "event.instalmentPlan.invalidated",
        /// Plan completed successfully.
        InstalmentPlanResolved = "event.instalmentPlan.resolved",
        /// Plan updated (payment/chargeback received).
        InstalmentPlanUpdated = "event.instalmentPlan.updated",
    }
    "LandingPage" {
        /// Landing page generated without errors.
        LandingPageFullContentGenerated = "event.landingPageFullContent.generated",
        /// Verification failed.
        LandingPageGetVerificationFieldsFailed = "event.landingPageGetVerificationFields.failed",
        /// Debtor confirmed instalment plan.
        LandingPageInstalmentConfirmed = "event.landingPageInstalment.confirmed",
        /// Debtor selected instalment option.
        LandingPageInstalmentSelected = "event.landingPageInstalment.selected",
        /// Language preference changed.
        LandingPageLanguageChanged = "event.landingPageLanguage.changed",
        /// Debtor closed after selecting pay later.
        LandingPagePayLaterCanceled = "event.landingPagePayLater.canceled",
        /// Debtor selected pay later option.
        LandingPagePayLaterSelected = "event.landingPagePayLater.selected",
        /// Payment failed (no processing triggered).
        LandingPagePaymentFailed = "event.landingPagePayment.failed",
        /// Debtor closed during payment.
        LandingPagePaymentInterrupted = "event.landingPagePayment.interrupted",
        /// Payment completed successfully.
        LandingPagePaymentSucceeded = "event.landingPagePayment.succeeded",
        /// Payment provider initialization failed.
        LandingPagePaymentInitFailed = "event.landingPagePaymentInit.failed",
        /// Payment provider initialized.
        LandingPagePaymentInitSucceeded = "event.landingPagePaymentInit.succeeded",
        /// Landing page verification passed.
        LandingPageVerificationSucceeded = "event.landingPageVerification.succeeded",
    }
    "BackofficeDiary" {
        /// Agent/user added note to claim.
        NoteCreated = "event.note.created",
        /// Agent/user removed note from claim.
        NoteDeleted = "event.note.deleted",
    }
    "Strategy" {
        /// Default strategy assigned to claim.
        StrategyAssigned = "event.strategy.assigned",
        /// Claim ran out of strategy steps.
        StrategyFinished = "event.strategy.finished",
        /// Strategy paused (resumable).
        StrategyPaused = "event.strategy.paused",
        /// Strategy resumed after pause.
        StrategyResumed = "event.strategy.resumed",
        /// Strategy stopped (non-resumable).
        StrategyStopped = "event.strategy.stopped",
    }
}
