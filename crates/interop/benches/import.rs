//! Import of a 5,000-submission KoboToolbox export with 500 photos of
//! 200 KB into a new database, from reading the files to the commit
//! (target: under 10 s). Run: `cargo bench -p fieldbook-interop --bench import`.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use fieldbook_interop::import::{import, open_media, propose, synthetic, Submissions, Tool};
use fieldbook_store::{Commit, Store};
use serde_json::json;

const SUBMISSIONS: usize = 5_000;
const PHOTOS: usize = 500;
const PHOTO_BYTES: usize = 200 * 1024;

fn bench_import(c: &mut Criterion) {
    let files = tempfile::tempdir().expect("temp dir");
    let jpeg = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/samples/photos/semarang-depot.jpg"),
    )
    .expect("sample photo");
    let (csv, media) = synthetic::kobo_export(SUBMISSIONS, PHOTOS, &jpeg, PHOTO_BYTES);
    let csv_path = files.path().join("survey.csv");
    let media_path = files.path().join("media.zip");
    std::fs::write(&csv_path, csv).expect("write");
    std::fs::write(&media_path, media).expect("write");

    let mut group = c.benchmark_group("kobo_import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("5000_submissions_500_photos", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                let mut store = Store::open(&dir.path().join("bench.db")).expect("open");
                let fields = json!({"title": "Bench", "fiscal_year": 2025});
                let study = store
                    .create("study", fields.as_object().expect("object").clone())
                    .expect("study");
                (dir, store, study)
            },
            |(dir, mut store, study)| {
                let mut subs = Submissions::read(Tool::Kobo, &csv_path).expect("read");
                let media = open_media(&media_path).expect("media");
                let mapping = propose(&subs);
                let report = import(
                    &mut store,
                    &mut subs,
                    Some(media),
                    &mapping,
                    &study,
                    Commit::Keep,
                    |_, _| {},
                )
                .expect("import");
                assert_eq!((report.visits, report.photos), (SUBMISSIONS, PHOTOS));
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_import);
criterion_main!(benches);
