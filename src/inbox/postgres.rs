use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Pool, tokio_postgres};
use futures_util::StreamExt;
use graphile_worker::sql::worker_heartbeat::{registration, stale};
use graphile_worker::sql::{complete_job, fail_job, get_job, recover_workers, return_jobs};
use graphile_worker::{Database, TaskDetails};
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::worker::Ran;
use super::{
    Backend, DeadLetter, DeadLetterFilter, Enqueued, InboxBackend, InboxStats, Job, StoreError,
    StoredDelivery, Worker,
};
use crate::idempotency::postgres::{connect_pool, unavailable, validate_table};
use crate::{Delivery, MessageId, Provider};

/// The table a [`PostgresInbox`] uses unless told otherwise.
const DEFAULT_TABLE: &str = "webhook_receiver_inbox";

/// graphile_worker's schema.
const SCHEMA: &str = "graphile_worker";

/// The taker ids of this crate, so that a sweep never touches another application's workers.
const TAKER_PREFIX: &str = "webhook-receiver:";

/// The longest a take waits for a notification before it looks again.
const MAX_NAP: Duration = Duration::from_millis(500);
/// How long a task id is trusted by takes that find nothing (see `recheck_task`).
const TASK_RECHECK: Duration = Duration::from_secs(5);
/// How often a waiting take looks again when nothing wakes it (an inbox on the user's pool).
const POLL_NAP: Duration = Duration::from_millis(100);

/// graphile_worker counts attempts in a `smallint`; the crate's own count is in its row, so
/// the job's limit is only set out of the way.
const JOB_MAX_ATTEMPTS: i32 = i16::MAX as i32;

/// The SQL text of every statement of the crate's own, built once from the validated table
/// name.
struct Statements {
    table: String,
    create: String,
    enqueue: String,
    take: String,
    finish: String,
    extend: String,
    stale: String,
    revive: String,
    dead_letters: String,
    purge: String,
    stats: String,
    in_flight: String,
}

impl Statements {
    fn new(table: &str) -> Self {
        // `table` was validated: plain identifier characters only, so quoting cannot be
        // escaped from.
        let t = format!("\"{table}\"");
        let columns = "key, provider, payload, verified_id, verified_ns, verified_kind, received_ns, \
                       header_names, header_values, attempts, error, \
                       floor(extract(epoch from finished_at) * 1000000)::int8 AS finished_us";
        // The optional filter of a `DeadLetterFilter`: $2 provider, $3 keys, $4 error text,
        // $5 died before (unix seconds).
        let filter = "($2::text IS NULL OR provider = $2) \
                      AND ($3::text[] IS NULL OR key = ANY($3)) \
                      AND ($4::text IS NULL OR strpos(error, $4) > 0) \
                      AND ($5::float8 IS NULL OR finished_at < to_timestamp($5))";
        // A job's key is this inbox's task prefix and the row's key: unique to the row, which
        // has at most one job (it is added with the row and deleted when the row finishes).
        // Should a job of that key exist anyway (added by hand), `unsafe_dedupe` would answer
        // it instead of adding one (`revision` > 0): the cast (made at run time, of the job's
        // key) then fails the statement, which
        // so writes nothing, rather than leave a row without a job.
        let guard = "count(CASE WHEN job.revision = 0 THEN job.id \
                     ELSE ('another job holds the key ' || job.key)::int8 END)";
        Self {
            table: table.to_owned(),
            create: format!(
                "CREATE TABLE IF NOT EXISTS {t} (\
                 key text PRIMARY KEY, \
                 provider text NOT NULL, \
                 message_id text NOT NULL, \
                 state text NOT NULL CHECK (state IN ('queued', 'completed', 'dead')), \
                 payload bytea NOT NULL, \
                 verified_id text NULL, \
                 verified_ns int8 NULL, \
                 received_ns int8 NOT NULL, \
                 header_names text[] NOT NULL, \
                 header_values text[] NOT NULL, \
                 attempts int4 NOT NULL, \
                 error text NULL, \
                 finished_at timestamptz NULL, \
                 verified_kind text NULL); \
                 ALTER TABLE {t} ADD COLUMN IF NOT EXISTS verified_kind text NULL"
            ),
            // $1..$9 the row, $10 the task identifier, $11 the task prefix.
            enqueue: format!(
                "WITH ins AS (\
                   INSERT INTO {t} (key, provider, message_id, state, payload, verified_id, \
                                    verified_ns, received_ns, header_names, header_values, \
                                    attempts, verified_kind) \
                   VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, 0, $12) \
                   ON CONFLICT (key) DO NOTHING \
                   RETURNING key) \
                 SELECT {guard} AS added, \
                   (SELECT payload IS DISTINCT FROM $4 FROM {t} WHERE key = $1) AS differs \
                 FROM ins, \
                   LATERAL {SCHEMA}.add_job($10::text, json_build_object('k', ins.key), \
                                            max_attempts => {JOB_MAX_ATTEMPTS}, \
                                            job_key => $11::text || ins.key, \
                                            job_key_mode => 'unsafe_dedupe') AS job"
            ),
            // $1 key.
            take: format!(
                "UPDATE {t} SET attempts = attempts + 1 \
                 WHERE key = $1 AND state = 'queued' \
                 RETURNING {columns}"
            ),
            // $1 job id, $2 taker, $3 key, $4 new state, $5 error, $6 attempts to add.
            finish: format!(
                "WITH held AS (\
                   SELECT id FROM {SCHEMA}._private_jobs \
                   WHERE id = $1 AND locked_by = $2 FOR UPDATE) \
                 UPDATE {t} SET state = $4, error = COALESCE($5, error), attempts = attempts + $6, \
                   finished_at = CASE WHEN $4 = 'queued' THEN NULL ELSE now() END \
                 FROM held WHERE key = $3 AND state = 'queued' \
                 RETURNING 1"
            ),
            // $1 job id, $2 taker.
            extend: format!(
                "SELECT {SCHEMA}.worker_heartbeat($2) FROM {SCHEMA}._private_jobs \
                 WHERE id = $1 AND locked_by = $2"
            ),
            // $1 the taker prefix. A taker's id carries its visibility in milliseconds.
            stale: format!(
                "SELECT id AS taker FROM {SCHEMA}._private_workers \
                 WHERE starts_with(id, $1) \
                   AND last_heartbeat_at < now() - interval '1 millisecond' * \
                       CASE WHEN split_part(id, ':', 2) ~ '^[0-9]{{1,15}}$' \
                            THEN split_part(id, ':', 2)::int8 ELSE 30000 END"
            ),
            // $1 state to revive from, the filter, $6 the task identifier prefix.
            revive: format!(
                "WITH r AS (\
                   UPDATE {t} SET state = 'queued', attempts = 0, error = NULL, \
                     finished_at = NULL \
                   WHERE state = $1 AND {filter} \
                   RETURNING key, provider) \
                 SELECT {guard} AS added FROM r, \
                   LATERAL {SCHEMA}.add_job($6::text || r.provider, \
                                            json_build_object('k', r.key), \
                                            max_attempts => {JOB_MAX_ATTEMPTS}, \
                                            job_key => $6::text || r.key, \
                                            job_key_mode => 'unsafe_dedupe') AS job"
            ),
            // $1 'dead', the filter, $6 limit.
            dead_letters: format!(
                "SELECT {columns} FROM {t} WHERE state = $1 AND {filter} \
                 ORDER BY finished_at, key LIMIT $6"
            ),
            // $1 before (unix seconds).
            purge: format!(
                "DELETE FROM {t} \
                 WHERE state IN ('completed', 'dead') AND finished_at < to_timestamp($1)"
            ),
            stats: format!(
                "SELECT count(*) FILTER (WHERE state = 'queued') AS queued, \
                        count(*) FILTER (WHERE state = 'dead') AS dead, \
                        count(*) FILTER (WHERE state = 'completed') AS completed \
                 FROM {t}"
            ),
            // $1 the task identifier prefix.
            in_flight: format!(
                "SELECT count(*) AS taken FROM {SCHEMA}._private_jobs AS jobs \
                 JOIN {SCHEMA}._private_tasks AS tasks ON tasks.id = jobs.task_id \
                 WHERE starts_with(tasks.identifier, $1) AND jobs.locked_by IS NOT NULL"
            ),
        }
    }
}

