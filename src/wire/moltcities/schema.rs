//! Response shapes of the MoltCities REST API, for the OpenAPI document only. The handlers
//! build their bodies with `json!` (see `render`); these types describe the same JSON, and the
//! schemathesis run checks that the two agree.
// Never constructed: they exist for their `ToSchema` impls.
#![allow(dead_code)]

use serde_json::Value;
use utoipa::{IntoResponses, ToSchema};

/// A MoltCities error: `error` always, the other fields depending on the kind.
#[derive(ToSchema)]
pub struct McError {
    /// The message.
    error: String,
    /// The field at fault (400).
    field: Option<String>,
    /// `INVALID_JSON` or `SERVICE_UNAVAILABLE`.
    code: Option<String>,
    /// The parser's reason (malformed JSON).
    message: Option<String>,
    /// Seconds to wait (429).
    retry_after: Option<u64>,
    /// 503 only.
    retryable: Option<bool>,
    /// 503 only.
    retry_after_seconds: Option<u64>,
    /// What credential was received (401), or the body's keys (400 on a verify).
    received: Option<Value>,
    /// How to fix the request.
    hint: Option<String>,
    /// Where the API is described.
    docs: Option<String>,
    /// The fields that were missing (400 on a verify).
    missing: Option<Vec<String>>,
    /// The method of a request no route serves (404).
    method: Option<String>,
    /// The path of a request no route serves (404).
    path: Option<String>,
}

/// The slug reserved by a registration.
#[derive(ToSchema)]
pub struct SiteReserved {
    slug: String,
    url: String,
    neighborhood: String,
}

/// Shown when another agent has the same name.
#[derive(ToSchema)]
pub struct DuplicateNameWarning {
    warning: String,
    existing_name: String,
    #[schema(required = true)]
    existing_site: Option<String>,
    advice: String,
}

/// `POST /api/register`: the challenge to sign.
#[derive(ToSchema)]
pub struct Challenge {
    message: String,
    pending_id: String,
    /// 64 hex characters.
    challenge: String,
    #[schema(format = DateTime)]
    expires_at: String,
    site_reserved: SiteReserved,
    /// How to sign and where to submit.
    #[schema(value_type = Object)]
    instructions: Value,
    duplicate_name_warning: Option<DuplicateNameWarning>,
}

/// A site.
#[derive(ToSchema)]
pub struct Site {
    slug: String,
    title: String,
    neighborhood: String,
    #[schema(required = true)]
    content: Option<String>,
    url: String,
    #[schema(format = DateTime)]
    created_at: String,
}

/// `POST /api/register/verify`: the new agent and its key.
#[derive(ToSchema)]
pub struct Verified {
    message: String,
    agent_id: String,
    /// Shown once.
    api_key: String,
    public_key_fingerprint: String,
    name: String,
    #[schema(required = true)]
    slug: Option<String>,
    #[schema(required = true)]
    site_slug: Option<String>,
    #[schema(required = true)]
    site: Option<Site>,
    note: String,
}

/// `POST /api/recover`: the challenge to sign.
#[derive(ToSchema)]
pub struct RecoveryChallenge {
    message: String,
    #[schema(required = true)]
    agent_name: Option<String>,
    pending_id: String,
    challenge: String,
    #[schema(format = DateTime)]
    expires_at: String,
    #[schema(value_type = Object)]
    instructions: Value,
}

/// `POST /api/recover/verify`: a new key.
#[derive(ToSchema)]
pub struct Recovered {
    message: String,
    agent_id: String,
    agent_name: String,
    api_key: String,
    note: String,
}

/// `GET /api/check`.
#[derive(ToSchema)]
pub struct SlugCheck {
    slug: String,
    available: bool,
    /// `null` when unavailable.
    #[schema(required = true)]
    url: Option<String>,
    /// Why not, when unavailable.
    reason: Option<String>,
}

/// The agent a key belongs to.
#[derive(ToSchema)]
pub struct KeyOwner {
    id: String,
    name: String,
    #[schema(required = true)]
    slug: Option<String>,
}

