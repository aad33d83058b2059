use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool_postgres::tokio_postgres::{self, NoTls, Row};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use time::OffsetDateTime;

use super::{Claim, IdempotencyStore, Lease, StoreError};
use crate::{ConfigError, MessageId};

/// The longest table name accepted: 50 bytes, so that the index name derived from it
/// (`<table>_deadline`) stays within PostgreSQL's 63-byte identifiers.
const MAX_TABLE_NAME_LEN: usize = 50;

/// How many times a claim statement runs when a concurrent claim keeps changing the row
/// between its snapshot and its upsert (see [`PostgresStore`]).
const CLAIM_ATTEMPTS: usize = 5;

/// Durations are cut to this many seconds (10 000 years), so `now() + duration` stays a
/// valid `timestamptz`.
const MAX_SECONDS: u64 = 10_000 * 366 * 24 * 60 * 60;

/// How long [`PostgresStore::connect`]'s pool waits to open a connection (when the connection
/// string sets no `connect_timeout`) or for a free connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in [`PostgresStore::connect`]'s pool.
const POOL_SIZE: usize = 16;

/// Checks that `table` is a plain identifier: `[A-Za-z_][A-Za-z0-9_]*`, at most
/// [`MAX_TABLE_NAME_LEN`] bytes. Only such a name is ever put into SQL text (double-quoted,
/// so it is taken exactly as written, case included).
pub(crate) fn validate_table(table: &str) -> Result<(), ConfigError> {
    let mut chars = table.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if first_ok && rest_ok && table.len() <= MAX_TABLE_NAME_LEN {
        Ok(())
    } else {
        Err(ConfigError::new(format!(
            "invalid table name {table:?}: expected 1 to {MAX_TABLE_NAME_LEN} ASCII letters, \
             digits or underscores, not starting with a digit"
        )))
    }
}

/// The SQL text of every statement, built once from the validated table name.
struct Statements {
    table: String,
    create_table: String,
    create_index: String,
    claim: String,
    complete: String,
    release: String,
    purge: String,
}

impl Statements {
    fn new(table: &str) -> Self {
        // `table` was validated: plain identifier characters only, so quoting cannot be
        // escaped from.
        let t = format!("\"{table}\"");
        let index = format!("\"{table}_deadline\"");
        let micros = |column: &str| format!("floor(extract(epoch from {column}) * 1000000)::int8");
        Self {
            table: table.to_owned(),
            create_table: format!(
                "CREATE TABLE IF NOT EXISTS {t} (\
                 key text PRIMARY KEY, \
                 state text NOT NULL CHECK (state IN ('in_progress', 'completed')), \
                 token bytea NULL, \
                 deadline timestamptz NOT NULL, \
                 digest bytea NULL)"
            ),
            create_index: format!("CREATE INDEX IF NOT EXISTS {index} ON {t} (deadline)"),
            // $1 key, $2 token, $3 lease seconds, $4 lease extra microseconds, $5 digest.
            claim: format!(
                "WITH live AS (\
                   SELECT state, deadline, digest FROM {t} \
                   WHERE key = $1::text AND deadline > now()), \
                 ins AS (\
                   INSERT INTO {t} AS cur (key, state, token, deadline, digest) \
                   SELECT $1::text, 'in_progress', $2::bytea, \
                          now() + $3::int8 * interval '1 second' \
                                + $4::int4 * interval '1 microsecond', \
                          $5::bytea \
                   WHERE NOT EXISTS (SELECT 1 FROM live) \
                   ON CONFLICT (key) DO UPDATE \
                     SET state = 'in_progress', token = EXCLUDED.token, \
                         deadline = EXCLUDED.deadline, digest = EXCLUDED.digest \
                     WHERE cur.deadline <= now() \
                   RETURNING cur.deadline) \
                 SELECT true AS acquired, NULL::text AS state, {ins_deadline} AS deadline_us, \
                        {now} AS now_us, NULL::bytea AS digest \
                 FROM ins \
                 UNION ALL \
                 SELECT false, live.state, {live_deadline}, {now}, live.digest \
                 FROM live",
                ins_deadline = micros("ins.deadline"),
                live_deadline = micros("live.deadline"),
                now = micros("now()"),
            ),
            // $1 key, $2 token, $3 retention seconds, $4 retention extra microseconds.
            complete: format!(
                "UPDATE {t} SET state = 'completed', \
                   deadline = CASE WHEN state = 'in_progress' \
                     THEN now() + $3::int8 * interval '1 second' \
                                + $4::int4 * interval '1 microsecond' \
                     ELSE deadline END \
                 WHERE key = $1::text AND token = $2::bytea AND deadline > now()"
            ),
            release: format!(
                "DELETE FROM {t} \
                 WHERE key = $1::text AND token = $2::bytea AND state = 'in_progress' \
                   AND deadline > now()"
            ),
            purge: format!("DELETE FROM {t} WHERE deadline <= now()"),
        }
    }
}

