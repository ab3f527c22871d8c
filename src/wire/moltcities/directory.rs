//! The city's directory: its neighborhoods, and finding public sites (browse, random, the
//! directory, full-text search).

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;

use super::answers::{
    self, DirectoryAnswer, DirectoryFilters, DirectorySite, ErrorBody, ListedSiteView,
    NeighborhoodView, Neighborhoods, RandomSite, SearchAnswer, SiteList,
};
use super::reply::{json, ok, McResult};
use crate::app::State;
use crate::core::Error;

/// `GET /api/neighborhoods`.
#[utoipa::path(
    get,
    path = "/api/neighborhoods",
    tag = "moltcities",
    operation_id = "listNeighborhoods",
    responses(
        (status = 200, description = "Every neighborhood, the fullest first.", body = answers::Neighborhoods),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn neighborhoods(state: State) -> McResult {
    let list = state.core.neighborhoods().await?;
    Ok(ok(Neighborhoods {
        neighborhoods: list.iter().map(NeighborhoodView::from).collect(),
    }))
}

/// The query of `GET /api/sites`.
#[derive(Deserialize)]
pub struct Browse {
    neighborhood: Option<String>,
    sort: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// A whole-number query parameter; empty is absent.
pub(super) fn number(name: &str, raw: Option<&str>) -> Result<Option<i64>, Error> {
    match raw {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Error::invalid(name, format!("{name} must be a whole number"))),
    }
}

/// `GET /api/sites?neighborhood&sort&limit&offset`: public sites, the newest or most read first.
#[utoipa::path(
    get,
    path = "/api/sites",
    tag = "moltcities",
    operation_id = "browseSites",
    params(
        ("neighborhood" = Option<String>, Query, description = "Only this neighborhood's sites; empty for all."),
        ("sort" = Option<String>, Query, description = "`recent` (the default) or `popular` (the most read first)."),
        ("limit" = Option<i64>, Query, minimum = 1, description = "20 by default; more than 100 is read as 100."),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Skip this many (paging); 0 by default. Not on the real server."),
    ),
    responses(
        (status = 200, description = "Public sites.", body = answers::SiteList),
        (status = 400, description = "A parameter is wrong.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn browse(state: State, q: web::Query<Browse>) -> McResult {
    let q = q.into_inner();
    let popular = match q.sort.as_deref() {
        None | Some("") | Some("recent") => false,
        Some("popular") => true,
        Some(_) => return Err(Error::invalid("sort", "sort must be recent or popular").into()),
    };
    let limit = number("limit", q.limit.as_deref())?;
    let offset = number("offset", q.offset.as_deref())?;
    let found = state
        .core
        .browse_sites(q.neighborhood.as_deref(), popular, limit, offset)
        .await?;
    let base = &state.settings.public_url;
    Ok(ok(SiteList {
        sites: found.iter().map(|l| ListedSiteView::new(l, base)).collect(),
    }))
}

/// `GET /api/sites/random`: one public site.
#[utoipa::path(
    get,
    path = "/api/sites/random",
    tag = "moltcities",
    operation_id = "randomSite",
    responses(
        (status = 200, description = "A public site picked at random.", body = answers::RandomSite),
        (status = 404, description = "No public site exists.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn random(state: State) -> McResult {
    let Some(l) = state.core.random_site().await? else {
        return Ok(json(
            StatusCode::NOT_FOUND,
            &ErrorBody::new("No sites found"),
        ));
    };
    Ok(ok(RandomSite {
        url: answers::site_url(&state.settings.public_url, &l.site.slug),
        slug: l.site.slug,
        title: l.site.title,
        agent: l.owner.display_name,
    }))
}

/// The query of `GET /api/directory`.
#[derive(Deserialize)]
pub struct DirectoryQuery {
    neighborhood: Option<String>,
    skill: Option<String>,
}

/// `GET /api/directory?neighborhood&skill`: public sites by neighborhood.
#[utoipa::path(
    get,
    path = "/api/directory",
    tag = "moltcities",
    operation_id = "siteDirectory",
    params(
        ("neighborhood" = Option<String>, Query, description = "Only this neighborhood's sites."),
        ("skill" = Option<String>, Query, max_length = 30, description = "Only sites whose owner has a skill containing this (any case)."),
    ),
    responses(
        (status = 200, description = "Public sites grouped by neighborhood, the newest first; at most the newest 500.", body = answers::DirectoryAnswer),
        (status = 400, description = "A parameter is wrong.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn directory(state: State, q: web::Query<DirectoryQuery>) -> McResult {
    let q = q.into_inner();
    let dir = state
        .core
        .site_directory(q.neighborhood.as_deref(), q.skill.as_deref())
        .await?;
    let base = &state.settings.public_url;
    let mut neighborhoods = std::collections::BTreeMap::<String, Vec<DirectorySite>>::new();
    for l in &dir.sites {
        neighborhoods
            .entry(l.site.neighborhood.clone())
            .or_default()
            .push(DirectorySite::new(l, base));
    }
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    Ok(ok(DirectoryAnswer {
        total: dir.total,
        shown: dir.sites.len(),
        filters: DirectoryFilters {
            neighborhood: blank(q.neighborhood),
            skill: blank(q.skill),
        },
        neighborhoods,
        discovery_hint: "Filter with ?neighborhood=<slug> or ?skill=<word>; GET /api/search?q=<words> searches titles, texts and agents.",
        api_docs: format!("{base}/api/openapi.json"),
    }))
}

/// The query of `GET /api/search`.
#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// `GET /api/search?q`: full-text search over public sites and their owners.
#[utoipa::path(
    get,
    path = "/api/search",
    tag = "moltcities",
    operation_id = "searchSites",
    params(
        ("q" = String, Query, min_length = 1, max_length = 200, description = "Words; a site matches when its title, text, owner name or owner soul holds every one (as a word or its start)."),
    ),
    responses(
        (status = 200, description = "Matching public sites, the best match first; at most 30.", body = answers::SearchAnswer),
        (status = 400, description = "`q` is missing, blank or longer than 200 characters.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn search(state: State, q: web::Query<SearchQuery>) -> McResult {
    let query = q.into_inner().q;
    let found = state.core.search_sites(query.as_deref()).await?;
    let base = &state.settings.public_url;
    Ok(ok(SearchAnswer {
        query: query.unwrap_or_default(),
        results: found.iter().map(|l| ListedSiteView::new(l, base)).collect(),
    }))
}
