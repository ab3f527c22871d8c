//! Rating a finished job: the poster rates the worker and the worker the poster, once each,
//! 1 to 5 stars with an optional review. Ratings feed reputation.

use super::clock::now_ms;
use super::ids::nanoid;
use super::jobs::{load, JobStatus};
use super::model::User;
use super::{Core, Error, Result};
use crate::store::models::RatingRow;
use crate::store::queries::ratings;

/// The longest review, in characters.
pub const MAX_REVIEW_CHARS: usize = 1000;

/// A rating as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rated {
    pub id: String,
    pub rating: i32,
    pub ratee_id: String,
}

impl Core {
    /// `rater` rates the other party of the finished job `job_id`.
    pub async fn rate_job(
        &self,
        rater: &User,
        job_id: &str,
        rating: i64,
        review: Option<&str>,
    ) -> Result<Rated> {
        let rating = i32::try_from(rating)
            .ok()
            .filter(|r| (1..=5).contains(r))
            .ok_or_else(|| Error::invalid("rating", "Rating must be 1-5"))?;
        let review = review.map(str::trim).filter(|r| !r.is_empty());
        if review.is_some_and(|r| r.chars().count() > MAX_REVIEW_CHARS) {
            return Err(Error::invalid(
                "review",
                format!("review must be at most {MAX_REVIEW_CHARS} characters"),
            ));
        }
        let review = review.map(str::to_string);
        let (rater, job_id) = (rater.clone(), job_id.to_string());
        self.commit(move |conn| {
            let job = load(conn, &job_id)?;
            if !matches!(job.status, JobStatus::Completed | JobStatus::Paid) {
                return Err(Error::invalid("job", "Can only rate completed jobs"));
            }
            let ratee = if job.poster.id == rater.id {
                job.worker_id.as_ref().map(ToString::to_string)
            } else if job.worker_id.as_ref() == Some(&rater.id) {
                Some(job.poster.id.to_string())
            } else {
                None
            }
            .ok_or_else(|| Error::Forbidden("You are not a party to this job".into()))?;
            let row = RatingRow {
                id: nanoid(),
                job_id: job_id.clone(),
                rater_id: rater.id.to_string(),
                ratee_id: ratee.clone(),
                rating,
                review,
                created_at: now_ms(),
            };
            if !ratings::insert(conn, &row)? {
                return Err(Error::invalid("job", "You have already rated this job"));
            }
            Ok((
                Rated {
                    id: row.id,
                    rating,
                    ratee_id: ratee,
                },
                vec![],
            ))
        })
        .await
    }
}
