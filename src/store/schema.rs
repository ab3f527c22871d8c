// @generated automatically by Diesel CLI.

diesel::table! {
    chat_groups (id) {
        id -> Text,
        workspace_id -> Text,
        name -> Text,
        created_at -> BigInt,
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
    group_members (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        joined_at -> BigInt,
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
diesel::joinable!(conversations -> chat_groups (group_id));
diesel::joinable!(conversations -> users (created_by));
diesel::joinable!(conversations -> workspaces (workspace_id));
diesel::joinable!(group_members -> chat_groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(invites -> chat_groups (group_id));
diesel::joinable!(invites -> users (created_by));
diesel::joinable!(messages -> conversations (conversation_id));
diesel::joinable!(messages -> users (author_id));
diesel::joinable!(panels -> conversations (conversation_id));
diesel::joinable!(participants -> conversations (conversation_id));
diesel::joinable!(participants -> users (user_id));
diesel::joinable!(tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    chat_groups,
    conversations,
    group_members,
    invites,
    messages,
    panels,
    participants,
    tokens,
    users,
    workspaces,
);
