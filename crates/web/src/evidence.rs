//! Warnings for staff about a report's photos: taken far from the report's point, long before
//! the stated incident or after submission, or already attached to another report.

use chrono::Duration;
use pomoshnik_geo::{LatLon, distance_m};
use pomoshnik_store::{FileRecord, Report};

use crate::error::ApiError;
use crate::i18n::{Arg, Tr};
use crate::state::AppState;
use crate::views::moscow_time;

/// A photo taken farther than this from the report's point gets a warning.
pub const MAX_PHOTO_DISTANCE_M: f64 = 200.0;

/// A photo taken this long before the stated incident time gets a warning.
const MAX_PHOTO_AGE_BEFORE_INCIDENT: Duration = Duration::hours(24);

/// Tolerated difference between a camera's clock and ours.
const CAMERA_CLOCK_SKEW: Duration = Duration::minutes(10);

pub async fn warnings(state: &AppState, report: &Report, files: &[FileRecord]) -> Result<Vec<String>, ApiError> {
    let mut warnings = Vec::new();
    let point = LatLon { lat: report.latitude, lon: report.longitude };

    for file in files {
        let name = || Arg::Text(file.original_name.clone());
        let metadata = &file.metadata;

        if let (Some(lat), Some(lon)) = (metadata.gps_latitude, metadata.gps_longitude) {
            let distance = distance_m(point, LatLon { lat, lon });
            if distance > MAX_PHOTO_DISTANCE_M {
                warnings.push(Tr.t_with("warning-photo-far", &[("file", name()), ("distance", Arg::Number(distance.round() as i64))]));
            }
        }

        if let Some(taken_at) = metadata.taken_at {
            let taken = Arg::Text(moscow_time(taken_at));
            if taken_at < report.occurred_at - MAX_PHOTO_AGE_BEFORE_INCIDENT {
                warnings.push(Tr.t_with("warning-photo-before", &[("file", name()), ("taken", taken)]));
            } else if taken_at > report.created_at + CAMERA_CLOCK_SKEW {
                warnings.push(Tr.t_with("warning-photo-after", &[("file", name()), ("taken", taken)]));
            }
        }

        let sharing = state.store.reports_sharing_file(&file.sha256, report.id).await?;
        if !sharing.is_empty() {
            let numbers: Vec<String> = sharing.iter().map(ToString::to_string).collect();
            warnings.push(Tr.t_with("warning-photo-shared", &[("file", name()), ("numbers", Arg::Text(numbers.join(", ")))]));
        }
    }
    Ok(warnings)
}
