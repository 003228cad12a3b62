//! The thirteen rank tiers (stats.md §1.2) and the tier predicates of §1.3.
//! The predicates differ per statistic on purpose: each statistic names the
//! one it uses.

/// One rank tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    /// What the rollup table stores (0 = b1 … 12 = tm).
    pub id: i32,
    pub key: &'static str,
    pub name: &'static str,
    pub image: &'static str,
    /// Lower bound of the tier's points (the `<elo>` of file names).
    pub min_elo: i32,
}

const fn tier(
    id: i32,
    key: &'static str,
    name: &'static str,
    image: &'static str,
    min_elo: i32,
) -> Tier {
    Tier {
        id,
        key,
        name,
        image,
        min_elo,
    }
}

/// The tiers in "RANKS order": highest first.
pub const RANKS: [Tier; 13] = [
    tier(12, "tm", "Trackmaster", "TM.png", 4000),
    tier(11, "m3", "Master III", "M3.png", 3600),
    tier(10, "m2", "Master II", "M2.png", 3300),
    tier(9, "m1", "Master I", "M1.png", 3000),
    tier(8, "g3", "Gold III", "G3.png", 2600),
    tier(7, "g2", "Gold II", "G2.png", 2300),
    tier(6, "g1", "Gold I", "G1.png", 2000),
    tier(5, "s3", "Silver III", "S3.png", 1600),
    tier(4, "s2", "Silver II", "S2.png", 1300),
    tier(3, "s1", "Silver I", "S1.png", 1000),
    tier(2, "b3", "Bronze III", "B3.png", 600),
    tier(1, "b2", "Bronze II", "B2.png", 300),
    tier(0, "b1", "Bronze I", "B1.png", 0),
];

/// Points of the in-game Trackmaster title.
pub const TRACKMASTER_POINTS: i32 = 4000;
/// Best world rank a Trackmaster may have at worst.
pub const TRACKMASTER_RANK: i32 = 10;

impl Tier {
    pub fn is_tm(&self) -> bool {
        self.key == "tm"
    }

    pub fn is_m3(&self) -> bool {
        self.key == "m3"
    }

    /// The min_elo of the tier just above (`None` for tm).
    pub fn next(&self) -> Option<i32> {
        RANKS
            .iter()
            .rev()
            .find(|t| t.min_elo > self.min_elo)
            .map(|t| t.min_elo)
    }

    /// Whether `value` lies in `[min_elo, next)`.
    fn band_contains(&self, value: i32) -> bool {
        value >= self.min_elo && self.next().is_none_or(|next| value < next)
    }
}

/// The tier whose min_elo is `elo` (the `<elo>` of a job name).
pub fn by_min_elo(elo: i32) -> Option<Tier> {
    RANKS.iter().copied().find(|t| t.min_elo == elo)
}

/// The tier named by the `<elo>` that ends a job name (`get_x_3600` → m3).
pub fn of_job(job: &str) -> anyhow::Result<Tier> {
    job.rsplit('_')
        .next()
        .and_then(|elo| elo.parse().ok())
        .and_then(by_min_elo)
        .ok_or_else(|| anyhow::anyhow!("{job} names no rank tier"))
}

/// A set of tiers as bits, bit `i` for `RANKS[i]`: one row's predicate
/// evaluated for every tier at once, so all tier variants of a statistic
/// come from one pass over the rows.
pub type TierMask = u16;

/// The tiers for which `holds` is true.
pub fn mask(holds: impl Fn(Tier) -> bool) -> TierMask {
    RANKS
        .iter()
        .enumerate()
        .filter(|(_, tier)| holds(**tier))
        .fold(0, |mask, (i, _)| mask | 1 << i)
}

/// `tier`'s position in RANKS (its bit in a [`TierMask`]).
pub fn position(tier: Tier) -> usize {
    RANKS.iter().position(|t| *t == tier).unwrap_or(0)
}

/// The RANKS positions of the tiers in `mask`.
pub fn positions(mask: TierMask) -> impl Iterator<Item = usize> {
    (0..RANKS.len()).filter(move |i| mask & (1 << i) != 0)
}

/// P-cum(f): tm `f >= tl`; m3 `3600 <= f < tl`; others `f >= min` (no upper bound).
pub fn p_cum(tier: Tier, field: i32, tl: i32) -> bool {
    if tier.is_tm() {
        field >= tl
    } else if tier.is_m3() {
        field >= tier.min_elo && field < tl
    } else {
        field >= tier.min_elo
    }
}