/// An inbox backend ([`InboxBackend`]) in PostgreSQL: the deliveries in a table of the crate's, their jobs in
/// graphile_worker's (the tables, the atomic steps and the take-over of a dead worker's
/// deliveries below).
///
/// Durable as the database is: a delivery answered `200 accepted` is committed (with
/// PostgreSQL's default `synchronous_commit = on`, flushed to its write-ahead log).
///
/// Cheap to clone: clones share the pool and the notification listener.
///
/// Queued with graphile_worker, with handlers whose own writes commit together with the
/// completion.
///
/// # Where things are
///
/// - **The deliveries**: one table of the crate's, `webhook_receiver_inbox` unless you pick
///   another name ([`PostgresInbox::connect_with_table`]), one row per message id. The row is
///   the claim of the id: its primary key refuses a second copy. It keeps the stored delivery,
///   its state (`queued`, `completed` or `dead`), the attempts run, the last error, and when
///   it finished:
///
///   ```sql
///   CREATE TABLE IF NOT EXISTS "webhook_receiver_inbox" (
///       key           text    PRIMARY KEY,   -- MessageId::key(), "{provider}:{id}"
///       provider      text    NOT NULL,
///       message_id    text    NOT NULL,
///       state         text    NOT NULL CHECK (state IN ('queued', 'completed', 'dead')),
///       payload       bytea   NOT NULL,      -- the verified bytes
///       verified_id   text    NULL,
///       verified_ns   int8    NULL,          -- the verified timestamp, unix nanoseconds
///       received_ns   int8    NOT NULL,
///       header_names  text[]  NOT NULL,
///       header_values text[]  NOT NULL,
///       attempts      int4    NOT NULL,
///       error         text    NULL,
///       finished_at   timestamptz NULL,      -- completed or dead since
///       verified_kind text    NULL           -- the event type named beside the signed bytes
///   );
///   ```
/// - **The queue**: graphile_worker's job tables (schema `graphile_worker`, created or
///   upgraded by its own migrations on [`connect`](PostgresInbox::connect)). A queued delivery
///   has one job, of the task `webhook-receiver:<table>:<provider>`, whose payload is the row's
///   key. graphile_worker locks a job for one taker (`FOR UPDATE SKIP LOCKED`), schedules its
///   retries (`run_at`), announces new jobs (`LISTEN`/`NOTIFY` on `jobs:insert`), and unlocks
///   the jobs of takers whose heartbeat stopped. A job ends (is deleted) when its delivery is
///   completed or dead.
///
/// # Atomic steps
///
/// - **Receiving** is one statement: the row's `INSERT ... ON CONFLICT DO NOTHING` and, only
///   when it inserted, graphile_worker's `add_job`. A duplicate adds nothing; a failure adds
///   nothing either (503, the sender retries).
/// - **Taking** is graphile_worker's `get_job`, under a fresh taker id (`webhook-receiver:`
///   and the take's 128-bit token) whose heartbeat it then records, and the row's attempt count.
/// - **Finishing** (complete, retry, release, dead letter) is one transaction: it checks, with
///   a row lock, that graphile_worker's job is still locked by this take (otherwise
///   [`StoreError::LeaseLost`]: the visibility ran out and another take holds it), updates the
///   row, ends or reschedules the job, and removes the taker's heartbeat.
///
/// # Visibility and take-over
///
/// A take records its taker's heartbeat row in the transaction that locks the job, so no job
/// is ever locked by a taker without one; the worker renews it every third of its visibility
/// timeout. A take first sweeps, unless this process swept less than a quarter of the
/// visibility (at most 1 s) ago: takers of this crate whose heartbeat is older than their own
/// visibility timeout (it is part of the taker id) have their jobs unlocked by graphile_worker's
/// `recover_dead_worker_jobs`, and the next take gets them. graphile_worker's own workers, if
/// your application runs some in the same schema, are never swept by this crate.
///
/// # Connections
///
/// [`connect`](PostgresInbox::connect)'s pool holds 16 connections. A worker's take, heartbeat
/// and completion each borrow one for a moment; with [`Worker::run_in_transaction`] every
/// running handler holds one for its whole run. Keep the concurrency of the transactional
/// workers sharing one `PostgresInbox` well below 16 (say, at most 12), or a heartbeat may
/// wait for a connection past the visibility timeout.
///
/// # Throughput
///
/// graphile_worker announces every new job with `NOTIFY`, and PostgreSQL commits notifying
/// transactions one at a time (a database-wide lock at commit): receiving is bounded by one
/// commit after another, a few thousand deliveries a second on a small machine, where plain
/// inserts from 16 connections reach four times that (the measured figures are in the
/// performance guide, `docs/performance.md`). Beyond it, use `RedisInbox`.
///
/// # Waiting
///
/// A take that finds nothing waits for a `jobs:insert` notification on a connection of its
/// own (opened by the first take, so a process that only receives holds none; reconnecting by
/// itself), and looks again at least every 500 ms, for retries coming due and jobs unlocked by
/// a sweep, which are not announced. An inbox on your own pool ([`new`](PostgresInbox::new))
/// has no listening connection and looks again every 100 ms.
///
/// # Exactly-once effects
///
/// With [`Worker::run_in_transaction`] the handler gets an [`InboxTransaction`], writes its
/// effects in it, and hands it back; the worker records the completion in the same
/// transaction and commits. A crash or a lost take at any moment leaves either the effects and
/// the completion, or neither (and the delivery runs again on a clean slate).
///
/// # Errors
///
/// A pool, connection or query failure is [`StoreError::Unavailable`], never a panic, and its
/// text never contains the connection string.
#[derive(Clone)]
pub struct PostgresInbox {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    sql: Statements,
    /// `webhook-receiver:<table>:`, the start of every task identifier of this inbox.
    task_prefix: String,
    /// graphile_worker's task ids, per provider.
    tasks: Mutex<HashMap<String, (TaskDetails, tokio::time::Instant)>>,
    /// When the last sweep for dead takers ran.
    swept: Mutex<Option<tokio::time::Instant>>,
    /// graphile_worker's view of the database: its migrations and the listening connection.
    database: Database,
    /// Woken by every `jobs:insert` notification.
    wakeup: Arc<Notify>,
    /// The task forwarding notifications to `wakeup`, from the first take on.
    listener: tokio::sync::OnceCell<tokio::task::AbortHandle>,
    /// The longest a waiting take sleeps before it looks again: [`MAX_NAP`] with a listening
    /// connection, [`POLL_NAP`] without one.
    nap: Duration,
    /// How many of the next transactions to refuse as if the pool had no connection (tests).
    #[cfg(test)]
    fail_begins: std::sync::atomic::AtomicUsize,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.get() {
            listener.abort();
        }
    }
}

