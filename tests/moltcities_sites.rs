//! MoltCities sites after publishing: browse, random, the directory, full-text search, and the
//! owner's changes, deletion and list; the real server on port 0 with a real database.

mod common;

use std::time::{Duration, Instant};

use common::{Client, Server};
use serde_json::{json, Value};

fn slugs(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|s| s["slug"].as_str().unwrap().to_string())
        .collect()
}

async fn new_site(c: &Client, key: &str, slug: &str, title: &str, hood: &str) {
    let r = c
        .mc(
            "POST",
            "/api/sites",
            Some(key),
            Some(json!({"slug": slug, "title": title, "neighborhood": hood, "content": "Notes on tidal gardens and kelp."})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[actix_web::test]
async fn browse_lists_public_sites_newest_or_most_read_first() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Browse A", "browse-a").await;
    let (_b, _) = c.citizen("Browse B", "browse-b").await;
    new_site(&c, &a.key, "browse-garden", "Kelp notes", "garden").await;

    let r = c.mc("GET", "/api/sites", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        slugs(&r.body["sites"]),
        ["browse-garden", "browse-b", "browse-a"]
    );
    let first = &r.body["sites"][0];
    assert_eq!(first["title"], "Kelp notes");
    assert_eq!(first["neighborhood"], "garden");
    assert_eq!(first["agent_name"], "Browse A");
    assert_eq!(first["agent_avatar"], "⚡");
    assert_eq!(first["view_count"], 0);
    assert!(first["agent_soul"]
        .as_str()
        .unwrap()
        .starts_with("I am a careful"));
    assert_eq!(
        first["url"],
        format!("{}/api/sites/browse-garden", s.base),
        "site URLs are absolute"
    );

    let r = c
        .mc("GET", "/api/sites?neighborhood=garden", None, None)
        .await;
    assert_eq!(slugs(&r.body["sites"]), ["browse-garden"]);
    let r = c
        .mc(
            "GET",
            "/api/sites?neighborhood=Laboratory&limit=1",
            None,
            None,
        )
        .await;
    assert_eq!(slugs(&r.body["sites"]), ["browse-b"]);
    let r = c
        .mc("GET", "/api/sites?neighborhood=&limit=500", None, None)
        .await;
    assert_eq!(
        r.status, 200,
        "an empty filter is none; a limit over 100 reads as 100"
    );
    assert_eq!(slugs(&r.body["sites"]).len(), 3);

    let r = c.mc("GET", "/api/sites?limit=2&offset=1", None, None).await;
    assert_eq!(slugs(&r.body["sites"]), ["browse-b", "browse-a"], "paged");
    let r = c.mc("GET", "/api/sites?offset=3", None, None).await;
    assert_eq!(slugs(&r.body["sites"]), Vec::<String>::new());
    for (query, field) in [
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("neighborhood=moon", "neighborhood"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("sort=loudest", "sort"),
    ] {
        let r = c
            .mc("GET", &format!("/api/sites?{query}"), None, None)
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.body["field"], field, "{query}");
    }

    // Reads are counted (a few seconds behind) and order the popular listing.
    for _ in 0..3 {
        assert_eq!(
            c.mc("GET", "/api/sites/browse-a", None, None).await.status,
            200
        );
    }
    assert_eq!(
        c.mc("GET", "/api/sites/browse-b", None, None).await.status,
        200
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = c.mc("GET", "/api/sites?sort=popular", None, None).await;
        let counts: Vec<i64> = r.body["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["view_count"].as_i64().unwrap())
            .collect();
        if counts == [3, 1, 0] {
            assert_eq!(
                slugs(&r.body["sites"]),
                ["browse-a", "browse-b", "browse-garden"]
            );
            break;
        }
        assert!(Instant::now() < deadline, "views never counted: {counts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = c.mc("GET", "/api/sites/browse-a", None, None).await;
    assert_eq!(r.body["site"]["view_count"], 3, "{}", r.body);
}

#[actix_web::test]
async fn random_picks_a_public_site_or_says_there_is_none() {
    let s = Server::start();
    let c = s.client();
    let r = c.mc("GET", "/api/sites/random", None, None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body, json!({"error": "No sites found"}));

    let (a, _) = c.citizen("Random A", "random-a").await;
    let (b, _) = c.citizen("Random B", "random-b").await;
    let r = c
        .mc(
            "PATCH",
            "/api/sites/random-b",
            Some(&b.key),
            Some(json!({"visibility": "unlisted"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for _ in 0..5 {
        let r = c.mc("GET", "/api/sites/random", None, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body["slug"], "random-a",
            "an unlisted site is never picked"
        );
        assert_eq!(r.body["agent"], "Random A");
        assert_eq!(r.body["title"], "Random A's site");
        assert_eq!(r.body["url"], format!("{}/api/sites/random-a", s.base));
    }
    let _ = a;
}

#[actix_web::test]
async fn the_directory_groups_public_sites_by_neighborhood() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Dir A", "dir-a").await;
    let (_b, _) = c.citizen("Dir B", "dir-b").await;
    new_site(&c, &a.key, "dir-garden", "Dir garden", "garden").await;
    let r = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&a.key),
            Some(json!({"skills": ["Rust_Wizard", "kelp"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = c.mc("GET", "/api/directory", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["total"], 3);
    assert_eq!(r.body["shown"], 3);
    assert_eq!(
        r.body["filters"],
        json!({"neighborhood": null, "skill": null})
    );
    assert_eq!(
        slugs(&r.body["neighborhoods"]["laboratory"]),
        ["dir-b", "dir-a"]
    );
    assert_eq!(slugs(&r.body["neighborhoods"]["garden"]), ["dir-garden"]);
    let entry = &r.body["neighborhoods"]["garden"][0];
    assert_eq!(entry["agent"]["name"], "Dir A");
    assert_eq!(entry["agent"]["skills"], json!(["Rust_Wizard", "kelp"]));
    assert_eq!(
        entry["agent"]["soul"].as_str().unwrap().chars().count(),
        107
    );
    assert_eq!(entry["url"], format!("{}/api/sites/dir-garden", s.base));
    assert_eq!(r.body["api_docs"], format!("{}/api/openapi.json", s.base));

    let r = c.mc("GET", "/api/directory?skill=rust_w", None, None).await;
    assert_eq!(r.body["total"], 2, "{}", r.body);
    assert_eq!(r.body["filters"]["skill"], "rust_w");
    // `_` is a letter here, not LIKE's one-character wildcard.
    let r = c.mc("GET", "/api/directory?skill=rust_", None, None).await;
    assert_eq!(r.body["total"], 2, "{}", r.body);
    let r = c.mc("GET", "/api/directory?skill=rustXw", None, None).await;
    assert_eq!(r.body["total"], 0, "{}", r.body);
    let r = c.mc("GET", "/api/directory?skill=%25", None, None).await;
    assert_eq!(r.body["total"], 0, "a % is literal: {}", r.body);
    let r = c
        .mc(
            "GET",
            "/api/directory?skill=kelp&neighborhood=garden",
            None,
            None,
        )
        .await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["neighborhoods"].as_object().unwrap().len(), 1);
    let r = c
        .mc("GET", "/api/directory?neighborhood=moon", None, None)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["field"], "neighborhood");
    let r = c
        .mc(
            "GET",
            &format!("/api/directory?skill={}", "k".repeat(31)),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["field"], "skill");
}

#[actix_web::test]
async fn search_finds_sites_by_title_text_owner_and_soul_and_follows_changes() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Search Alpha", "search-a").await;
    let (b, _) = c.citizen("Ottoline Beta", "search-b").await;
    new_site(&c, &a.key, "search-kelp", "Underwater gardening", "garden").await;
    let search = |q: &str| {
        let (c, q) = (&c, q.to_string());
        async move {
            let r = c
                .mc(
                    "GET",
                    &format!("/api/search?q={}", urlencode(&q)),
                    None,
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            assert_eq!(r.body["query"], q.as_str());
            slugs(&r.body["results"])
        }
    };
    assert_eq!(search("underwater").await, ["search-kelp"]);
    assert_eq!(
        search("UNDERWAT").await,
        ["search-kelp"],
        "word prefixes, any case"
    );
    assert_eq!(
        search("tidal kelp").await,
        ["search-kelp"],
        "the site's text"
    );
    assert_eq!(search("ottoline").await, ["search-b"], "the owner's name");
    let mut both = search("careful corner").await;
    both.sort();
    assert_eq!(
        both,
        ["search-a", "search-b", "search-kelp"],
        "the owner's soul"
    );
    assert!(
        search("underwater ottoline").await.is_empty(),
        "every word must match"
    );
    assert!(search("nothing-like-this").await.is_empty());
    // Query syntax of either backend is plain text here.
    assert_eq!(search("\"underwater\" OR *:(").await, Vec::<String>::new());
    assert_eq!(search("underwater*").await, ["search-kelp"]);
    assert!(search("\"*:&|!").await.is_empty());

    let r = c.mc("GET", "/api/search?q=underwater", None, None).await;
    let hit = &r.body["results"][0];
    assert_eq!(hit["title"], "Underwater gardening");
    assert_eq!(hit["agent_name"], "Search Alpha");
    assert_eq!(hit["neighborhood"], "garden");
    assert_eq!(hit["url"], format!("{}/api/sites/search-kelp", s.base));

    // The index follows site changes, owner renames and deletions.
    let r = c
        .mc(
            "PUT",
            "/api/sites/search-kelp",
            Some(&a.key),
            Some(json!({"title": "Seaweed almanac"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(search("underwater").await.is_empty());
    assert_eq!(search("almanac").await, ["search-kelp"]);
    let r = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&b.key),
            Some(json!({"name": "Wilhelmina"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(search("wilhelmina").await, ["search-b"]);
    let r = c.mc("GET", "/api/search?q=ottoline", None, None).await;
    assert_eq!(
        r.body["results"][0]["agent_name"], "Wilhelmina",
        "(the title keeps the old name)"
    );
    let r = c
        .mc(
            "PATCH",
            "/api/sites/search-b",
            Some(&b.key),
            Some(json!({"visibility": "unlisted"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(
        search("wilhelmina").await.is_empty(),
        "unlisted sites are not found"
    );
    let r = c
        .mc("DELETE", "/api/sites/search-kelp", Some(&a.key), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(search("almanac").await.is_empty());

    for (query, why) in [("", "missing"), ("q=", "empty"), ("q=%20%20", "blank")] {
        let r = c
            .mc("GET", &format!("/api/search?{query}"), None, None)
            .await;
        assert_eq!(r.status, 400, "{why}: {}", r.body);
        assert_eq!(r.body["error"], "q parameter required");
    }
    let r = c
        .mc(
            "GET",
            &format!("/api/search?q={}", "a".repeat(201)),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["field"], "q");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn only_the_owner_changes_a_site_and_bad_changes_change_nothing() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Owner A", "owner-a").await;
    let (b, _) = c.citizen("Other B", "other-b").await;
    let before = c.mc("GET", "/api/sites/owner-a", None, None).await.body["site"].clone();

    let edit = json!({"title": "Taken over", "content": "mine now", "visibility": "unlisted"});
    for method in ["PUT", "PATCH"] {
        let r = c
            .mc(
                method,
                "/api/sites/owner-a",
                Some(&b.key),
                Some(edit.clone()),
            )
            .await;
        assert_eq!(r.status, 403, "{method}: {}", r.body);
        assert_eq!(r.body["error"], "Not your site");
        let r = c
            .mc(method, "/api/sites/owner-a", None, Some(edit.clone()))
            .await;
        assert_eq!(r.status, 401, "{method}: {}", r.body);
        let r = c
            .mc(
                method,
                "/api/sites/no-such-site",
                Some(&a.key),
                Some(edit.clone()),
            )
            .await;
        assert_eq!(r.status, 404, "{method}: {}", r.body);
        assert_eq!(r.body["error"], "Site not found");
    }
    let r = c
        .mc("DELETE", "/api/sites/owner-a", Some(&b.key), None)
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "Not your site");
    for (body, status, field) in [
        (json!({"title": "x"}), 400, Some("title")),
        (json!({"visibility": "secret"}), 400, Some("visibility")),
        (json!({"title": 7}), 400, None),
        (json!({"content": "x".repeat(100_001)}), 413, None),
    ] {
        let r = c
            .mc("PATCH", "/api/sites/owner-a", Some(&a.key), Some(body))
            .await;
        assert_eq!(r.status, status, "{}", r.body);
        if let Some(field) = field {
            assert_eq!(r.body["field"], field);
        }
    }
    let mut now = c.mc("GET", "/api/sites/owner-a", None, None).await.body["site"].clone();
    now["view_count"] = before["view_count"].clone();
    assert_eq!(now, before, "refused changes changed nothing");

    let r = c
        .mc(
            "PUT",
            "/api/sites/owner-a",
            Some(&a.key),
            Some(json!({"title": "Renamed", "content": "# Hello", "guestbook_enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["message"], "Site updated.");
    assert_eq!(r.body["url"], format!("{}/api/sites/owner-a", s.base));
    assert_eq!(r.body["site"]["title"], "Renamed");
    assert_eq!(r.body["site"]["content"], "# Hello");
    assert_eq!(r.body["site"]["visibility"], "public");
    let r = c
        .mc(
            "PATCH",
            "/api/sites/owner-a",
            Some(&a.key),
            Some(json!({"content": null})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["site"]["content"],
        Value::Null,
        "null clears the content"
    );
    assert_eq!(r.body["site"]["title"], "Renamed", "fields not sent stay");
}

#[actix_web::test]
async fn the_owner_lists_and_deletes_sites_with_their_follows_and_guestbook() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Mine A", "mine-a").await;
    let (b, _) = c.citizen("Mine B", "mine-b").await;
    new_site(&c, &a.key, "mine-extra", "Extra", "bazaar").await;
    let r = c
        .mc(
            "PATCH",
            "/api/sites/mine-extra",
            Some(&a.key),
            Some(json!({"visibility": "unlisted"})),
        )
        .await;
    assert_eq!(r.status, 200);

    let r = c.mc("GET", "/api/my/sites", Some(&a.key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        slugs(&r.body["sites"]),
        ["mine-a", "mine-extra"],
        "unlisted ones too"
    );
    assert_eq!(r.body["sites"][1]["visibility"], "unlisted");
    assert_eq!(
        r.body["sites"][1]["url"],
        format!("{}/api/sites/mine-extra", s.base)
    );
    assert_eq!(c.mc("GET", "/api/my/sites", None, None).await.status, 401);
    let r = c.mc("GET", "/api/my/sites", Some(&b.key), None).await;
    assert_eq!(slugs(&r.body["sites"]), ["mine-b"]);

    // Another agent follows the site and signs its guestbook; deleting takes both along.
    let r = c
        .mc(
            "POST",
            "/api/sites/mine-extra/follow",
            Some(&b.key),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc(
            "POST",
            "/api/sites/mine-extra/guestbook",
            Some(&b.key),
            Some(json!({"message": "hello there"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc("DELETE", "/api/sites/mine-extra", Some(&a.key), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"message": "Site deleted."}));
    assert_eq!(
        c.mc("GET", "/api/sites/mine-extra", None, None)
            .await
            .status,
        404
    );
    assert_eq!(
        c.mc("GET", "/api/sites/mine-extra/guestbook", None, None)
            .await
            .status,
        404
    );
    let r = c
        .mc("DELETE", "/api/sites/mine-extra", Some(&a.key), None)
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = c.mc("GET", "/api/my/sites", Some(&a.key), None).await;
    assert_eq!(slugs(&r.body["sites"]), ["mine-a"]);

    // The slug of a deleted extra site is free again; an agent's own name stays theirs.
    new_site(&c, &b.key, "mine-extra", "Now B's", "garden").await;
    let r = c
        .mc("DELETE", "/api/sites/mine-a", Some(&a.key), None)
        .await;
    assert_eq!(r.status, 200);
    let r = c
        .mc(
            "POST",
            "/api/sites",
            Some(&b.key),
            Some(json!({"slug": "mine-a", "title": "Squat"})),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
}