/// An [`IdempotencyStore`] in PostgreSQL, for receivers running as several instances: one
/// atomic statement per operation, deadlines on the database's clock: the claims are
/// recorded in a PostgreSQL table shared by every instance of the receiver (the table, the
/// SQL and the error handling below).
///
/// Cheap to clone: clones share the connection pool.
///
/// # The table
///
/// [`PostgresStore::migrate`] creates it when absent (`CREATE TABLE IF NOT EXISTS`), named
/// [`PostgresStore::DEFAULT_TABLE`] unless you pick another name:
///
/// ```sql
/// CREATE TABLE IF NOT EXISTS "webhook_receiver_idempotency" (
///     key      text        PRIMARY KEY,  -- MessageId::key(), "{provider}:{id}"
///     state    text        NOT NULL CHECK (state IN ('in_progress', 'completed')),
///     token    bytea       NULL,         -- the 128-bit owner token (16 bytes, big endian) of
///                                        -- the lease that claimed (and completed) the id
///     deadline timestamptz NOT NULL,     -- lease deadline, then retention deadline
///     digest   bytea       NULL          -- SHA-256 of the body, when the claim carried one
/// );
/// CREATE INDEX IF NOT EXISTS "webhook_receiver_idempotency_deadline" ON ... (deadline);
/// ```
///
/// [`PostgresStore::connect`] runs the migration itself; with [`PostgresStore::new`] (your own
/// pool) call [`migrate`](PostgresStore::migrate) once at start-up. It is idempotent.
///
/// # The SQL
///
/// Every operation is one statement, so no transaction is held open across an await:
///
/// - **claim**: one statement of two CTEs. The first reads the live record of the id (state,
///   deadline, digest); a row is live while `now() < deadline`. Only when there is none does
///   the second run `INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE <existing row expired>
///   RETURNING`: an expired row is taken over exactly as if it were absent. The digest
///   comparison (a conflict only when both the live record and the claim carry a digest and
///   they differ) and the choice between in progress, completed and conflict are made from
///   that one statement's answer. A duplicate (every retry of a processed event) therefore
///   writes nothing: it takes no row lock, gets no transaction id and waits for no WAL flush,
///   which makes it about twice as fast as the upsert alone (`benches/shared_stores.rs`).
///
///   Under PostgreSQL's default `READ COMMITTED` isolation, `ON CONFLICT DO UPDATE` sees (and
///   locks) a row that a concurrent claim committed after the statement's snapshot, while the
///   read of the live record still sees the snapshot. When that race makes the upsert decline
///   a row the snapshot cannot show, the statement returns no row at all; the store then runs
///   it again (a fresh snapshot sees the committed row; [`PostgresStore::claim_reruns`]
///   counts these re-runs), up to a few times, and answers [`StoreError::Unavailable`] if the
///   row keeps changing under it. The answer is never wrong: either the upsert took the row,
///   or the store read a record that was live at the statement's snapshot.
/// - **complete**: `UPDATE ... SET state = 'completed', deadline = now() + retention (if it
///   was in progress) WHERE key = $1 AND token = $2 AND deadline > now()`; no row updated is
///   [`StoreError::LeaseLost`]. The token stays on the completed row, so completing again
///   with the same lease (a retry whose first reply was lost) succeeds and changes nothing.
/// - **release**: `DELETE ... WHERE key = $1 AND token = $2 AND state = 'in_progress' AND
///   deadline > now()`; no row deleted is [`StoreError::LeaseLost`].
///
/// Run the sessions at the default `READ COMMITTED` isolation level: under `SERIALIZABLE` or
/// `REPEATABLE READ` a racing claim fails with a serialization error, which the store reports
/// as [`StoreError::Unavailable`] (503, so the sender retries, but needlessly).
///
/// # The clock
///
/// Deadlines are computed and compared with the database's `now()`, never the instances'
/// clocks, so instances whose clocks disagree still agree on who owns an id. The deadline a
/// [`Lease`] reports ([`Lease::expires_at`]) is the one the database recorded. Durations
/// longer than 10 000 years are cut to 10 000 years (which is forever for a webhook).
///
/// # Expired rows
///
/// An expired row is invisible (the next claim takes it over), but it stays in the table until
/// something deletes it. Call [`PostgresStore::purge_expired`] periodically (say, hourly, from
/// one instance or all of them: it is safe to run concurrently) to keep the table small.
///
/// # Errors
///
/// A pool, connection or query failure is [`StoreError::Unavailable`] (503: the sender retries
/// later), never a panic. Its message names what failed (for example "error connecting to
/// server: Connection refused") and never contains the connection string.
///
/// # TLS
///
/// [`PostgresStore::connect`] connects without TLS (`NoTls`), which suits a database on the
/// same host or a private network. For TLS, build a [`deadpool_postgres::Pool`] with the TLS
/// connector of your choice (`postgres-native-tls`, `tokio-postgres-rustls`) and pass it to
/// [`PostgresStore::new`] or [`PostgresStore::with_table`].
///
/// # Example
///
/// ```no_run
/// use webhook_receiver::idempotency::PostgresStore;
/// use webhook_receiver::providers::receeve::Receeve;
/// use webhook_receiver::{Receiver, Secret};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // Connects, and creates the table if it is absent.
/// let store = PostgresStore::connect("host=127.0.0.1 port=5432 user=postgres dbname=app").await?;
/// let receiver = Receiver::builder(Receeve::hmac(Secret::new("shared-key")?))
///     .store(store.clone())
///     .build();
/// # let _ = receiver;
///
/// // Now and then (expired rows are invisible, this only keeps the table small):
/// let purged = store.purge_expired().await?;
/// # let _ = purged;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    sql: Arc<Statements>,
    /// Claims run again after a concurrent claim committed between the statement's snapshot
    /// and its upsert; shared by clones.
    claim_reruns: Arc<AtomicU64>,
}