impl fmt::Debug for PostgresInbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresInbox")
            .field("table", &self.inner.sql.table)
            .finish_non_exhaustive()
    }
}

/// What finishing a take needs of its job (not the delivery's bytes).
struct Hold {
    key: String,
    visibility: Duration,
    token: u128,
    graphile: Arc<graphile_worker::Job>,
}

impl Hold {
    /// A job of another backend (or a hand-made one) was never held here.
    fn of(job: &Job) -> Result<Self, StoreError> {
        Ok(Self {
            key: job.delivery.id.key().to_owned(),
            visibility: job.visibility,
            token: job.token,
            graphile: job.graphile.clone().ok_or(StoreError::LeaseLost)?,
        })
    }
}

/// What a finished take leaves.
#[derive(Clone, Copy)]
enum Finish<'a> {
    Complete,
    Retry(&'a str, OffsetDateTime),
    Release,
    Dead(&'a str),
}

impl PostgresInbox {
    /// The table an inbox uses unless told otherwise: `webhook_receiver_inbox`.
    pub const DEFAULT_TABLE: &'static str = DEFAULT_TABLE;
}

impl PostgresInbox {
    /// Connects to the database described by `config` (a libpq-style connection string such
    /// as `"host=127.0.0.1 port=5432 user=app dbname=app"`, without TLS), runs
    /// graphile_worker's migrations, and creates the table [`DEFAULT_TABLE`](PostgresInbox::DEFAULT_TABLE) if it is absent.
    ///
    /// The pool holds up to 16 connections and waits at most 5 s to connect (unless the
    /// string sets `connect_timeout`) or for a free one; once a worker takes, the listener
    /// holds one more.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the string cannot be parsed or the database cannot
    /// be reached or refuses the migrations.
    pub async fn connect(config: &str) -> Result<Self, StoreError> {
        Self::connect_with_table(config, DEFAULT_TABLE).await
    }

    /// [`connect`](PostgresInbox::connect), keeping the deliveries in `table` (its jobs are
    /// then tasks of their own: inboxes on different tables never take each other's).
    ///
    /// # Errors
    ///
    /// As [`connect`](PostgresInbox::connect); a table name that is not a plain SQL
    /// identifier of at most 50 bytes is also
    /// [`StoreError::Unavailable`], before any connection is made.
    pub async fn connect_with_table(config: &str, table: &str) -> Result<Self, StoreError> {
        validate_table(table).map_err(|error| StoreError::Unavailable(error.to_string()))?;
        let (pool, pg_config) = connect_pool(config)?;
        let listening =
            graphile_worker::tokio_postgres::TokioPostgresDatabase::from_config(pg_config, 1)
                .map_err(|error| unavailable("cannot configure the PostgreSQL listener", &error))?;
        Self::open(pool, Database::from(listening), table, MAX_NAP).await
    }

    /// An inbox on your own pool: your TLS, pool size and timeouts. Runs graphile_worker's
    /// migrations and creates the table [`DEFAULT_TABLE`](PostgresInbox::DEFAULT_TABLE) if it
    /// is absent, as [`connect`](PostgresInbox::connect) does.
    ///
    /// A pool hands out connections whose notifications it drops, so this inbox has no
    /// connection to listen on: a waiting worker looks for new jobs every 100 ms instead of
    /// being woken by each one (a delivery is picked up within about 100 ms; each waiting
    /// slot runs one short query per look). [`connect`](PostgresInbox::connect) listens.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use webhook_receiver::deadpool_postgres::{Config, Runtime};
    /// use webhook_receiver::inbox::PostgresInbox;
    /// use webhook_receiver::tokio_postgres::NoTls;
    ///
    /// let mut config = Config::new();
    /// config.url = Some("postgres://app@127.0.0.1/app".into());
    /// let pool = config.create_pool(Some(Runtime::Tokio1), NoTls)?; // or your TLS connector
    /// let backend = PostgresInbox::new(pool).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the database cannot be reached or refuses the
    /// migrations.
    pub async fn new(pool: Pool) -> Result<Self, StoreError> {
        Self::with_table(pool, DEFAULT_TABLE).await
    }

    /// [`new`](PostgresInbox::new), keeping the deliveries in `table`.
    ///
    /// # Errors
    ///
    /// As [`new`](PostgresInbox::new); a table name that is not a plain SQL identifier of at
    /// most 50 bytes is [`StoreError::Unavailable`], before any connection is made.
    pub async fn with_table(pool: Pool, table: &str) -> Result<Self, StoreError> {
        validate_table(table).map_err(|error| StoreError::Unavailable(error.to_string()))?;
        let database = Database::from(pool.clone());
        Self::open(pool, database, table, POLL_NAP).await
    }

    /// Migrates, creates the table, and builds the inbox; a waiting take looks again at least
    /// every `nap`.
    async fn open(
        pool: Pool,
        database: Database,
        table: &str,
        nap: Duration,
    ) -> Result<Self, StoreError> {
        graphile_worker::WorkerUtils::new(database.clone(), SCHEMA)
            .migrate()
            .await
            .map_err(|error| unavailable("cannot run graphile_worker's migrations", &error))?;
        let sql = Statements::new(table);
        {
            let client = client(&pool).await?;
            if let Err(error) = client.batch_execute(&sql.create).await {
                // Two instances creating the table at once can collide in the catalog.
                if error.code() != Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
                    return Err(unavailable("cannot create the inbox table", &error));
                }
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                database,
                task_prefix: format!("{TAKER_PREFIX}{table}:"),
                sql,
                tasks: Mutex::new(HashMap::new()),
                swept: Mutex::new(None),
                wakeup: Arc::new(Notify::new()),
                listener: tokio::sync::OnceCell::new(),
                nap,
                #[cfg(test)]
                fail_begins: std::sync::atomic::AtomicUsize::new(0),
            }),
        })
    }

    /// Starts listening for new jobs on the first take: a process that only receives holds no
    /// listening connection (and is not sent every job's notification).
    async fn listen(&self) -> Result<(), StoreError> {
        self.inner
            .listener
            .get_or_try_init(|| async {
                let notifications = self
                    .inner
                    .database
                    .listen("jobs:insert")
                    .await
                    .map_err(|error| unavailable("cannot listen for new jobs", &error))?;
                let wakeup = Arc::clone(&self.inner.wakeup);
                Ok::<_, StoreError>(tokio::spawn(wake_on(notifications, wakeup)).abort_handle())
            })
            .await
            .map(|_| ())
    }

    /// The table the deliveries are kept in.
    #[must_use]
    pub fn table(&self) -> &str {
        &self.inner.sql.table
    }

    /// The connection pool (for your own queries; the handler's transaction comes from it).
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// [`begin`](Self::begin) for a transactional run's handler.
    async fn begin_run(&self) -> Result<InboxTransaction, StoreError> {
        #[cfg(test)]
        if self
            .inner
            .fail_begins
            .fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |left| left.checked_sub(1),
            )
            .is_ok()
        {
            return Err(StoreError::Unavailable(
                "timed out waiting for a connection (injected)".to_owned(),
            ));
        }
        self.begin().await
    }

    /// A transaction on a connection of the pool, for a handler's writes.
    ///
    /// The connection is inside the [`InboxTransaction`] before `BEGIN` is sent, so that a
    /// future dropped at any await (a worker stopped mid-way) takes the connection out of the
    /// pool with it instead of handing the pool a connection inside a transaction nobody
    /// will end.
    async fn begin(&self) -> Result<InboxTransaction, StoreError> {
        let transaction = InboxTransaction {
            client: Some(client(&self.inner.pool).await?),
        };
        transaction
            .connection()?
            .batch_execute("BEGIN")
            .await
            .map_err(|error| unavailable("cannot begin a transaction", &error))?;
        Ok(transaction)
    }

    fn task(&self, provider: &str) -> String {
        format!("{}{provider}", self.inner.task_prefix)
    }

    /// graphile_worker's task id for `provider`, registered on first use.
    async fn task_details(
        &self,
        client: &deadpool_postgres::Client,
        provider: &str,
    ) -> Result<TaskDetails, StoreError> {
        if let Some((details, _)) = lock(&self.inner.tasks).get(provider) {
            return Ok(details.clone());
        }
        let details = graphile_worker::sql::task_identifiers::get_tasks_details(
            client,
            SCHEMA,
            vec![self.task(provider)],
        )
        .await
        .map_err(|error| unavailable("cannot register the task", &error))?;
        lock(&self.inner.tasks).insert(
            provider.to_owned(),
            (details.clone(), tokio::time::Instant::now()),
        );
        Ok(details)
    }

    /// Forgets `provider`'s task id once it is [`TASK_RECHECK`] old, after a take found
    /// nothing: another user of graphile_worker's schema may have cleaned the task identifiers
    /// up (its `cleanup` drops those without jobs), and the next job then gets a new id under
    /// the same identifier, which a take with the old id would never see.
    fn recheck_task(&self, provider: &str) {
        let mut tasks = lock(&self.inner.tasks);
        if tasks
            .get(provider)
            .is_some_and(|(_, looked_up)| looked_up.elapsed() >= TASK_RECHECK)
        {
            tasks.remove(provider);
        }
    }

    /// Unlocks the jobs of this crate's takers whose heartbeat is older than their own
    /// visibility timeout (it is part of the taker id), unless this process swept less than a
    /// quarter of `visibility` (at most 1 s) ago.
    async fn sweep(&self, visibility: Duration) -> Result<(), StoreError> {
        {
            let mut swept = lock(&self.inner.swept);
            let now = tokio::time::Instant::now();
            let every = (visibility / 4).min(Duration::from_secs(1));
            if swept.is_some_and(|at| now < at + every) {
                return Ok(());
            }
            *swept = Some(now);
        }
        let client = client(&self.inner.pool).await?;
        let rows = client
            .query(
                &prepared(&client, &self.inner.sql.stale).await?,
                &[&TAKER_PREFIX],
            )
            .await
            .map_err(|error| unavailable("cannot list stale takers", &error))?;
        let dead = rows
            .iter()
            .map(|row| row.try_get::<_, String>("taker"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| unavailable("unexpected answer", &error))?;
        if dead.is_empty() {
            return Ok(());
        }
        recover_workers::recover_dead_worker_jobs(&client, SCHEMA, &dead, Duration::ZERO)
            .await
            .map_err(|error| unavailable("cannot recover a dead taker's jobs", &error))?;
        stale::delete_stale_workers(&client, SCHEMA, &dead)
            .await
            .map_err(|error| unavailable("cannot delete stale takers", &error))?;
        Ok(())
    }

    /// One look for a due job of `provider`: in one transaction, graphile_worker's `get_job`,
    /// the taker's first heartbeat, and the row's attempt count (so a job is never locked by a
    /// taker without a heartbeat, which no sweep would find).
    async fn take_now(
        &self,
        provider: &str,
        visibility: Duration,
    ) -> Result<Option<Job>, StoreError> {
        self.sweep(visibility).await?;
        loop {
            let transaction = self.begin().await?;
            let client = transaction.connection()?;
            let details = self.task_details(client, provider).await?;
            let token = crate::idempotency::new_owner_token();
            let taker = taker(visibility, token);
            let Some(job) = get_job::get_job(client, &details, SCHEMA, &taker, &[], None)
                .await
                .map_err(|error| unavailable("cannot take a job", &error))?
            else {
                transaction.commit().await?;
                return Ok(None);
            };
            registration::worker_heartbeat(client, SCHEMA, &taker, None)
                .await
                .map_err(|error| unavailable("cannot record the heartbeat", &error))?;
            let key = job
                .payload()
                .get("k")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let row = client
                .query_opt(&prepared(client, &self.inner.sql.take).await?, &[&key])
                .await
                .map_err(|error| unavailable("cannot read the delivery", &error))?;
            let Some(row) = row else {
                // A job without its queued row (the row was purged, or the job added by hand):
                // nothing to run; end it.
                complete_job::complete_job(client, &job, &taker, SCHEMA)
                    .await
                    .map_err(|error| unavailable("cannot end a stray job", &error))?;
                registration::worker_deregister(client, SCHEMA, &taker)
                    .await
                    .map_err(|error| unavailable("cannot remove the heartbeat", &error))?;
                transaction.commit().await?;
                continue;
            };
            let letter = read_row(&row)?;
            transaction.commit().await?;
            let mut taken = Job::new(letter.delivery, letter.attempts, token);
            taken.graphile = Some(Arc::new(job));
            taken.visibility = visibility;
            return Ok(Some(taken));
        }
    }

    /// Records how `job` ended, inside the transaction open on `client`, and removes the
    /// take's heartbeat. The caller commits.
    async fn finish_in(
        &self,
        client: &deadpool_postgres::Client,
        hold: &Hold,
        how: Finish<'_>,
    ) -> Result<(), StoreError> {
        let graphile = &*hold.graphile;
        let taker = taker(hold.visibility, hold.token);
        let (state, error, added) = match how {
            Finish::Complete => ("completed", None, 0_i32),
            Finish::Retry(error, _) => ("queued", Some(error), 0),
            Finish::Release => ("queued", None, -1),
            Finish::Dead(error) => ("dead", Some(error), 0),
        };
        let held = client
            .query_opt(
                &prepared(client, &self.inner.sql.finish).await?,
                &[graphile.id(), &taker, &hold.key, &state, &error, &added],
            )
            .await
            .map_err(|error| unavailable("cannot record the outcome", &error))?;
        if held.is_none() {
            return Err(StoreError::LeaseLost);
        }
        let ended = match how {
            Finish::Complete | Finish::Dead(_) => {
                complete_job::complete_job(client, graphile, &taker, SCHEMA).await
            }
            Finish::Release => {
                return_jobs::batch::return_jobs(
                    client,
                    std::slice::from_ref(graphile),
                    SCHEMA,
                    &taker,
                )
                .await
            }
            Finish::Retry(error, at) => {
                match fail_job::single::fail_job(client, graphile, SCHEMA, &taker, error, None)
                    .await
                {
                    Ok(()) => reschedule(client, *graphile.id(), at).await,
                    Err(error) => Err(error),
                }
            }
        };
        ended.map_err(|error| unavailable("cannot end the job", &error))?;
        registration::worker_deregister(client, SCHEMA, &taker)
            .await
            .map_err(|error| unavailable("cannot remove the heartbeat", &error))
    }

    /// [`finish_in`](Self::finish_in) in a transaction of its own.
    async fn finish(&self, job: &Job, how: Finish<'_>) -> Result<(), StoreError> {
        let hold = Hold::of(job)?;
        let transaction = self.begin().await?;
        self.finish_in(transaction.connection()?, &hold, how)
            .await?;
        transaction.commit().await
    }

    async fn revive(&self, state: &str, filter: &DeadLetterFilter) -> Result<u64, StoreError> {
        let client = client(&self.inner.pool).await?;
        let (provider, keys, error, before) = filter_params(filter);
        let row = client
            .query_one(
                &prepared(&client, &self.inner.sql.revive).await?,
                &[
                    &state,
                    &provider,
                    &keys,
                    &error,
                    &before,
                    &self.inner.task_prefix,
                ],
            )
            .await
            .map_err(|error| unavailable("cannot queue the deliveries again", &error))?;
        let added: i64 = row
            .try_get("added")
            .map_err(|error| unavailable("unexpected answer", &error))?;
        Ok(u64::try_from(added).unwrap_or_default())
    }
}