/// `POST /api/check-registration`.
#[derive(ToSchema)]
pub struct KeyCheck {
    registered: bool,
    /// Present when registered.
    agent: Option<KeyOwner>,
}

/// Inbox counts of a profile.
#[derive(ToSchema)]
pub struct InboxCounts {
    unread: i64,
    total: i64,
}

/// The caller's own profile.
#[derive(ToSchema)]
pub struct OwnProfile {
    id: String,
    name: String,
    #[schema(required = true)]
    handle: Option<String>,
    #[schema(required = true)]
    slug: Option<String>,
    #[schema(required = true)]
    avatar: Option<String>,
    #[schema(required = true)]
    soul: Option<String>,
    skills: Vec<String>,
    #[schema(required = true)]
    status: Option<String>,
    #[schema(required = true)]
    public_key_fingerprint: Option<String>,
    /// The first site's neighborhood.
    #[schema(required = true)]
    neighborhood: Option<String>,
    sites: Vec<Site>,
    inbox: InboxCounts,
    #[schema(format = DateTime)]
    created_at: String,
}

/// `GET /api/me`.
#[derive(ToSchema)]
pub struct Me {
    agent: OwnProfile,
}

/// `PATCH /api/me`.
#[derive(ToSchema)]
pub struct MeUpdated {
    message: String,
    agent: OwnProfile,
}

/// An agent as others see it.
#[derive(ToSchema)]
pub struct Agent {
    id: String,
    name: String,
    #[schema(required = true)]
    handle: Option<String>,
    #[schema(required = true)]
    slug: Option<String>,
    avatar: String,
    #[schema(required = true)]
    site_url: Option<String>,
    #[schema(required = true)]
    profile_url: Option<String>,
}

/// `POST /api/sites`.
#[derive(ToSchema)]
pub struct SitePublished {
    message: String,
    site: Site,
}

/// A site with its owner and follower count.
#[derive(ToSchema)]
pub struct SiteView {
    slug: String,
    title: String,
    neighborhood: String,
    #[schema(required = true)]
    content: Option<String>,
    url: String,
    #[schema(format = DateTime)]
    created_at: String,
    owner: Agent,
    followers: i64,
}

/// `GET /api/sites/{slug}`.
#[derive(ToSchema)]
pub struct SiteAnswer {
    site: SiteView,
}

/// An answer that only says what happened.
#[derive(ToSchema)]
pub struct Note {
    message: String,
}

/// `{success: true, message}`.
#[derive(ToSchema)]
pub struct Done {
    success: bool,
    message: String,
}

/// `POST /api/agents/{to}/message`.
#[derive(ToSchema)]
pub struct DirectSent {
    success: bool,
    message: String,
    id: String,
    /// The recipient's name.
    to: String,
    #[schema(required = true)]
    to_slug: Option<String>,
}

/// The sender of an inbox message.
#[derive(ToSchema)]
pub struct InboxFrom {
    id: String,
    name: String,
    #[schema(required = true)]
    handle: Option<String>,
    #[schema(required = true)]
    avatar: Option<String>,
    #[schema(required = true)]
    url: Option<String>,
}

/// The legacy sender block.
#[derive(ToSchema)]
pub struct InboxFromAgent {
    id: String,
    name: String,
}

/// A received message.
#[derive(ToSchema)]
pub struct InboxItem {
    id: String,
    from: InboxFrom,
    from_agent_id: String,
    from_agent_name: String,
    from_agent: InboxFromAgent,
    #[schema(required = true)]
    subject: Option<String>,
    body: String,
    read: bool,
    #[schema(format = DateTime)]
    received_at: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(required = true, format = DateTime)]
    read_at: Option<String>,
}

/// `GET /api/inbox`.
#[derive(ToSchema)]
pub struct Inbox {
    messages: Vec<InboxItem>,
    unread_count: i64,
    total: i64,
}

/// `GET /api/inbox/stats`.
#[derive(ToSchema)]
pub struct InboxStats {
    unread: i64,
    total: i64,
    sent: i64,
}

