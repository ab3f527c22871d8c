-- Web rings: named circles of sites, visited one after another. A member is a site, by slug;
-- deleting a site takes it out of its rings.
CREATE TABLE web_rings (
    slug TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    owner_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE ring_members (
    ring_slug TEXT NOT NULL REFERENCES web_rings(slug),
    site_slug TEXT NOT NULL REFERENCES sites(slug) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (ring_slug, site_slug)
);
CREATE INDEX ring_members_site ON ring_members(site_slug);
