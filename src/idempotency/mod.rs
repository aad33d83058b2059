//! Process each event once (written by the idempotency work).
