//! Checks `parse_plate` against the generated sample in `fixtures/plates/synthetic_plates.csv`
//! (made-up plates; `generate_samples.py` beside it rewrites the file).

use std::path::Path;

use pomoshnik_core::plate::parse_plate;

struct Sample {
    line: usize,
    input: String,
    expected: String,
    format: String,
}

fn load_samples() -> Vec<Sample> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plates/synthetic_plates.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("failed to read {}: {error}", path.display()));

    let mut lines = text.lines().enumerate();
    assert_eq!(lines.next().map(|(_, header)| header), Some("input,expected,format"), "unexpected header in {}", path.display());
    lines
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 3, "line {} of {} has {} fields", index + 1, path.display(), fields.len());
            Sample { line: index + 1, input: fields[0].to_owned(), expected: fields[1].to_owned(), format: fields[2].to_owned() }
        })
        .collect()
}

#[test]
fn valid_samples_normalise() {
    let samples: Vec<Sample> = load_samples().into_iter().filter(|sample| !sample.format.is_empty()).collect();
    assert!(samples.len() >= 200, "only {} valid samples", samples.len());

    for sample in samples {
        let plate = parse_plate(&sample.input).unwrap_or_else(|error| panic!("line {}: {:?} failed: {error}", sample.line, sample.input));
        assert_eq!(plate.to_string(), sample.expected, "line {}: {:?}", sample.line, sample.input);
        assert_eq!(format!("{:?}", plate.format), sample.format, "line {}: {:?}", sample.line, sample.input);
    }
}

#[test]
fn invalid_samples_give_expected_code() {
    let samples: Vec<Sample> = load_samples().into_iter().filter(|sample| sample.format.is_empty()).collect();
    assert!(samples.len() >= 50, "only {} invalid samples", samples.len());

    for sample in samples {
        let result = parse_plate(&sample.input);
        assert_eq!(result.as_ref().map_err(|error| error.code()).err(), Some(sample.expected.as_str()), "line {}: {:?} gave {result:?}", sample.line, sample.input);
    }
}