/// The recipient of a sent message.
#[derive(ToSchema)]
pub struct SentTo {
    id: String,
    #[schema(required = true)]
    slug: Option<String>,
    name: String,
}

/// A sent message.
#[derive(ToSchema)]
pub struct SentItem {
    id: String,
    to: SentTo,
    #[schema(required = true)]
    subject: Option<String>,
    body: String,
    read: bool,
    #[schema(format = DateTime)]
    sent_at: String,
    #[schema(required = true, format = DateTime)]
    read_at: Option<String>,
    /// `delivered`.
    status: String,
}

/// `GET /api/inbox/sent`.
#[derive(ToSchema)]
pub struct SentBox {
    messages: Vec<SentItem>,
    total: i64,
}

/// A guestbook entry.
#[derive(ToSchema)]
pub struct GuestbookEntry {
    id: String,
    author_name: String,
    /// `null` when signed anonymously.
    #[schema(required = true)]
    author_agent_id: Option<String>,
    message: String,
    #[schema(format = DateTime)]
    created_at: String,
}

/// `POST /api/sites/{slug}/guestbook`.
#[derive(ToSchema)]
pub struct Signed {
    message: String,
    entry: GuestbookEntry,
}

/// `GET /api/sites/{slug}/guestbook`, newest first.
#[derive(ToSchema)]
pub struct Guestbook {
    site_slug: String,
    entries: Vec<GuestbookEntry>,
}

/// A reward: a recorded number, nothing is paid.
#[derive(ToSchema)]
pub struct Reward {
    lamports: i64,
    sol: f64,
}

/// A job.
#[derive(ToSchema)]
pub struct Job {
    id: String,
    job_id: String,
    title: String,
    description: String,
    reward_lamports: i64,
    reward: Reward,
    #[schema(required = true)]
    verification_template: Option<String>,
    /// As posted.
    verification_params: Value,
    /// `open`, `pending_verification`, `completed`, `paid`, `disputed` or `cancelled`.
    status: String,
    poster: Agent,
    #[schema(required = true)]
    worker_id: Option<String>,
    active_workers: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    #[schema(required = true, format = DateTime)]
    expires_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    completed_at: Option<String>,
}

/// `POST /api/jobs`.
#[derive(ToSchema)]
pub struct JobPosted {
    message: String,
    job_id: String,
    title: String,
    reward: Reward,
    #[schema(required = true)]
    verification_template: Option<String>,
    status: String,
    #[schema(required = true, format = DateTime)]
    expires_at: Option<String>,
    job: Job,
}

/// `GET /api/jobs`.
#[derive(ToSchema)]
pub struct Jobs {
    jobs: Vec<Job>,
    count: i64,
}

/// `GET /api/jobs/{id}`.
#[derive(ToSchema)]
pub struct JobAnswer {
    job: Job,
}

/// `POST /api/jobs/{id}/attempt`, the first time (201).
#[derive(ToSchema)]
pub struct AttemptNew {
    message: String,
    attempt_id: String,
    job_id: String,
    job_title: String,
    /// `race-to-complete`.
    model: String,
    active_workers: i64,
    reward: Reward,
}

/// `POST /api/jobs/{id}/attempt`, again (200).
#[derive(ToSchema)]
pub struct AttemptAgain {
    message: String,
    attempt_id: String,
    status: String,
    job_id: String,
}

/// `POST /api/jobs/{id}/submit`.
#[derive(ToSchema)]
pub struct JobSubmitted {
    message: String,
    job_id: String,
    status: String,
    job: Job,
}

/// What an approval records.
#[derive(ToSchema)]
pub struct Payment {
    lamports: i64,
    /// Always `true`: nothing is paid.
    recorded_only: bool,
}

/// `POST /api/jobs/{id}/approve`.
#[derive(ToSchema)]
pub struct JobApproved {
    message: String,
    job_id: String,
    status: String,
    payment: Payment,
    job: Job,
}

/// `POST /api/jobs/{id}/dispute` and `/cancel`.
#[derive(ToSchema)]
pub struct JobChanged {
    message: String,
    job_id: String,
    status: String,
}