/// graphile_worker's `reschedule_jobs`: the retry is due at `at`, not after graphile_worker's
/// own backoff.
async fn reschedule(
    client: &deadpool_postgres::Client,
    id: i64,
    at: OffsetDateTime,
) -> Result<(), graphile_worker::errors::GraphileWorkerError> {
    // Due in so long from now on the database's clock: a worker whose clock is off moves the
    // retry by nothing (only the delay it chose travels, not its idea of the time).
    let delay = (at - OffsetDateTime::now_utc()).as_seconds_f64().max(0.0);
    client
        .execute(
            &format!(
                "SELECT 1 FROM {SCHEMA}.reschedule_jobs(ARRAY[$1::int8], \
                 run_at => now() + make_interval(secs => $2::float8))"
            ),
            &[&id, &delay],
        )
        .await
        .map(|_| ())
        .map_err(|error| {
            graphile_worker::errors::GraphileWorkerError::SqlError(graphile_worker::DbError::new(
                error.to_string(),
            ))
        })
}

/// A take's id in graphile_worker: `webhook-receiver:<visibility in ms>:<token>`. The
/// visibility in it is what sweeps judge its heartbeat by.
fn taker(visibility: Duration, token: u128) -> String {
    format!("{TAKER_PREFIX}{}:{token:032x}", visibility.as_millis())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded maps are only read and written whole; a panic elsewhere leaves them valid.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `sql` prepared on `client`'s connection, once per connection (deadpool's statement cache):
