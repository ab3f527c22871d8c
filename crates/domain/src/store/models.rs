//! Row models: one struct per table, as stored. Domain meaning lives in `core`.

use diesel::prelude::*;

use super::schema::*;

/// A workspace row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = workspaces)]
pub struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// A group row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_groups)]
pub struct GroupRow {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub created_at: i64,
}

/// A user row: an agent or a human.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub kind: String,
    pub username: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub metadata: Option<String>,
    pub owner_user_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A credential digest row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tokens)]
pub struct TokenRow {
    pub digest: String,
    pub user_id: String,
    pub kind: String,
    pub created_at: i64,
}

/// A group membership row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_members)]
pub struct GroupMemberRow {
    pub group_id: String,
    pub user_id: String,
    pub joined_at: i64,
}

/// A conversation row (session or panel).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = conversations)]
pub struct ConversationRow {
    pub id: String,
    pub kind: String,
    pub name: Option<String>,
    pub workspace_id: String,
    pub group_id: Option<String>,
    pub visibility: String,
    pub status: String,
    pub metadata: Option<String>,
    pub dm_key: Option<String>,
    pub last_seq: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Panel attributes of a panel conversation.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = panels)]
#[diesel(treat_none_as_null = true)]
pub struct PanelRow {
    pub conversation_id: String,
    pub panel_type: i32,
    pub is_public: bool,
    pub description: Option<String>,
    pub parent_id: Option<String>,
    pub provider: Option<String>,
    pub plugin_panel_name: Option<String>,
    pub meta: Option<String>,
}

/// A participant row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = participants)]
pub struct ParticipantRow {
    pub conversation_id: String,
    pub user_id: String,
    pub added_at: i64,
}

/// A message row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub author_id: String,
    pub content: String,
    pub kind: String,
    pub reply_to: Option<String>,
    pub metadata: Option<String>,
    pub mention_ids: String,
    pub mention_names: String,
    pub mention_all: bool,
    pub created_at: i64,
    pub subject: Option<String>,
}

/// An invite row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invites)]
pub struct InviteRow {
    pub code: String,
    pub group_id: String,
    pub kind: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// The MoltCities profile columns of an agent.
#[derive(Debug, Clone, Queryable, Selectable, AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct ProfileRow {
    pub public_key: Option<String>,
    pub key_fingerprint: Option<String>,
    pub soul: Option<String>,
    pub skills: Option<String>,
    pub status_text: Option<String>,
}

/// A site row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sites)]
pub struct SiteRow {
    pub slug: String,
    pub owner_id: String,
    pub title: String,
    pub neighborhood: String,
    pub content: Option<String>,
    pub guestbook_enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub visibility: String,
    pub view_count: i64,
}

impl SiteRow {
    /// A new public site with its guestbook open and no views yet.
    pub fn new(
        slug: String,
        owner_id: String,
        title: String,
        neighborhood: String,
        content: Option<String>,
        now: i64,
    ) -> SiteRow {
        SiteRow {
            slug,
            owner_id,
            title,
            neighborhood,
            content,
            guestbook_enabled: true,
            created_at: now,
            updated_at: now,
            visibility: "public".into(),
            view_count: 0,
        }
    }
}

/// The changes an owner makes to a site; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = sites)]
pub struct SiteChanges {
    pub title: Option<String>,
    pub content: Option<Option<String>>,
    pub visibility: Option<String>,
    pub guestbook_enabled: Option<bool>,
    pub updated_at: Option<i64>,
}

/// A web ring.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = web_rings)]
pub struct RingRow {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub owner_id: String,
    pub created_at: i64,
}

/// A site's place in a web ring.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ring_members)]
pub struct RingMemberRow {
    pub ring_slug: String,
    pub site_slug: String,
    pub position: i64,
    pub joined_at: i64,
}

/// A governance proposal.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = proposals)]
pub struct ProposalRow {
    pub id: String,
    pub proposer_id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub created_at: i64,
    pub voting_ends_at: i64,
}

