//! Measures `CityMap::locate` throughput over the embedded address points on one thread.
//!
//! Run with `cargo run --release -p pomoshnik-geo --example locate_bench`.

use std::hint::black_box;
use std::time::Instant;

use pomoshnik_geo::{ADDRESSES_CSV, CityMap};

fn main() {
    let started = Instant::now();
    let map = CityMap::moscow().expect("embedded data is valid");
    println!(
        "CityMap::moscow built in {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    let mut points = Vec::new();
    let mut reader = csv::Reader::from_reader(ADDRESSES_CSV.as_bytes());
    for record in reader.records() {
        let record = record.expect("valid CSV row");
        let lon: f64 = record[5].parse().expect("numeric lon");
        let lat: f64 = record[6].parse().expect("numeric lat");
        points.push((lat, lon));
    }

    let rounds = 2_000;
    let started = Instant::now();
    let mut inside = 0usize;
    for _ in 0..rounds {
        for &(lat, lon) in &points {
            if black_box(map.locate(black_box(lat), black_box(lon)))
                .district()
                .is_some()
            {
                inside += 1;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let lookups = (rounds * points.len()) as f64;
    println!(
        "{lookups} lookups in {elapsed:.2} s: {:.0} lookups/s, {:.0} ns each ({inside} inside)",
        lookups / elapsed,
        elapsed / lookups * 1e9
    );
}
