//! A KoboToolbox CSV export of any size, with a media ZIP, laid out as the
//! fixtures are (tests/fixtures/kobo): for benchmarks and for tests that
//! need an import long enough to interrupt.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

const HEADER: &str = "\"start\";\"end\";\"enumerator\";\"site_name\";\"city\";\"geo\";\"_geo_latitude\";\"_geo_longitude\";\"_geo_altitude\";\"_geo_precision\";\"visit_date\";\"title\";\"sector\";\"notes\";\"electricity_kwh\";\"photo\";\"_id\";\"_uuid\";\"_submission_time\";\"_submitted_by\";\"meta/rootUuid\";\"_index\"\r\n";

/// `submissions` submissions, every one in `submissions / photos` with a
/// photo of about `photo_bytes` (a real JPEG, padded after its end so each
/// is different); returns the CSV and the media ZIP.
pub fn kobo_export(
    submissions: usize,
    photos: usize,
    jpeg: &[u8],
    photo_bytes: usize,
) -> (Vec<u8>, Vec<u8>) {
    let every = submissions / photos.max(1);
    let mut csv = HEADER.as_bytes().to_vec();
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..submissions {
        let uuid = format!("00000000-0000-4000-8000-{i:012}");
        let photo = if photos > 0 && i % every == 0 && i / every < photos {
            let name = format!("{}.jpg", 1_730_000_000_000u64 + i as u64);
            zip.start_file(format!("team/attachments/f/{uuid}/{name}"), stored)
                .expect("in memory");
            zip.write_all(&padded(jpeg, photo_bytes, i))
                .expect("in memory");
            name
        } else {
            String::new()
        };
        let (lat, lon) = (
            10.0 + (i % 800) as f64 / 100.0,
            100.0 + (i % 900) as f64 / 100.0,
        );
        let day = 1 + i % 28;
        writeln!(
            csv,
            "\"2025-11-{day:02}T08:00:00.000+07:00\";\"2025-11-{day:02}T08:30:00.000+07:00\";\"Nguyễn Văn An\";\"Trạm bơm số {i}\";\"Đà Nẵng\";\"{lat} {lon} 10 5\";\"{lat}\";\"{lon}\";\"10\";\"5\";\"2025-11-{day:02}\";\"Bơm số {i} chạy liên tục\";\"energy\";\"Không có biến tần; rò rỉ ở mặt bích.\";\"{}\";\"{photo}\";\"{}\";\"{uuid}\";\"2025-11-{day:02}T01:30:00\";\"an.nguyen\";\"uuid:{uuid}\";\"{}\"\r",
            1000 + i,
            100_000 + i,
            i + 1
        )
        .expect("in memory");
    }
    (csv, zip.finish().expect("in memory").into_inner())
}

/// `jpeg` followed by bytes that make it `size` long and unlike any other.
fn padded(jpeg: &[u8], size: usize, seed: usize) -> Vec<u8> {
    let mut bytes = jpeg.to_vec();
    let mut x = seed as u64 | 1;
    while bytes.len() < size {
        // xorshift: cheap bytes that do not compress.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes
}
