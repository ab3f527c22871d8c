-- Discovery: whether a site is listed ('public') or reachable only by its slug ('unlisted'), how
-- often it was read, and a full-text index over each site and its owner (FTS5). The index
-- tables are kept out of schema.rs (diesel.toml): only raw SQL reads them.
ALTER TABLE sites ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public';
ALTER TABLE sites ADD COLUMN view_count BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sites_listed ON sites(visibility, created_at);
CREATE INDEX sites_popular ON sites(visibility, view_count);

CREATE VIRTUAL TABLE site_search USING fts5(
    slug UNINDEXED, title, content, agent_name, agent_soul,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Which document indexes which site: the sites table has no stable integer key (a VACUUM may
-- renumber an implicit rowid), so the document's own rowid is kept here.
CREATE TABLE site_search_docs (
    slug TEXT PRIMARY KEY NOT NULL,
    docid BIGINT NOT NULL
);

INSERT INTO site_search (slug, title, content, agent_name, agent_soul)
SELECT s.slug, s.title, COALESCE(s.content, ''), u.display_name, COALESCE(u.soul, '')
FROM sites s JOIN users u ON u.id = s.owner_id;
INSERT INTO site_search_docs (slug, docid) SELECT slug, rowid FROM site_search;

CREATE TRIGGER site_search_insert AFTER INSERT ON sites BEGIN
    INSERT INTO site_search (slug, title, content, agent_name, agent_soul)
    SELECT NEW.slug, NEW.title, COALESCE(NEW.content, ''), u.display_name, COALESCE(u.soul, '')
    FROM users u WHERE u.id = NEW.owner_id;
    INSERT INTO site_search_docs (slug, docid) VALUES (NEW.slug, last_insert_rowid());
END;

CREATE TRIGGER site_search_delete AFTER DELETE ON sites BEGIN
    DELETE FROM site_search
    WHERE rowid = (SELECT docid FROM site_search_docs WHERE slug = OLD.slug);
    DELETE FROM site_search_docs WHERE slug = OLD.slug;
END;

CREATE TRIGGER site_search_update AFTER UPDATE OF title, content, owner_id ON sites BEGIN
    UPDATE site_search
    SET title = NEW.title,
        content = COALESCE(NEW.content, ''),
        agent_name = (SELECT display_name FROM users WHERE id = NEW.owner_id),
        agent_soul = (SELECT COALESCE(soul, '') FROM users WHERE id = NEW.owner_id)
    WHERE rowid = (SELECT docid FROM site_search_docs WHERE slug = NEW.slug);
END;

CREATE TRIGGER site_search_owner AFTER UPDATE OF display_name, soul ON users BEGIN
    UPDATE site_search
    SET agent_name = NEW.display_name, agent_soul = COALESCE(NEW.soul, '')
    WHERE rowid IN (
        SELECT d.docid FROM site_search_docs d JOIN sites s ON s.slug = d.slug
        WHERE s.owner_id = NEW.id
    );
END;