/// later runs skip the parse and plan round trip.
async fn prepared(
    client: &deadpool_postgres::Client,
    sql: &str,
) -> Result<tokio_postgres::Statement, StoreError> {
    client
        .prepare_cached(sql)
        .await
        .map_err(|error| unavailable("cannot prepare a statement", &error))
}

async fn client(pool: &Pool) -> Result<deadpool_postgres::Client, StoreError> {
    pool.get()
        .await
        .map_err(|error| unavailable("cannot get a PostgreSQL connection", &error))
}

/// Wakes the waiting takes on every notification, until the stream ends.
async fn wake_on(notifications: Option<graphile_worker::NotificationStream>, wakeup: Arc<Notify>) {
    let Some(mut notifications) = notifications else {
        return;
    };
    while notifications.next().await.is_some() {
        wakeup.notify_waiters();
    }
}

type FilterParams = (
    Option<String>,
    Option<Vec<String>>,
    Option<String>,
    Option<f64>,
);

fn filter_params(filter: &DeadLetterFilter) -> FilterParams {
    (
        filter.provider.clone(),
        filter
            .ids
            .as_ref()
            .map(|ids| ids.iter().map(|id| id.key().to_owned()).collect()),
        filter.error_contains.clone(),
        filter
            .died_before
            .map(|time| time.unix_timestamp_nanos() as f64 / 1e9),
    )
}