/// A vote on a proposal.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = proposal_votes)]
pub struct VoteRow {
    pub proposal_id: String,
    pub voter_id: String,
    pub supports: bool,
    pub weight_tenths: i64,
    pub created_at: i64,
}

/// A comment on a proposal.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = proposal_comments)]
pub struct CommentRow {
    pub id: String,
    pub proposal_id: String,
    pub author_id: String,
    pub parent_id: Option<String>,
    pub comment: String,
    pub created_at: i64,
}

/// A file in an agent's vault (its bytes are on disk under its id).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = vault_files)]
pub struct VaultFileRow {
    pub id: String,
    pub owner_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub description: Option<String>,
    pub public: bool,
    pub created_at: i64,
}

/// A report of an agent.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agent_reports)]
pub struct ReportRow {
    pub id: String,
    pub target_id: String,
    pub reporter_id: String,
    pub reason: String,
    pub evidence: String,
    pub severity: String,
    pub created_at: i64,
    pub voting_ends_at: i64,
}

/// A vote on a report.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_votes)]
pub struct ReportVoteRow {
    pub report_id: String,
    pub voter_id: String,
    pub agrees: bool,
    pub weight: i64,
    pub created_at: i64,
}

/// A follow of a site.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = site_follows)]
pub struct FollowRow {
    pub site_slug: String,
    pub follower_id: String,
    pub created_at: i64,
}

/// A pending register/recover challenge.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = key_challenges)]
pub struct ChallengeRow {
    pub id: String,
    pub kind: String,
    pub challenge: String,
    pub public_key: String,
    pub user_id: Option<String>,
    pub request: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A queued notification.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: String,
    pub recipient_id: String,
    pub kind: String,
    pub source_id: String,
    pub body: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub acked_at: Option<i64>,
}

/// The recipient's state of one direct message.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = inbox_items)]
pub struct InboxRow {
    pub message_id: String,
    pub recipient_id: String,
    pub sender_id: String,
    pub subject: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub deleted_at: Option<i64>,
}

/// A guestbook entry.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = guestbook_entries)]
pub struct GuestbookRow {
    pub id: String,
    pub site_slug: String,
    pub author_id: Option<String>,
    pub author_name: String,
    pub message: String,
    pub created_at: i64,
}

/// A job.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    pub id: String,
    pub poster_id: String,
    pub title: String,
    pub description: String,
    pub reward: i64,
    pub verification_template: Option<String>,
    pub verification_params: Option<String>,
    pub status: String,
    pub worker_id: Option<String>,
    pub proof: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// A worker's attempt at a job.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = job_attempts)]
pub struct AttemptRow {
    pub id: String,
    pub job_id: String,
    pub worker_id: String,
    pub message: Option<String>,
    pub status: String,
    pub created_at: i64,
}

/// A human's password and role: present once the human signed up or claimed their account.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = human_accounts)]
pub struct HumanAccountRow {
    pub user_id: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: i64,
    pub password_changed_at: i64,
}

/// A browser session: the digest of its cookie value, never the value.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = web_sessions)]
pub struct WebSessionRow {
    pub digest: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// A one-time claim link of a human without a password: the digest of its token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = claim_links)]
pub struct ClaimLinkRow {
    pub digest: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// One party's rating of the other on a finished job.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = job_ratings)]
pub struct RatingRow {
    pub id: String,
    pub job_id: String,
    pub rater_id: String,
    pub ratee_id: String,
    pub rating: i32,
    pub review: Option<String>,
    pub created_at: i64,
}

/// A dispute raised on a job, kept for the platform to review.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = job_disputes)]
pub struct DisputeRow {
    pub id: String,
    pub job_id: String,
    pub raised_by: String,
    pub side: String,
    pub reason: String,
    pub status: String,
    pub created_at: i64,
}

/// An e-mail address an agent subscribed for updates; `preferences` is a JSON object.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = email_subscriptions)]
pub struct SubscriptionRow {
    pub id: String,
    pub agent_id: String,
    pub email: String,
    pub preferences: String,
    pub created_at: i64,
}

/// Who referred an agent.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = referrals)]
pub struct ReferralRow {
    pub agent_id: String,
    pub referrer_id: String,
    pub created_at: i64,
}
