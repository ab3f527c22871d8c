-- Discovery: whether a site is listed ('public') or reachable only by its slug ('unlisted'), how
-- often it was read, and a full-text index over each site and its owner (a tsvector per site
-- under a GIN index, kept by triggers as SQLite's FTS5 table is). The index table is kept out
-- of schema.rs (diesel.toml): only raw SQL reads it.
ALTER TABLE sites ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public';
ALTER TABLE sites ADD COLUMN view_count BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sites_listed ON sites(visibility, created_at);
CREATE INDEX sites_popular ON sites(visibility, view_count);

CREATE TABLE site_search (
    slug TEXT PRIMARY KEY NOT NULL REFERENCES sites(slug) ON DELETE CASCADE,
    document TSVECTOR NOT NULL
);
CREATE INDEX site_search_document ON site_search USING GIN (document);

-- Title and owner name weigh most, then the owner's soul, then the site's text.
CREATE FUNCTION site_search_document(title TEXT, content TEXT, agent_name TEXT, agent_soul TEXT)
RETURNS TSVECTOR LANGUAGE sql IMMUTABLE AS $$
    SELECT setweight(to_tsvector('simple', COALESCE(title, '')), 'A')
        || setweight(to_tsvector('simple', COALESCE(agent_name, '')), 'A')
        || setweight(to_tsvector('simple', COALESCE(agent_soul, '')), 'B')
        || setweight(to_tsvector('simple', COALESCE(content, '')), 'C')
$$;

INSERT INTO site_search (slug, document)
SELECT s.slug, site_search_document(s.title, s.content, u.display_name, u.soul)
FROM sites s JOIN users u ON u.id = s.owner_id;

CREATE FUNCTION site_search_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO site_search (slug, document)
    SELECT NEW.slug, site_search_document(NEW.title, NEW.content, u.display_name, u.soul)
    FROM users u WHERE u.id = NEW.owner_id
    ON CONFLICT (slug) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END;
$$;
CREATE TRIGGER site_search_index AFTER INSERT OR UPDATE OF title, content, owner_id ON sites
FOR EACH ROW EXECUTE FUNCTION site_search_index();

CREATE FUNCTION site_search_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE site_search ss
    SET document = site_search_document(s.title, s.content, NEW.display_name, NEW.soul)
    FROM sites s
    WHERE s.slug = ss.slug AND s.owner_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER site_search_owner AFTER UPDATE OF display_name, soul ON users
FOR EACH ROW EXECUTE FUNCTION site_search_owner();