fn nanos_time(nanos: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .map_err(|error| unavailable("a stored time is out of range", &error))
}

fn time_nanos(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

/// A row of the inbox table, as a dead letter (the taking side uses its delivery and count).
fn read_row(row: &tokio_postgres::Row) -> Result<DeadLetter, StoreError> {
    let bad = |error: tokio_postgres::Error| unavailable("unexpected inbox row", &error);
    let provider: String = row.try_get("provider").map_err(bad)?;
    let key: String = row.try_get("key").map_err(bad)?;
    let verified_ns: Option<i64> = row.try_get("verified_ns").map_err(bad)?;
    let names: Vec<String> = row.try_get("header_names").map_err(bad)?;
    let values: Vec<String> = row.try_get("header_values").map_err(bad)?;
    let attempts: i32 = row.try_get("attempts").map_err(bad)?;
    let finished_us: Option<i64> = row.try_get("finished_us").map_err(bad)?;
    let delivery = StoredDelivery {
        // The key is `{namespace}:{id}`, and a namespace has no `:`.
        id: key
            .split_once(':')
            .map(|(namespace, id)| MessageId::new(namespace, id))
            .ok_or_else(|| StoreError::Unavailable(format!("unexpected inbox key {key:?}")))?,
        provider,
        payload: row.try_get("payload").map_err(bad)?,
        verified_id: row.try_get("verified_id").map_err(bad)?,
        verified_timestamp: verified_ns.map(nanos_time).transpose()?,
        verified_kind: row.try_get("verified_kind").map_err(bad)?,
        received_at: nanos_time(row.try_get("received_ns").map_err(bad)?)?,
        headers: names.into_iter().zip(values).collect(),
    };
    Ok(DeadLetter {
        delivery,
        attempts: u32::try_from(attempts).unwrap_or_default(),
        error: row
            .try_get::<_, Option<String>>("error")
            .map_err(bad)?
            .unwrap_or_default(),
        died_at: nanos_time(finished_us.unwrap_or_default().saturating_mul(1000))?,
    })
}

impl crate::__private::Sealed for PostgresInbox {}

impl InboxBackend for PostgresInbox {}

impl Backend for PostgresInbox {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn enqueue(&self, delivery: StoredDelivery) -> Result<Enqueued, StoreError> {
        let client = client(&self.inner.pool).await?;
        let (names, values): (Vec<&str>, Vec<&str>) = delivery
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .unzip();
        let row = client
            .query_one(
                &prepared(&client, &self.inner.sql.enqueue).await?,
                &[
                    &delivery.id.key(),
                    &delivery.provider,
                    &delivery.id.as_str(),
                    &delivery.payload,
                    &delivery.verified_id,
                    &delivery.verified_timestamp.map(time_nanos),
                    &time_nanos(delivery.received_at),
                    &names,
                    &values,
                    &self.task(&delivery.provider),
                    &self.inner.task_prefix,
                    &delivery.verified_kind,
                ],
            )
            .await
            .map_err(|error| unavailable("cannot enqueue the delivery", &error))?;
        let added: i64 = row
            .try_get("added")
            .map_err(|error| unavailable("unexpected answer", &error))?;
        // Read in the statement's snapshot: a row committed by a concurrent copy after it
        // began is not seen (NULL), and that copy is taken for a duplicate.
        let differs: Option<bool> = row
            .try_get("differs")
            .map_err(|error| unavailable("unexpected answer", &error))?;
        Ok(if added > 0 {
            Enqueued::Accepted
        } else if differs == Some(true) {
            Enqueued::Conflict
        } else {
            Enqueued::Duplicate
        })
    }

    async fn take(
        &self,
        provider: &str,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<Job>, StoreError> {
        self.listen().await?;
        let until = tokio::time::Instant::now() + wait;
        loop {
            // Registered before the look, so that a job added meanwhile wakes this wait.
            let notified = self.inner.wakeup.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if let Some(job) = self.take_now(provider, visibility).await? {
                return Ok(Some(job));
            }
            self.recheck_task(provider);
            let now = tokio::time::Instant::now();
            if now >= until {
                return Ok(None);
            }
            let _ = tokio::time::timeout((until - now).min(self.inner.nap), notified).await;
        }
    }

    /// Renews the take's heartbeat: its visibility is the one it was taken with (part of its
    /// taker id), whatever `_visibility` says.
    async fn extend(&self, job: &Job, _visibility: Duration) -> Result<(), StoreError> {
        let graphile = job.graphile.as_deref().ok_or(StoreError::LeaseLost)?;
        let client = client(&self.inner.pool).await?;
        let held = client
            .query_opt(
                &prepared(&client, &self.inner.sql.extend).await?,
                &[graphile.id(), &taker(job.visibility, job.token)],
            )
            .await
            .map_err(|error| unavailable("cannot renew the heartbeat", &error))?;
        held.map(|_| ()).ok_or(StoreError::LeaseLost)
    }

    async fn complete(&self, job: &Job) -> Result<(), StoreError> {
        self.finish(job, Finish::Complete).await
    }

    async fn retry(&self, job: &Job, error: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.finish(job, Finish::Retry(error, at)).await
    }

    async fn release(&self, job: &Job) -> Result<(), StoreError> {
        self.finish(job, Finish::Release).await
    }

    async fn dead_letter(&self, job: &Job, error: &str) -> Result<(), StoreError> {
        self.finish(job, Finish::Dead(error)).await
    }

    async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let client = client(&self.inner.pool).await?;
        let (provider, keys, error, before) = filter_params(filter);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                &prepared(&client, &self.inner.sql.dead_letters).await?,
                &[&"dead", &provider, &keys, &error, &before, &limit],
            )
            .await
            .map_err(|error| unavailable("cannot list the dead letters", &error))?;
        rows.iter().map(read_row).collect()
    }

    async fn requeue(&self, filter: &DeadLetterFilter) -> Result<usize, StoreError> {
        let revived = self.revive("dead", filter).await?;
        Ok(usize::try_from(revived).unwrap_or(usize::MAX))
    }

    async fn replay(&self, id: &MessageId) -> Result<bool, StoreError> {
        let revived = self
            .revive("completed", &DeadLetterFilter::ids([id.clone()]))
            .await?;
        Ok(revived > 0)
    }

    async fn purge(&self, before: OffsetDateTime) -> Result<usize, StoreError> {
        let client = client(&self.inner.pool).await?;
        let seconds = before.unix_timestamp_nanos() as f64 / 1e9;
        let purged = client
            .execute(
                &prepared(&client, &self.inner.sql.purge).await?,
                &[&seconds],
            )
            .await
            .map_err(|error| unavailable("cannot purge", &error))?;
        Ok(usize::try_from(purged).unwrap_or(usize::MAX))
    }

    async fn stats(&self) -> Result<InboxStats, StoreError> {
        let client = client(&self.inner.pool).await?;
        let bad = |error: tokio_postgres::Error| unavailable("cannot count the deliveries", &error);
        let counts = client
            .query_one(&prepared(&client, &self.inner.sql.stats).await?, &[])
            .await
            .map_err(bad)?;
        let taken = client
            .query_one(
                &prepared(&client, &self.inner.sql.in_flight).await?,
                &[&self.inner.task_prefix],
            )
            .await
            .map_err(bad)?;
        let count = |row: &tokio_postgres::Row, name: &str| -> Result<usize, StoreError> {
            let n: i64 = row.try_get(name).map_err(bad)?;
            Ok(usize::try_from(n).unwrap_or_default())
        };
        let queued = count(&counts, "queued")?;
        let in_flight = count(&taken, "taken")?.min(queued);
        Ok(InboxStats {
            pending: queued - in_flight,
            in_flight,
            dead: count(&counts, "dead")?,
            completed: count(&counts, "completed")?,
        })
    }
}

