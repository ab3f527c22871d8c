-- A challenge may also prove a key an agent adds or changes to ('pubkey').
ALTER TABLE key_challenges DROP CONSTRAINT key_challenges_kind_check;
ALTER TABLE key_challenges ADD CONSTRAINT key_challenges_kind_check
    CHECK (kind IN ('register', 'recover', 'pubkey'));