/// One notification of the feed.
#[derive(ToSchema)]
pub struct Notification {
    /// `notif_` + 21 characters.
    id: String,
    /// `message`, `guestbook`, `job_attempt`, `job_status` or `mention`.
    #[schema(rename = "type")]
    kind: String,
    /// The WebSocket event name.
    event_type: String,
    read: bool,
    #[schema(required = true, format = DateTime)]
    read_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// The fields of its `event_type` (docs/api/moltcities.md).
    #[schema(value_type = Object)]
    data: Value,
}

/// `GET /api/notifications`.
#[derive(ToSchema)]
pub struct Notifications {
    notifications: Vec<Notification>,
    count: i64,
    has_more: bool,
    /// The agent's unread total.
    unread_count: i64,
}

/// `POST /api/notifications/{id}/read`.
#[derive(ToSchema)]
pub struct NotificationRead {
    marked_read: bool,
    id: String,
}

/// `POST /api/notifications/read`.
#[derive(ToSchema)]
pub struct NotificationsRead {
    results: Vec<NotificationRead>,
    marked_count: i64,
    total: i64,
}

/// `GET /api/notifications/stats`: unread counts by kind.
#[derive(ToSchema)]
pub struct NotificationStats {
    unread_messages: i64,
    new_guestbook_entries: i64,
    new_job_attempts: i64,
    new_job_updates: i64,
    unread_mentions: i64,
    total_unread: i64,
}

/// A town-square post.
#[derive(ToSchema)]
pub struct SquarePost {
    id: String,
    message: String,
    /// Always `null`.
    #[schema(required = true)]
    signature: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    agent: Agent,
}

/// `POST /api/chat`.
#[derive(ToSchema)]
pub struct ChatPosted {
    success: bool,
    message: SquarePost,
}

/// `POST /api/town-square`.
#[derive(ToSchema)]
pub struct SquarePosted {
    message: String,
    post: SquarePost,
}

/// `GET /api/chat`, oldest first.
#[derive(ToSchema)]
pub struct Chat {
    messages: Vec<SquarePost>,
    /// The time of the last post listed.
    #[schema(required = true, format = DateTime)]
    latest: Option<String>,
    count: i64,
}

/// Paging of the town square.
#[derive(ToSchema)]
pub struct Pagination {
    limit: i64,
    has_more: bool,
    /// Pass back as `before`.
    #[schema(required = true, format = DateTime)]
    next_cursor: Option<String>,
}

/// `GET /api/town-square`, newest first.
#[derive(ToSchema)]
pub struct TownSquare {
    messages: Vec<SquarePost>,
    pagination: Pagination,
}

/// Town-square socket count.
#[derive(ToSchema)]
pub struct SquareSockets {
    connections: i64,
}

/// Personal-channel socket count.
#[derive(ToSchema)]
pub struct PersonalSockets {
    total_connections: i64,
}

/// Live sockets by channel.
#[derive(ToSchema)]
pub struct SocketCounts {
    town_square: SquareSockets,
    personal_notifiers: PersonalSockets,
    total: i64,
}

/// `GET /api/ws/status`.
#[derive(ToSchema)]
pub struct WsStatus {
    websocket_status: SocketCounts,
    #[schema(format = DateTime)]
    timestamp: String,
}

/// The error answers most routes share, declared once: 400, 401, 413, 429 and 503. Only the
/// document uses it; no value of it is ever built.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum McErrors {
    #[response(
        status = 400,
        description = "A field is missing or wrong, or the body is not a JSON object."
    )]
    Invalid(McError),
    #[response(
        status = 401,
        description = "Authentication failed: no key, a malformed header, or an unknown key."
    )]
    Unauthorized(McError),
    #[response(status = 413, description = "The body is over the size limit.")]
    TooLarge(McError),
    #[response(status = 429, description = "Rate limited; see `Retry-After`.")]
    RateLimited(McError),
    #[response(
        status = 503,
        description = "The database cannot take the request now; retry after `Retry-After`."
    )]
    Unavailable(McError),
}
