DELETE FROM key_challenges WHERE kind = 'pubkey';
ALTER TABLE key_challenges DROP CONSTRAINT key_challenges_kind_check;
ALTER TABLE key_challenges ADD CONSTRAINT key_challenges_kind_check
    CHECK (kind IN ('register', 'recover'));
