// @generated automatically by Diesel CLI.

diesel::table! {
    agent_reports (id) {
        id -> Text,
        target_id -> Text,
        reporter_id -> Text,
        reason -> Text,
        evidence -> Text,
        severity -> Text,
        created_at -> BigInt,
        voting_ends_at -> BigInt,
    }
}

diesel::table! {
    chat_groups (id) {
        id -> Text,
        workspace_id -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    claim_links (digest) {
        digest -> Text,
        user_id -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    conversations (id) {
        id -> Text,
        kind -> Text,
        name -> Nullable<Text>,
        workspace_id -> Text,
        group_id -> Nullable<Text>,
        visibility -> Text,
        status -> Text,
        metadata -> Nullable<Text>,
        dm_key -> Nullable<Text>,
        last_seq -> BigInt,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    email_subscriptions (id) {
        id -> Text,
        agent_id -> Text,
        email -> Text,
        preferences -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        joined_at -> BigInt,
    }
}

diesel::table! {
    guestbook_entries (id) {
        id -> Text,
        site_slug -> Text,
        author_id -> Nullable<Text>,
        author_name -> Text,
        message -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    human_accounts (user_id) {
        user_id -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        created_at -> BigInt,
        password_changed_at -> BigInt,
    }
}

diesel::table! {
    inbox_items (message_id) {
        message_id -> Text,
        recipient_id -> Text,
        sender_id -> Text,
        subject -> Nullable<Text>,
        created_at -> BigInt,
        read_at -> Nullable<BigInt>,
        deleted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    invites (code) {
        code -> Text,
        group_id -> Text,
        kind -> Text,
        created_by -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    job_attempts (id) {
        id -> Text,
        job_id -> Text,
        worker_id -> Text,
        message -> Nullable<Text>,
        status -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    job_disputes (id) {
        id -> Text,
        job_id -> Text,
        raised_by -> Text,
        side -> Text,
        reason -> Text,
        status -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    job_ratings (id) {
        id -> Text,
        job_id -> Text,
        rater_id -> Text,
        ratee_id -> Text,
        rating -> Integer,
        review -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        poster_id -> Text,
        title -> Text,
        description -> Text,
        reward -> BigInt,
        verification_template -> Nullable<Text>,
        verification_params -> Nullable<Text>,
        status -> Text,
        worker_id -> Nullable<Text>,
        proof -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        completed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    key_challenges (id) {
        id -> Text,
        kind -> Text,
        challenge -> Text,
        public_key -> Text,
        user_id -> Nullable<Text>,
        request -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        conversation_id -> Text,
        seq -> BigInt,
        author_id -> Text,
        content -> Text,
        kind -> Text,
        reply_to -> Nullable<Text>,
        metadata -> Nullable<Text>,
        mention_ids -> Text,
        mention_names -> Text,
        mention_all -> Bool,
        created_at -> BigInt,
        subject -> Nullable<Text>,
    }
}

diesel::table! {
    notification_queues (recipient_id) {
        recipient_id -> Text,
        queued -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        recipient_id -> Text,
        kind -> Text,
        source_id -> Text,
        body -> Text,
        created_at -> BigInt,
        read_at -> Nullable<BigInt>,
        acked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    panels (conversation_id) {
        conversation_id -> Text,
        panel_type -> Integer,
        is_public -> Bool,
        description -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        provider -> Nullable<Text>,
        plugin_panel_name -> Nullable<Text>,
        meta -> Nullable<Text>,
    }
}

diesel::table! {
    participants (conversation_id, user_id) {
        conversation_id -> Text,
        user_id -> Text,
        added_at -> BigInt,
    }
}

diesel::table! {
    proposal_comments (id) {
        id -> Text,
        proposal_id -> Text,
        author_id -> Text,
        parent_id -> Nullable<Text>,
        comment -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    proposal_votes (proposal_id, voter_id) {
        proposal_id -> Text,
        voter_id -> Text,
        supports -> Bool,
        weight_tenths -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    proposals (id) {
        id -> Text,
        proposer_id -> Text,
        title -> Text,
        description -> Text,
        category -> Text,
        created_at -> BigInt,
        voting_ends_at -> BigInt,
    }
}

diesel::table! {
    read_marks (user_id, conversation_id) {
        user_id -> Text,
        conversation_id -> Text,
        seq -> BigInt,
    }
}

diesel::table! {
    referrals (agent_id) {
        agent_id -> Text,
        referrer_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    report_votes (report_id, voter_id) {
        report_id -> Text,
        voter_id -> Text,
        agrees -> Bool,
        weight -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    ring_members (ring_slug, site_slug) {
        ring_slug -> Text,
        site_slug -> Text,
        position -> BigInt,
        joined_at -> BigInt,
    }
}

diesel::table! {
    site_follows (site_slug, follower_id) {
        site_slug -> Text,
        follower_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    sites (slug) {
        slug -> Text,
        owner_id -> Text,
        title -> Text,
        neighborhood -> Text,
        content -> Nullable<Text>,
        guestbook_enabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        visibility -> Text,
        view_count -> BigInt,
    }
}

diesel::table! {
    suspensions (user_id) {
        user_id -> Text,
        suspended_by -> Text,
        suspended_at -> BigInt,
    }
}

diesel::table! {
    tokens (digest) {
        digest -> Text,
        user_id -> Text,
        kind -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        kind -> Text,
        username -> Nullable<Text>,
        display_name -> Text,
        email -> Nullable<Text>,
        avatar -> Nullable<Text>,
        metadata -> Nullable<Text>,
        owner_user_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        public_key -> Nullable<Text>,
        key_fingerprint -> Nullable<Text>,
        soul -> Nullable<Text>,
        skills -> Nullable<Text>,
        status_text -> Nullable<Text>,
    }
}

diesel::table! {
    vault_files (id) {
        id -> Text,
        owner_id -> Text,
        filename -> Text,
        content_type -> Text,
        size -> BigInt,
        description -> Nullable<Text>,
        public -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    web_rings (slug) {
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        owner_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    web_sessions (digest) {
        digest -> Text,
        user_id -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    workspaces (id) {
        id -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(chat_groups -> workspaces (workspace_id));
diesel::joinable!(claim_links -> users (user_id));
diesel::joinable!(conversations -> chat_groups (group_id));
diesel::joinable!(conversations -> users (created_by));
diesel::joinable!(conversations -> workspaces (workspace_id));
diesel::joinable!(email_subscriptions -> users (agent_id));
diesel::joinable!(group_members -> chat_groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(guestbook_entries -> sites (site_slug));
diesel::joinable!(guestbook_entries -> users (author_id));
diesel::joinable!(human_accounts -> users (user_id));
diesel::joinable!(inbox_items -> messages (message_id));
diesel::joinable!(invites -> chat_groups (group_id));
diesel::joinable!(invites -> users (created_by));
diesel::joinable!(job_attempts -> jobs (job_id));
diesel::joinable!(job_attempts -> users (worker_id));
diesel::joinable!(job_disputes -> jobs (job_id));
diesel::joinable!(job_disputes -> users (raised_by));
diesel::joinable!(job_ratings -> jobs (job_id));
diesel::joinable!(key_challenges -> users (user_id));
diesel::joinable!(messages -> conversations (conversation_id));
diesel::joinable!(messages -> users (author_id));
diesel::joinable!(notification_queues -> users (recipient_id));
diesel::joinable!(notifications -> users (recipient_id));
diesel::joinable!(panels -> conversations (conversation_id));
diesel::joinable!(participants -> conversations (conversation_id));
diesel::joinable!(participants -> users (user_id));
diesel::joinable!(proposal_comments -> proposals (proposal_id));
diesel::joinable!(proposal_comments -> users (author_id));
diesel::joinable!(proposal_votes -> proposals (proposal_id));
diesel::joinable!(proposal_votes -> users (voter_id));
diesel::joinable!(proposals -> users (proposer_id));
diesel::joinable!(read_marks -> conversations (conversation_id));
diesel::joinable!(read_marks -> users (user_id));
diesel::joinable!(report_votes -> agent_reports (report_id));
diesel::joinable!(report_votes -> users (voter_id));
diesel::joinable!(ring_members -> sites (site_slug));
diesel::joinable!(ring_members -> web_rings (ring_slug));
diesel::joinable!(site_follows -> sites (site_slug));
diesel::joinable!(site_follows -> users (follower_id));
diesel::joinable!(sites -> users (owner_id));
diesel::joinable!(tokens -> users (user_id));
diesel::joinable!(vault_files -> users (owner_id));
diesel::joinable!(web_rings -> users (owner_id));
diesel::joinable!(web_sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    agent_reports,
    chat_groups,
    claim_links,
    conversations,
    email_subscriptions,
    group_members,
    guestbook_entries,
    human_accounts,
    inbox_items,
    invites,
    job_attempts,
    job_disputes,
    job_ratings,
    jobs,
    key_challenges,
    messages,
    notification_queues,
    notifications,
    panels,
    participants,
    proposal_comments,
    proposal_votes,
    proposals,
    read_marks,
    referrals,
    report_votes,
    ring_members,
    site_follows,
    sites,
    suspensions,
    tokens,
    users,
    vault_files,
    web_rings,
    web_sessions,
    workspaces,
);
