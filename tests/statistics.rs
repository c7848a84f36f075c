#![cfg(not(target_arch = "wasm32"))]
//! Bucketing statistics over 1,000,000 fixed visitor ids: splits are even
//! (chi-square, p > 0.001) and campaigns do not influence each other.

use tailor::bucket::{bucket_ranges, choose_variation, hash};

const VISITORS: usize = 1_000_000;

/// Critical chi-square values at p = 0.001 for 1, 2 and 9 degrees of freedom.
fn critical(df: usize) -> f64 {
    match df {
        1 => 10.828,
        2 => 13.816,
        9 => 27.877,
        _ => unreachable!("not tabulated"),
    }
}

fn split_counts(seed: &str, weights: &[f64]) -> Vec<usize> {
    let ranges = bucket_ranges(weights.len(), 1.0, Some(weights));
    let mut counts = vec![0usize; weights.len()];
    for i in 0..VISITORS {
        let n = hash(seed, &format!("visitor-{i:07}"), 2).unwrap();
        counts[choose_variation(n, &ranges).expect("full coverage")] += 1;
    }
    counts
}

fn chi_square(counts: &[usize], weights: &[f64]) -> f64 {
    let total: usize = counts.iter().sum();
    counts.iter().zip(weights).map(|(&c, &w)| {
        let expected = total as f64 * w;
        (c as f64 - expected).powi(2) / expected
    }).sum()
}

#[test]
fn splits_pass_a_chi_square_test() {
    for (seed, weights) in [
        ("two-way", vec![0.5, 0.5]),
        ("three-way", vec![0.2, 0.3, 0.5]),
        ("ten-way", vec![0.1; 10]),
    ] {
        let counts = split_counts(seed, &weights);
        let chi2 = chi_square(&counts, &weights);
        assert!(chi2 < critical(weights.len() - 1), "{seed}: chi2 {chi2:.2} over {VISITORS} visitors, counts {counts:?}");
    }
}

#[test]
fn changing_one_campaigns_weights_does_not_move_another_campaigns_visitors() {
    let other = bucket_ranges(2, 1.0, Some(&[0.5, 0.5]));
    let assign = |seed: &str, i: usize, ranges: &[(f64, f64)]| choose_variation(hash(seed, &format!("visitor-{i:07}"), 2).unwrap(), ranges);
    let before: Vec<_> = (0..100_000).map(|i| assign("checkout-test", i, &other)).collect();
    // Re-weight the hero test from 50/50 to 90/10: it reshuffles its own arms...
    let hero_before = bucket_ranges(2, 1.0, Some(&[0.5, 0.5]));
    let hero_after = bucket_ranges(2, 1.0, Some(&[0.9, 0.1]));
    let moved = (0..100_000).filter(|&i| assign("hero-test", i, &hero_before) != assign("hero-test", i, &hero_after)).count();
    assert!(moved > 30_000, "re-weighting moves visitors of that test ({moved})");
    // ...while the checkout test, hashed with its own seed, is untouched.
    let after: Vec<_> = (0..100_000).map(|i| assign("checkout-test", i, &other)).collect();
    assert_eq!(before, after);
    // And the two tests are independent: the checkout arm says nothing about the hero arm.
    let both = (0..100_000).filter(|&i| assign("checkout-test", i, &other) == Some(1) && assign("hero-test", i, &hero_before) == Some(1)).count();
    assert!((23_500..26_500).contains(&both), "joint share {both} of 100000, expected about 25%");
}