impl PostgresStore {
    /// The table a store uses unless told otherwise: `webhook_receiver_idempotency`.
    pub const DEFAULT_TABLE: &'static str = "webhook_receiver_idempotency";
}

impl PostgresStore {
    /// A store on your pool, using the table [`DEFAULT_TABLE`](Self::DEFAULT_TABLE).
    ///
    /// Call [`migrate`](PostgresStore::migrate) once at start-up to create the table if it is
    /// absent. Building the pool yourself is how you choose TLS, pool size and timeouts.
    #[must_use]
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            sql: Arc::new(Statements::new(Self::DEFAULT_TABLE)),
            claim_reruns: Arc::default(),
        }
    }

    /// A store on your pool, using the table `table`.
    ///
    /// Call [`migrate`](PostgresStore::migrate) once at start-up to create the table if it is
    /// absent.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] unless `table` is a plain SQL identifier: 1 to 50 ASCII letters, digits or underscores, not starting with a
    /// digit. The name is used exactly as written (it is quoted in SQL, so case matters).
    pub fn with_table(pool: Pool, table: &str) -> Result<Self, ConfigError> {
        validate_table(table)?;
        Ok(Self {
            pool,
            sql: Arc::new(Statements::new(table)),
            claim_reruns: Arc::default(),
        })
    }

    /// Connects to the database described by `config` (a libpq-style connection string such
    /// as `"host=127.0.0.1 port=5432 user=app dbname=app"`, without TLS), and creates the
    /// table [`DEFAULT_TABLE`](Self::DEFAULT_TABLE) if it is absent.
    ///
    /// The pool holds up to 16 connections and waits at most 5 s to connect (unless the
    /// string sets `connect_timeout`) or for a free connection. For TLS or other settings,
    /// build your own pool and use [`new`](PostgresStore::new).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the string cannot be parsed or the database cannot
    /// be reached or refuses to create the table.
    pub async fn connect(config: &str) -> Result<Self, StoreError> {
        Self::connect_with_table(config, Self::DEFAULT_TABLE).await
    }

    /// [`connect`](PostgresStore::connect), using the table `table`.
    ///
    /// # Errors
    ///
    /// As [`connect`](PostgresStore::connect); an invalid table name (see
    /// [`with_table`](PostgresStore::with_table)) is also [`StoreError::Unavailable`], before
    /// any connection is made.
    pub async fn connect_with_table(config: &str, table: &str) -> Result<Self, StoreError> {
        validate_table(table).map_err(|error| StoreError::Unavailable(error.to_string()))?;
        let (pool, _) = connect_pool(config)?;
        let store = Self {
            pool,
            sql: Arc::new(Statements::new(table)),
            claim_reruns: Arc::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Records `lease`'s message id completed inside `transaction`, your handler's own: the
    /// completion commits with your writes or not at all, so a crash at any moment leaves
    /// either both (a retry is a duplicate) or neither (the lease expires and a retry runs the
    /// handler again, on a clean slate). That is exactly-once effects for what the handler
    /// writes in the same database.
    ///
    /// The lease is checked inside the transaction, on the database's clock: when it has run
    /// out or another claim took the id over, this fails with [`StoreError::LeaseLost`] and
    /// you must roll back (return the error; dropping the transaction rolls it back).
    /// The row stays locked by your transaction until it ends: a claim that would take the id
    /// over (its lease ran out meanwhile) waits for your commit, then finds it completed.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use webhook_receiver::idempotency::{DEFAULT_RETENTION, Lease, StoreError};
    /// # use webhook_receiver::idempotency::PostgresStore;
    /// async fn book(store: &PostgresStore, lease: Lease, claim_ref: &str) -> Result<(), StoreError> {
    ///     let mut client = store.pool().get().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
    ///     let tx = client.transaction().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
    ///     tx.execute("INSERT INTO bookings (claim_ref) VALUES ($1)", &[&claim_ref])
    ///         .await
    ///         .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    ///     store.complete_in(&tx, &lease, DEFAULT_RETENTION).await?;
    ///     tx.commit().await.map_err(|e| StoreError::Unavailable(e.to_string()))
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError::LeaseLost`] as above (nothing was changed: roll back);
    /// [`StoreError::Unavailable`] when the statement fails (the transaction is then aborted
    /// by PostgreSQL).
    pub async fn complete_in(
        &self,
        transaction: &deadpool_postgres::Transaction<'_>,
        lease: &Lease,
        retention: Duration,
    ) -> Result<(), StoreError> {
        let statement = transaction
            .prepare_cached(&self.sql.complete)
            .await
            .map_err(|error| unavailable("cannot prepare the completion", &error))?;
        run_completion(&**transaction, &statement, lease, retention).await
    }

    /// The table the store uses.
    #[must_use]
    pub fn table(&self) -> &str {
        &self.sql.table
    }

    /// How many claim statements this store (and its clones) ran a second time because a
    /// concurrent claim of the same id committed between the statement's snapshot and its
    /// upsert (see [`PostgresStore`]). Each re-run still gives the right answer; a
    /// steadily rising count only says that deliveries of the same id often race.
    #[must_use]
    pub fn claim_reruns(&self) -> u64 {
        self.claim_reruns.load(Ordering::Relaxed)
    }

    /// The connection pool.
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Creates the table and its deadline index if they are absent (see the
    /// docs of [`PostgresStore`] for the schema). Idempotent, and safe to run from several
    /// instances at once.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the database cannot be reached or refuses.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        for statement in [&self.sql.create_table, &self.sql.create_index] {
            if let Err(error) = client.batch_execute(statement).await {
                // Two instances creating the table at the same moment can collide in the
                // catalog (`IF NOT EXISTS` is not atomic there): a unique violation means the
                // other one created it, which is what was asked.
                if error.code() != Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
                    return Err(unavailable("cannot create the idempotency table", &error));
                }
            }
        }
        Ok(())
    }

    /// Deletes the expired rows (leases and retentions past their deadline) and returns how
    /// many were deleted.
    ///
    /// Expired rows are already invisible to claims; this only keeps the table small. Run it
    /// periodically (say, hourly); running it from several instances at once is safe.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the database cannot be reached or refuses.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        client
            .execute(self.sql.purge.as_str(), &[])
            .await
            .map_err(|error| unavailable("cannot purge expired records", &error))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|error| unavailable("cannot get a PostgreSQL connection", &error))
    }

    async fn claim_now(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.claim)
            .await
            .map_err(|error| unavailable("cannot prepare the claim", &error))?;
        let (seconds, micros) = split(lease);
        // The token is drawn here; the deadline is replaced by the database's below.
        let provisional = Lease::new(id.clone(), OffsetDateTime::UNIX_EPOCH);
        let token = provisional.token().to_be_bytes();
        let digest_param = digest.as_ref().map(<[u8; 32]>::as_slice);
        for attempt in 0..CLAIM_ATTEMPTS {
            if attempt > 0 {
                self.claim_reruns.fetch_add(1, Ordering::Relaxed);
            }
            let row = client
                .query_opt(
                    &statement,
                    &[
                        &id.key(),
                        &token.as_slice(),
                        &seconds,
                        &micros,
                        &digest_param,
                    ],
                )
                .await
                .map_err(|error| unavailable("cannot claim the message id", &error))?;
            if let Some(row) = row {
                return answer(&row, provisional, digest);
            }
            // The upsert declined a row committed after this statement's snapshot: run it
            // again with a fresh snapshot.
        }
        Err(StoreError::Unavailable(
            "the message id's record kept changing during the claim".to_owned(),
        ))
    }

    async fn complete_now(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.complete)
            .await
            .map_err(|error| unavailable("cannot prepare the completion", &error))?;
        run_completion(&**client, &statement, lease, retention).await
    }

    async fn release_now(&self, lease: &Lease) -> Result<(), StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.release)
            .await
            .map_err(|error| unavailable("cannot prepare the release", &error))?;
        let token = lease.token().to_be_bytes();
        let deleted = client
            .execute(&statement, &[&lease.id().key(), &token.as_slice()])
            .await
            .map_err(|error| unavailable("cannot release the message id", &error))?;
        if deleted == 1 {
            Ok(())
        } else {
            Err(StoreError::LeaseLost)
        }
    }
}

/// The pool [`PostgresStore::connect`] builds (16 connections, 5 s to connect unless the
/// string says otherwise, 5 s to wait for a free one, no TLS), and the parsed configuration.
pub(crate) fn connect_pool(config: &str) -> Result<(Pool, tokio_postgres::Config), StoreError> {
    let mut pg_config = tokio_postgres::Config::from_str(config).map_err(|error| {
        // The parser's messages name an option, never its value, so no password leaks.
        unavailable("invalid PostgreSQL connection string", &error)
    })?;
    if pg_config.get_connect_timeout().is_none() {
        pg_config.connect_timeout(CONNECT_TIMEOUT);
    }
    let manager = Manager::from_config(
        pg_config.clone(),
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|error| unavailable("cannot build the PostgreSQL pool", &error))?;
    Ok((pool, pg_config))
}

/// Runs the prepared completion on `client`: the pool's connection, or the handler's
/// transaction ([`PostgresStore::complete_in`]).
async fn run_completion(
    client: &impl tokio_postgres::GenericClient,
    statement: &tokio_postgres::Statement,
    lease: &Lease,
    retention: Duration,
) -> Result<(), StoreError> {
    let (seconds, micros) = split(retention);
    let token = lease.token().to_be_bytes();
    let updated = client
        .execute(
            statement,
            &[&lease.id().key(), &token.as_slice(), &seconds, &micros],
        )
        .await
        .map_err(|error| unavailable("cannot complete the message id", &error))?;
    if updated == 1 {
        Ok(())
    } else {
        Err(StoreError::LeaseLost)
    }
}

/// Reads the claim statement's row: acquired, or the live record it found.
fn answer(row: &Row, provisional: Lease, digest: Option<[u8; 32]>) -> Result<Claim, StoreError> {
    let column = |error: tokio_postgres::Error| unavailable("unexpected claim answer", &error);
    let acquired: bool = row.try_get("acquired").map_err(column)?;
    let deadline_us: i64 = row.try_get("deadline_us").map_err(column)?;
    if acquired {
        let expires_at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(deadline_us) * 1000)
            .map_err(|_| StoreError::Unavailable("lease deadline out of range".to_owned()))?;
        let token = provisional.token();
        let id = provisional.id().clone();
        return Ok(Claim::Acquired(Lease::from_parts(id, token, expires_at)));
    }
    let theirs: Option<&[u8]> = row.try_get("digest").map_err(column)?;
    if matches!((theirs, digest), (Some(theirs), Some(ours)) if theirs != ours.as_slice()) {
        return Ok(Claim::Conflict);
    }
    let state: Option<&str> = row.try_get("state").map_err(column)?;
    match state {
        Some("completed") => Ok(Claim::Completed),
        Some("in_progress") => {
            let now_us: i64 = row.try_get("now_us").map_err(column)?;
            let left = u64::try_from(deadline_us.saturating_sub(now_us)).unwrap_or(0);
            Ok(Claim::InProgress {
                retry_after: Duration::from_micros(left),
            })
        }
        _ => Err(StoreError::Unavailable(
            "unexpected state in the idempotency table".to_owned(),
        )),
    }
}

/// A duration as whole seconds and the remaining microseconds (rounded up, so a lease is
/// never shorter than asked), cut to [`MAX_SECONDS`].
fn split(duration: Duration) -> (i64, i32) {
    let mut seconds = duration.as_secs();
    let mut micros = duration.subsec_nanos().div_ceil(1000);
    if micros >= 1_000_000 {
        seconds = seconds.saturating_add(1);
        micros = 0;
    }
    if seconds >= MAX_SECONDS {
        return (i64::try_from(MAX_SECONDS).unwrap_or(i64::MAX), 0);
    }
    (
        i64::try_from(seconds).unwrap_or(i64::MAX),
        i32::try_from(micros).unwrap_or(0),
    )
}

/// A [`StoreError::Unavailable`] naming what failed and the error chain (whose messages name
/// options and server errors, never connection-string values such as the password).
pub(crate) fn unavailable(context: &str, error: &(dyn std::error::Error + 'static)) -> StoreError {
    let mut message = format!("{context}: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    StoreError::Unavailable(message)
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PostgresStore")
            .field("table", &self.sql.table)
            .field("pool_size", &status.size)
            .field("pool_max_size", &status.max_size)
            .finish_non_exhaustive()
    }
}

impl crate::__private::Sealed for PostgresStore {}

impl IdempotencyStore for PostgresStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn claim_with_digest(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.claim_now(id, digest, lease).await
    }

    async fn complete(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        super::retry_transient(lease, || self.complete_now(lease, retention)).await
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        super::retry_transient(lease, || self.release_now(lease)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain_identifiers() {
        for good in [
            "t",
            "_t",
            "webhook_receiver_idempotency",
            "T1_x",
            &"a".repeat(50),
        ] {
            assert!(validate_table(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "1t",
            "a-b",
            "a b",
            "a\"b",
            "a;drop table x",
            "s.t",
            "é",
            &"a".repeat(51),
        ] {
            assert!(validate_table(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_split_into_seconds_and_micros() {
        assert_eq!(split(Duration::from_millis(300)), (0, 300_000));
        assert_eq!(split(Duration::from_nanos(1)), (0, 1));
        assert_eq!(split(Duration::new(1, 999_999_999)), (2, 0));
        assert_eq!(split(Duration::from_secs(60)), (60, 0));
        assert_eq!(
            split(Duration::MAX),
            (i64::try_from(MAX_SECONDS).unwrap(), 0)
        );
    }
}