/// A transaction for a handler's writes ([`Worker::run_in_transaction`]): queries on
/// [`client`](InboxTransaction::client) run inside it. Hand it back from the handler and the
/// worker records the completion in it and commits; drop it (return an error) and nothing of
/// it is kept.
pub struct InboxTransaction {
    /// `None` once committed.
    client: Option<deadpool_postgres::Client>,
}

impl fmt::Debug for InboxTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxTransaction")
            .field("open", &self.client.is_some())
            .finish()
    }
}

impl InboxTransaction {
    /// The connection the transaction is open on: `execute`, `query` and the rest of
    /// tokio-postgres's client run in the transaction. Do not `COMMIT` or `ROLLBACK` on it:
    /// the worker ends the transaction.
    ///
    /// # Panics
    ///
    /// Never: the connection is only taken away when the transaction ends, which consumes it.
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn client(&self) -> &tokio_postgres::Client {
        self.client
            .as_ref()
            .expect("an open transaction has its connection")
    }

    fn connection(&self) -> Result<&deadpool_postgres::Client, StoreError> {
        self.client.as_ref().ok_or(StoreError::LeaseLost)
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        let client = self.client.take().ok_or(StoreError::LeaseLost)?;
        match client.batch_execute("COMMIT").await {
            Ok(()) => Ok(()),
            Err(error) => {
                // Whether the commit happened is unknown; the connection is not reused.
                drop(deadpool_postgres::Object::take(client));
                Err(unavailable("cannot commit", &error))
            }
        }
    }
}

impl Drop for InboxTransaction {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Not committed: the connection leaves the pool and closes, and PostgreSQL rolls
            // the transaction back (no `ROLLBACK` can be awaited here).
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

/// A transactional run's failure: the handler failed, or its transaction did not commit.
enum InTransaction<E> {
    Handler(E),
    NotCommitted(StoreError),
}

impl<E: fmt::Display> fmt::Display for InTransaction<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InTransaction::NotCommitted(error) => {
                write!(f, "the run's transaction did not commit: {error}")
            }
            InTransaction::Handler(error) => error.fmt(f),
        }
    }
}