/// P-new (S17): tm and m3 on the average elo against tl, others `min_elo >= min`.
pub fn p_new(tier: Tier, min_elo: i32, average_elo: i32, tl: i32) -> bool {
    if tier.is_tm() || tier.is_m3() {
        p_cum(tier, average_elo, tl)
    } else {
        min_elo >= tier.min_elo
    }
}

/// P-band-avg (S05): exactly one tier per game.
pub fn p_band_avg(tier: Tier, average_elo: i32, tl: i32) -> bool {
    if tier.is_tm() || tier.is_m3() {
        p_cum(tier, average_elo, tl)
    } else {
        tier.band_contains(average_elo)
    }
}

/// P-player-band (S07), on current points and rank.
pub fn p_player_band(tier: Tier, points: i32, rank: i32) -> bool {
    let top = rank <= TRACKMASTER_RANK;
    if tier.is_tm() {
        points >= TRACKMASTER_POINTS && top
    } else if tier.is_m3() {
        points >= tier.min_elo && (!top || points < TRACKMASTER_POINTS)
    } else {
        tier.band_contains(points) && !top
    }
}

/// P-player-cum (S09, S15, S16): `points >= min`, plus rank <= 10 for tm.
pub fn p_player_cum(tier: Tier, points: i32, rank: i32) -> bool {
    points >= tier.min_elo && (!tier.is_tm() || rank <= TRACKMASTER_RANK)
}

