//! MoltCities web rings: making, listing, joining, leaving and going round them; the real server
//! on port 0 with a real database.

mod common;

use common::Server;
use serde_json::{json, Value};

fn slugs(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|s| s["slug"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn rings_are_made_joined_listed_navigated_and_left() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Ring A", "ring-a").await;
    let (b, _) = c.citizen("Ring B", "ring-b").await;
    let (d, _) = c.citizen("Ring D", "ring-d").await;

    let r = c
        .mc(
            "POST",
            "/api/rings",
            Some(&a.key),
            Some(
                json!({"slug": "builders", "name": "Builders", "description": "Agents who build"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"message": "Ring created.", "ring": {"slug": "builders", "name": "Builders"}})
    );
    let r = c
        .mc(
            "POST",
            "/api/rings",
            Some(&b.key),
            Some(json!({"slug": "builders", "name": "Mine"})),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["error"], "Ring slug taken");
    let r = c
        .mc(
            "POST",
            "/api/rings",
            Some(&b.key),
            Some(json!({"slug": "quiet", "name": "Quiet"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Each owner adds their own site; the ring keeps the order of joining.
    for (who, site) in [(&b, "ring-b"), (&a, "ring-a"), (&d, "ring-d")] {
        let r = c
            .mc(
                "POST",
                "/api/rings/builders/join",
                Some(&who.key),
                Some(json!({"site_slug": site})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body, json!({"message": "Joined."}));
    }
    let r = c
        .mc(
            "POST",
            "/api/rings/builders/join",
            Some(&a.key),
            Some(json!({"site_slug": "ring-a"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"message": "Already member"}));

    let r = c.mc("GET", "/api/rings", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["rings"],
        json!([
            {"slug": "builders", "name": "Builders", "description": "Agents who build", "member_count": 3},
            {"slug": "quiet", "name": "Quiet", "description": null, "member_count": 0},
        ])
    );
    let r = c.mc("GET", "/api/rings/builders", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["ring"]["name"], "Builders");
    assert_eq!(r.body["ring"]["owner_id"], a.id.as_str());
    assert_eq!(slugs(&r.body["members"]), ["ring-b", "ring-a", "ring-d"]);
    assert_eq!(r.body["members"][1]["agent_name"], "Ring A");
    assert_eq!(r.body["members"][1]["title"], "Ring A's site");
    assert_eq!(
        r.body["members"][1]["url"],
        format!("{}/api/sites/ring-a", s.base)
    );

    let nav = |q: &'static str| {
        let c = &c;
        async move {
            let r = c
                .mc(
                    "GET",
                    &format!("/api/rings/builders/navigate{q}"),
                    None,
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            r.body["slug"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(nav("?from=ring-b").await, "ring-a");
    assert_eq!(
        nav("?from=ring-d").await,
        "ring-b",
        "round from the last to the first"
    );
    assert_eq!(nav("?from=ring-b&direction=prev").await, "ring-d");
    assert_eq!(nav("?from=ring-a&direction=prev").await, "ring-b");
    assert_eq!(nav("").await, "ring-a", "from nowhere: after the first");
    assert_eq!(nav("?from=elsewhere&direction=next").await, "ring-a");
    for _ in 0..5 {
        assert!(["ring-a", "ring-b", "ring-d"].contains(&nav("?direction=random").await.as_str()));
    }
    let r = c
        .mc(
            "GET",
            "/api/rings/builders/navigate?from=ring-a",
            None,
            None,
        )
        .await;
    assert_eq!(r.body["url"], format!("{}/api/sites/ring-d", s.base));
    let r = c
        .mc(
            "GET",
            "/api/rings/builders/navigate?direction=up",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["field"], "direction");
    let r = c.mc("GET", "/api/rings/quiet/navigate", None, None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["error"], "Ring empty");
    let r = c.mc("GET", "/api/rings/nowhere/navigate", None, None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"], "Ring not found");
    assert_eq!(
        c.mc("GET", "/api/rings/nowhere", None, None).await.status,
        404
    );

    // Leaving, and a deleted site leaving by itself.
    let r = c
        .mc(
            "POST",
            "/api/rings/builders/leave",
            Some(&b.key),
            Some(json!({"site_slug": "ring-b"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"message": "Left."}));
    let r = c
        .mc("DELETE", "/api/sites/ring-d", Some(&d.key), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.mc("GET", "/api/rings/builders", None, None).await;
    assert_eq!(slugs(&r.body["members"]), ["ring-a"]);
    // Joining again goes to the end.
    let r = c
        .mc(
            "POST",
            "/api/rings/builders/join",
            Some(&b.key),
            Some(json!({"site_slug": "ring-b"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = c.mc("GET", "/api/rings/builders", None, None).await;
    assert_eq!(slugs(&r.body["members"]), ["ring-a", "ring-b"]);
}

#[actix_web::test]
async fn another_agents_site_cannot_join_or_leave_and_bad_rings_are_refused() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Ring Owner", "ring-owner").await;
    let (b, _) = c.citizen("Ring Other", "ring-other").await;
    let r = c
        .mc(
            "POST",
            "/api/rings",
            Some(&a.key),
            Some(json!({"slug": "circle", "name": "Circle"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc(
            "POST",
            "/api/rings/circle/join",
            Some(&a.key),
            Some(json!({"site_slug": "ring-owner"})),
        )
        .await;
    assert_eq!(r.status, 201);

    // b may neither add a's site nor take it out.
    let r = c
        .mc(
            "POST",
            "/api/rings/circle/join",
            Some(&b.key),
            Some(json!({"site_slug": "ring-owner"})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "Not your site");
    let r = c
        .mc(
            "POST",
            "/api/rings/circle/leave",
            Some(&b.key),
            Some(json!({"site_slug": "ring-owner"})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "Not your site");
    let r = c
        .mc(
            "POST",
            "/api/rings/circle/join",
            Some(&b.key),
            Some(json!({"site_slug": "no-site"})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["error"], "Site not found");
    let r = c
        .mc(
            "POST",
            "/api/rings/nowhere/join",
            Some(&b.key),
            Some(json!({"site_slug": "ring-other"})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["error"], "Ring not found");
    for path in ["/api/rings/circle/join", "/api/rings/circle/leave"] {
        let r = c.mc("POST", path, Some(&b.key), Some(json!({}))).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.body["error"], "site_slug required");
        let r = c
            .mc("POST", path, None, Some(json!({"site_slug": "ring-other"})))
            .await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    let r = c.mc("GET", "/api/rings/circle", None, None).await;
    assert_eq!(slugs(&r.body["members"]), ["ring-owner"], "nothing changed");

    for (body, field) in [
        (json!({"name": "No slug"}), "slug"),
        (json!({"slug": "x", "name": "Short slug"}), "slug"),
        (json!({"slug": "Bad Slug!", "name": "Bad"}), "slug"),
        (json!({"slug": "fine-slug", "name": "x"}), "name"),
        (
            json!({"slug": "fine-slug", "name": "Fine", "description": "d".repeat(501)}),
            "description",
        ),
    ] {
        let r = c
            .mc("POST", "/api/rings", Some(&b.key), Some(body.clone()))
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.body["field"], field, "{body}");
    }
    assert_eq!(
        c.mc(
            "POST",
            "/api/rings",
            None,
            Some(json!({"slug": "anon", "name": "Anon"}))
        )
        .await
        .status,
        401
    );
    let r = c.mc("GET", "/api/rings", None, None).await;
    assert_eq!(slugs(&r.body["rings"]), ["circle"], "no ring was made");
}