impl<P> Worker<P>
where
    P: Provider + Send + Sync + 'static,
    P::Event: Send + 'static,
{
    /// [`run`](Worker::run) with exactly-once effects: each run gets an [`InboxTransaction`]
    /// for the handler's writes, and the handler hands it back on success; the completion is
    /// then recorded in that transaction and committed with the writes. A run that fails,
    /// panics, is stopped or loses its take (its visibility ran out) commits nothing, and the
    /// delivery's next run starts on a clean slate. A commit whose answer is lost (the
    /// connection dropped during `COMMIT`) is counted `unrecorded`; if it did commit, the
    /// delivery is completed and not run again.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`](crate::ConfigError), before anything is taken, when the inbox does
    /// not keep its deliveries in a [`PostgresInbox`]: the handler's writes could not commit
    /// with the completion anywhere else.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use webhook_receiver::inbox::{Inbox, InboxTransaction, PostgresInbox, Worker};
    /// # use webhook_receiver::providers::munity::Munity;
    /// # async fn run(inbox: Inbox<Munity>) -> Result<(), webhook_receiver::ConfigError> {
    /// // inbox: Inbox::builder(munity, PostgresInbox::connect(..).await?).build()
    /// let worker = Worker::builder(inbox).concurrency(4).build();
    /// let report = worker
    ///     .run_in_transaction(
    ///         |delivery, tx: InboxTransaction| async move {
    ///             tx.client()
    ///                 .execute(
    ///                     "INSERT INTO signups (message_id) VALUES ($1)",
    ///                     &[&delivery.id.as_str()],
    ///                 )
    ///                 .await?;
    ///             Ok::<_, tokio_postgres::Error>(tx)
    ///         },
    ///         tokio::time::sleep(Duration::from_secs(60)),
    ///     )
    ///     .await?;
    /// println!("{} completed", report.completed);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_in_transaction<F, Fut, E>(
        &self,
        handler: F,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<super::WorkerReport, crate::ConfigError>
    where
        F: Fn(Delivery<P::Event>, InboxTransaction) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<InboxTransaction, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let inbox = self
            .inbox()
            .backend()
            .downcast_ref::<PostgresInbox>()
            .cloned()
            .ok_or_else(|| {
                crate::ConfigError::new(
                    "run_in_transaction needs an inbox that keeps its deliveries in PostgresInbox",
                )
            })?;
        Ok(self
            .run_jobs(
                move |delivery, job: &Job| {
                    let handler = handler.clone();
                    let inbox = inbox.clone();
                    let hold = Hold::of(job);
                    async move {
                        let transaction = match inbox.begin_run().await {
                            Ok(transaction) => transaction,
                            // The handler never ran: an outage, not a failed attempt.
                            Err(error) => return Ok(Ran::Unavailable(error)),
                        };
                        let transaction = handler(delivery, transaction)
                            .await
                            .map_err(InTransaction::Handler)?;
                        let recorded = match (hold, transaction.connection()) {
                            (Ok(hold), Ok(client)) => {
                                inbox.finish_in(client, &hold, Finish::Complete).await
                            }
                            (Err(error), _) | (_, Err(error)) => Err(error),
                        };
                        match recorded {
                            Ok(()) => {}
                            // Another take holds the delivery now: its end is that take's.
                            Err(StoreError::LeaseLost) => {
                                return Ok(Ran::Recorded(Err(StoreError::LeaseLost)));
                            }
                            // A transaction the handler left aborted (a failed statement), or
                            // a lost connection: rolled back with the handler's writes (the
                            // transaction is dropped), the take still holds the delivery, and
                            // the run failed like any other.
                            Err(error) => return Err(InTransaction::NotCommitted(error)),
                        }
                        match transaction.commit().await {
                            Ok(()) => Ok(Ran::Recorded(Ok(()))),
                            // Refused at `COMMIT` (a deferred constraint) or lost on the way:
                            // a failed run, retried or dead-lettered by the policy. Had it
                            // committed after all, the take no longer holds the delivery, and
                            // recording the failure finds that out (the run is unrecorded).
                            Err(error) => Err(InTransaction::NotCommitted(error)),
                        }
                    }
                },
                shutdown,
            )
            .await)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::future::Future as _;
    use std::task::{Context, Waker};

    use super::PostgresInbox;

    fn database() -> String {
        std::env::var("WEBHOOK_RECEIVER_TEST_POSTGRES").unwrap_or_else(|_| {
            "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test".to_owned()
        })
    }

    /// A transaction that cannot begin (the pool has no connection to give) is an outage:
    /// the handler never ran, so the delivery is handed back without spending an attempt. It
    /// once counted as a failed run, and with one attempt allowed the delivery went to the
    /// dead letters without its handler ever running.
    #[tokio::test]
    async fn a_transaction_that_cannot_begin_spends_no_attempt() {
        use std::sync::atomic::Ordering;
        use std::time::Duration;

        use crate::inbox::{Inbox, InboxReceived, InboxTransaction, RetryPolicy, Worker};
        use crate::providers::munity::Munity;
        use crate::verify::TokenScheme;
        use crate::{Delivery, Secret};

        let table = format!(
            "inbox_u{}_{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000
        );
        let backend = PostgresInbox::connect_with_table(&database(), &table)
            .await
            .unwrap();
        let munity =
            Munity::new(TokenScheme::new("x-munity-token", Secret::new("t").unwrap()).unwrap());
        let inbox = Inbox::builder(munity, backend.clone()).build();
        let body = br#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true}}"#;
        let received = inbox.receive(&[("x-munity-token", "t")][..], body).await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
        backend.inner.fail_begins.store(2, Ordering::SeqCst);
        let worker = Worker::builder(inbox.clone())
            .concurrency(1)
            .retry(RetryPolicy::attempts(1))
            .build();
        let probe = inbox.clone();
        let report =
            worker
                .run_in_transaction(
                    |_delivery: Delivery<crate::providers::munity::Webhook>,
                     tx: InboxTransaction| async move { Ok::<_, String>(tx) },
                    async move {
                        for _ in 0..1000 {
                            let stats = probe.stats().await.unwrap();
                            if stats.completed + stats.dead > 0 {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    },
                )
                .await
                .unwrap();
        let stats = inbox.stats().await.unwrap();
        assert_eq!((stats.completed, stats.dead), (1, 0), "{report:?}");
        assert_eq!((report.released, report.completed), (2, 1), "{report:?}");
    }

    /// A handler's transaction dropped while its `BEGIN` is on the wire (a worker stopped, a
    /// run abandoned) must not hand the pool a connection with the transaction open: the next
    /// user of that connection (a purge, an enqueue) would then write inside a transaction
    /// nobody commits, holding its row locks for good. It once did, and a contract test hung
    /// with an enqueue waiting on a purge's uncommitted `DELETE`.
    #[tokio::test]
    async fn a_begin_dropped_midway_leaves_no_open_transaction_in_the_pool() {
        let inbox = PostgresInbox::connect(&database()).await.unwrap();
        // One connection, so that the next `get` is the one `begin` had.
        inbox.inner.pool.resize(1);
        for _ in 0..3 {
            // Polled once: the connection is taken and `BEGIN` sent, then the future is
            // dropped before its answer.
            {
                let mut begin = std::pin::pin!(inbox.begin());
                let mut cx = Context::from_waker(Waker::noop());
                assert!(begin.as_mut().poll(&mut cx).is_pending());
            }
            let client = inbox.inner.pool.get().await.unwrap();
            let probe = client.batch_execute("SAVEPOINT probe").await;
            assert!(
                probe.is_err(),
                "a pooled connection is inside a transaction nobody will commit"
            );
        }
    }
}