/// P-overlap (rollups): the game's elo range meets the tier's range.
pub fn p_overlap(tier: Tier, min_elo: i32, max_elo: i32, tl: i32) -> bool {
    let max = tier.next().map_or(999_999, |next| next - 1);
    let known = if tier.is_tm() {
        tl <= 999_999
    } else {
        tl >= tier.min_elo
    };
    min_elo <= max && max_elo >= tier.min_elo && known
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(key: &str) -> Tier {
        *RANKS.iter().find(|t| t.key == key).unwrap()
    }

    #[test]
    fn masks_hold_one_bit_per_tier_in_ranks_order() {
        assert_eq!(mask(|t| t.is_tm()), 1);
        assert_eq!(mask(|t| t.key == "b1"), 1 << 12);
        assert_eq!(mask(|t| p_cum(t, 3600, 4000)), 0b1_1111_1111_1110);
        assert_eq!(positions(0b101).collect::<Vec<_>>(), [0, 2]);
        for (i, tier) in RANKS.iter().enumerate() {
            assert_eq!(position(*tier), i);
        }
        assert_eq!(of_job("get_player_retention_3600").unwrap().key, "m3");
        assert_eq!(of_job("get_player_retention_0").unwrap().key, "b1");
        assert!(of_job("get_player_retention_3601").is_err());
        assert!(of_job("get_player_retention").is_err());
    }

    #[test]
    fn ranks_are_in_descending_order_with_their_ids() {
        let mins: Vec<i32> = RANKS.iter().map(|t| t.min_elo).collect();
        assert_eq!(
            mins,
            [4000, 3600, 3300, 3000, 2600, 2300, 2000, 1600, 1300, 1000, 600, 300, 0]
        );
        let ids: Vec<i32> = RANKS.iter().map(|t| t.id).collect();
        assert_eq!(ids, (0..13).rev().collect::<Vec<_>>());
        assert_eq!(t("m3").next(), Some(4000));
        assert_eq!(t("b1").next(), Some(300));
        assert_eq!(t("tm").next(), None);
        assert_eq!(by_min_elo(3300), Some(t("m2")));
        assert_eq!(by_min_elo(3301), None);
    }

    #[test]
    fn p_cum_is_cumulative_except_m3_and_tm_follow_the_limit() {
        let tl = 4200;
        assert!(p_cum(t("tm"), 4200, tl));
        assert!(!p_cum(t("tm"), 4199, tl));
        assert!(p_cum(t("m3"), 4199, tl));
        assert!(!p_cum(t("m3"), 4200, tl));
        assert!(p_cum(t("m3"), 3600, tl));
        assert!(!p_cum(t("m3"), 3599, tl));
        // m1 holds everything from 3000 up, Trackmasters included.
        assert!(p_cum(t("m1"), 3000, tl));
        assert!(p_cum(t("m1"), 9000, tl));
        assert!(!p_cum(t("m1"), 2999, tl));
        assert!(p_cum(t("b1"), 0, tl));
        assert!(!p_cum(t("b1"), -1, tl));
        // tm never looks at 4000, only at the limit.
        assert!(p_cum(t("tm"), 3900, 3900));
    }

    #[test]
    fn no_known_trackmaster_empties_tm_and_m3_is_everything_from_3600() {
        for tl in [99_999, 999_999] {
            assert!(!p_cum(t("tm"), 50_000, tl));
            assert!(p_cum(t("m3"), 50_000, tl));
            assert!(p_cum(t("m3"), 3600, tl));
            assert!(!p_band_avg(t("tm"), 50_000, tl));
            assert!(p_band_avg(t("m3"), 50_000, tl));
            assert!(!p_new(t("tm"), 5000, 5000, tl));
        }
    }

    #[test]
    fn p_new_uses_the_average_for_tm_and_m3_only() {
        assert!(p_new(t("tm"), 100, 4100, 4100));
        assert!(!p_new(t("tm"), 5000, 4099, 4100));
        assert!(p_new(t("m3"), 100, 3600, 4100));
        assert!(!p_new(t("m3"), 3700, 3599, 4100));
        assert!(p_new(t("m2"), 3300, 0, 4100));
        assert!(!p_new(t("m2"), 3299, 5000, 4100));
    }

    #[test]
    fn p_band_avg_puts_each_average_in_exactly_one_tier() {
        let tl = 4100;
        for avg in [
            0, 299, 300, 599, 2999, 3000, 3299, 3599, 3600, 4099, 4100, 7000,
        ] {
            let hits = RANKS.iter().filter(|r| p_band_avg(**r, avg, tl)).count();
            assert_eq!(hits, 1, "average {avg}");
        }
        assert!(p_band_avg(t("m2"), 3300, tl));
        assert!(!p_band_avg(t("m2"), 3600, tl));
        assert!(p_band_avg(t("m3"), 4099, tl));
        assert!(p_band_avg(t("tm"), 4100, tl));
        assert_eq!(RANKS.iter().filter(|r| p_band_avg(**r, -1, tl)).count(), 0);
    }

    #[test]
    fn p_player_band_needs_rank_above_ten_below_m3() {
        assert!(p_player_band(t("tm"), 4000, 10));
        assert!(!p_player_band(t("tm"), 4000, 11));
        assert!(!p_player_band(t("tm"), 3999, 1));
        assert!(p_player_band(t("m3"), 4000, 11));
        assert!(p_player_band(t("m3"), 3999, 1));
        assert!(!p_player_band(t("m3"), 4000, 10));
        assert!(p_player_band(t("m2"), 3300, 11));
        assert!(!p_player_band(t("m2"), 3600, 11));
        // A top-10 player under 3600 and an unranked one (rank 0) are in no tier.
        for (points, rank) in [(3500, 5), (1000, 0)] {
            assert_eq!(
                RANKS
                    .iter()
                    .filter(|r| p_player_band(**r, points, rank))
                    .count(),
                0
            );
        }
    }

    #[test]
    fn p_player_cum_adds_the_rank_for_tm_only() {
        assert!(p_player_cum(t("tm"), 4000, 10));
        assert!(!p_player_cum(t("tm"), 4000, 11));
        assert!(!p_player_cum(t("tm"), 3999, 1));
        assert!(p_player_cum(t("m3"), 5000, 1));
        assert!(p_player_cum(t("m1"), 3000, 99_999));
        assert!(!p_player_cum(t("m1"), 2999, 1));
    }

    #[test]
    fn p_overlap_counts_a_game_in_every_tier_its_range_meets() {
        let tl = 4100;
        let hits: Vec<&str> = RANKS
            .iter()
            .filter(|r| p_overlap(**r, 2950, 3300, tl))
            .map(|r| r.key)
            .collect();
        assert_eq!(hits, ["m2", "m1", "g3"]);
        assert!(p_overlap(t("tm"), 4000, 4000, 999_999));
        assert!(!p_overlap(t("tm"), 3999, 3999, tl));
        assert!(p_overlap(t("m3"), 3999, 3999, tl));
        assert_eq!(
            RANKS.iter().filter(|r| p_overlap(**r, -1, -1, tl)).count(),
            0
        );
    }
}
