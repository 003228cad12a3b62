//! Builds a database the way the reference's own setup leaves it: the
//! dump-style schema of its migration 0031 (tables first, keys and
//! constraints added afterwards), its `migratehistory`, some data, then its
//! later migrations 0032-0038 done the way the reference did them.
//! Written from the specification (schema.md), not taken from the reference.

use crate::common::TestDb;
use diesel::connection::SimpleConnection;
use diesel::MysqlConnection;

const TABLES_AT_0031: &str = "
CREATE TABLE `game` (`id` int(11) NOT NULL, `map_id` varchar(64) NOT NULL, `min_elo` int(11) NOT NULL,
  `average_elo` int(11) NOT NULL, `max_elo` int(11) NOT NULL, `time` datetime NOT NULL,
  `is_finished` tinyint(1) NOT NULL, `trackmaster_limit` int(11) NOT NULL, `rounds` int(11) DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `map` (`uid` varchar(64) NOT NULL, `name` varchar(128) NOT NULL)
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `migratehistory` (`id` int(11) NOT NULL, `name` varchar(255) NOT NULL, `migrated` datetime NOT NULL)
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `player` (`uuid` varchar(40) NOT NULL, `name` text NOT NULL, `points` int(11) NOT NULL,
  `rank` int(11) NOT NULL, `last_points_update` datetime NOT NULL, `last_match_id` int(11) DEFAULT NULL,
  `last_name_update` datetime NOT NULL, `zone_id` int(11) DEFAULT NULL, `country_id` int(11) DEFAULT NULL,
  `club_tag` varchar(64) DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `playergame` (`id` int(11) NOT NULL, `game_id` int(11) NOT NULL, `player_id` varchar(40) NOT NULL,
  `is_mvp` tinyint(1) NOT NULL, `is_win` tinyint(1) NOT NULL, `position` int(11) DEFAULT NULL,
  `points` int(11) DEFAULT NULL, `rank_after_match` int(11) DEFAULT NULL, `points_after_match` int(11) DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `playerseason` (`id` int(11) NOT NULL, `season_id` int(11) NOT NULL, `player_id` varchar(40) NOT NULL,
  `points` int(11) NOT NULL, `rank` int(11) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `rankstatrollup` (`id` int(11) NOT NULL, `start_time` datetime NOT NULL, `end_time` datetime NOT NULL,
  `period` int(11) NOT NULL, `rank` int(11) NOT NULL, `count` int(11) NOT NULL, `last_game_time` datetime DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `season` (`id` int(11) NOT NULL, `name` varchar(32) NOT NULL, `start_time` datetime NOT NULL,
  `end_time` datetime NOT NULL, `is_aggregated` tinyint(1) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `zone` (`id` int(11) NOT NULL, `uuid` varchar(40) NOT NULL, `name` text NOT NULL,
  `parent_id` int(11) DEFAULT NULL, `country_alpha3` varchar(10) DEFAULT NULL, `file_name` text NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

ALTER TABLE `game` ADD PRIMARY KEY (`id`), ADD UNIQUE KEY `game_id` (`id`), ADD KEY `game_map_id` (`map_id`),
  ADD KEY `game_max_elo` (`max_elo`), ADD KEY `game_average_elo` (`average_elo`),
  ADD KEY `game_min_elo` (`min_elo`), ADD KEY `game_time` (`time`);
ALTER TABLE `map` ADD PRIMARY KEY (`uid`);
ALTER TABLE `migratehistory` ADD PRIMARY KEY (`id`);
ALTER TABLE `player` ADD PRIMARY KEY (`uuid`), ADD KEY `player_rank` (`rank`), ADD KEY `player_points` (`points`),
  ADD KEY `player_last_match_id` (`last_match_id`), ADD KEY `player_zone_id` (`zone_id`),
  ADD KEY `player_country_id` (`country_id`);
ALTER TABLE `playergame` ADD PRIMARY KEY (`id`), ADD KEY `playergame_game_id` (`game_id`),
  ADD KEY `playergame_player_id` (`player_id`);
ALTER TABLE `playerseason` ADD PRIMARY KEY (`id`), ADD KEY `playerseason_season_id` (`season_id`),
  ADD KEY `playerseason_player_id` (`player_id`), ADD KEY `playerseason_points` (`points`),
  ADD KEY `playerseason_rank` (`rank`);
ALTER TABLE `rankstatrollup` ADD PRIMARY KEY (`id`), ADD KEY `rankstatrollup_rank` (`rank`),
  ADD KEY `rankstatrollup_period` (`period`), ADD KEY `rankstatrollup_start_time` (`start_time`),
  ADD KEY `rankstatrollup_end_time` (`end_time`), ADD KEY `rankstatrollup_last_game_time` (`last_game_time`);
ALTER TABLE `season` ADD PRIMARY KEY (`id`);
ALTER TABLE `zone` ADD PRIMARY KEY (`id`), ADD UNIQUE KEY `zone_uuid` (`uuid`), ADD KEY `zone_parent_id` (`parent_id`);

ALTER TABLE `game` MODIFY `id` int(11) NOT NULL AUTO_INCREMENT;
ALTER TABLE `migratehistory` MODIFY `id` int(11) NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=33;
ALTER TABLE `playergame` MODIFY `id` int(11) NOT NULL AUTO_INCREMENT;
ALTER TABLE `playerseason` MODIFY `id` int(11) NOT NULL AUTO_INCREMENT;
ALTER TABLE `rankstatrollup` MODIFY `id` int(11) NOT NULL AUTO_INCREMENT;
ALTER TABLE `season` MODIFY `id` int(11) NOT NULL AUTO_INCREMENT;
ALTER TABLE `zone` MODIFY `id` int(11) NOT NULL AUTO_INCREMENT;

ALTER TABLE `game` ADD CONSTRAINT `game_ibfk_1` FOREIGN KEY (`map_id`) REFERENCES `map` (`uid`);
ALTER TABLE `player` ADD CONSTRAINT `player_ibfk_1` FOREIGN KEY (`last_match_id`) REFERENCES `game` (`id`),
  ADD CONSTRAINT `player_ibfk_2` FOREIGN KEY (`zone_id`) REFERENCES `zone` (`id`),
  ADD CONSTRAINT `player_ibfk_3` FOREIGN KEY (`country_id`) REFERENCES `zone` (`id`);
ALTER TABLE `playergame` ADD CONSTRAINT `playergame_ibfk_1` FOREIGN KEY (`game_id`) REFERENCES `game` (`id`),
  ADD CONSTRAINT `playergame_ibfk_2` FOREIGN KEY (`player_id`) REFERENCES `player` (`uuid`);
ALTER TABLE `playerseason` ADD CONSTRAINT `playerseason_ibfk_1` FOREIGN KEY (`season_id`) REFERENCES `season` (`id`),
  ADD CONSTRAINT `playerseason_ibfk_2` FOREIGN KEY (`player_id`) REFERENCES `player` (`uuid`);
ALTER TABLE `zone` ADD CONSTRAINT `zone_ibfk_1` FOREIGN KEY (`parent_id`) REFERENCES `zone` (`id`);
";

/// Data a running deployment would hold; the tests check it survives.
pub const SEED_DATA: &str = "
INSERT INTO `zone` VALUES
  (1, '301e1b69f5a54c07a6b0f0e4fdd5b3cf', 'World', NULL, NULL, 'World.jpg'),
  (2, '6a2b0e6e5d4c4b3a29180716f5e4d3c2', 'Europe', 1, NULL, 'Europe.jpg'),
  (3, '7b3c1f7f6e5d4c4b3a291807a6f5e4d3', 'France', 2, 'FRA', 'FRA.jpg');
INSERT INTO `map` VALUES ('MapUid_Seed_0000000000000001', 'Seed Map');
INSERT INTO `game` VALUES (9100001, 'MapUid_Seed_0000000000000001', 3000, 3100, 3200,
  '2026-03-01 20:15:00', 1, 4200, 5);
INSERT INTO `player` VALUES
  ('0123456789abcdef0123456789abcdef', 'Alice', 3150, 42, '2026-03-01 20:30:00', 9100001,
   '1970-01-01 01:00:00', 3, 3, 'ABC'),
  ('fedcba9876543210fedcba9876543210', 'Bob', 2990, 77, '1970-01-01 01:00:00', 9100001,
   '2026-02-01 10:00:00', NULL, NULL, NULL);
INSERT INTO `playergame` VALUES
  (1, 9100001, '0123456789abcdef0123456789abcdef', 1, 1, 1, 42, 40, 3160),
  (2, 9100001, 'fedcba9876543210fedcba9876543210', 0, 0, 2, 30, 80, 2980);
INSERT INTO `season` VALUES (1, 'Winter 2026', '2026-01-01 00:00:00', '2026-03-31 23:59:59', 0);
INSERT INTO `playerseason` VALUES (1, 1, '0123456789abcdef0123456789abcdef', 3150, 42),
  (2, 1, 'fedcba9876543210fedcba9876543210', 2990, 77);
INSERT INTO `rankstatrollup` VALUES (1, '2026-03-01 20:00:00', '2026-03-01 20:59:59', 0, 9, 1,
  '2026-03-01 20:15:00');
";

/// The reference's 38 migration names (schema.md), in order.
pub const HISTORY: [&str; 38] = [
    "0001_migration_202403301513",
    "0002_migration_202404031759",
    "0003_migration_202404031802",
    "0004_migration_202404031823",
    "0005_migration_202404031827",
    "0006_migration_202404031832",
    "0007_migration_202404041051",
    "0008_migration_202404041100",
    "0009_migration_202404052129",
    "0010_migration_202404060927",
    "0011_migration_202404061947",
    "0012_migration_202404062004",
    "0013_migration_202404120844",
    "0014_migration_202404122008",
    "0015_migration_202404151845",
    "0016_migration_202404191113",
    "0017_migration_202404201600",
    "0018_migration_202404280910",
    "0019_migration_202405011019",
    "0020_migration_202405011631",
    "0021_migration_202405041124",
    "0022_migration_202405041356",
    "0023_migration_202405121707",
    "0024_migration_202410082131",
    "0025_migration_202412271346",
    "0026_migration_202507050847",
    "0027_migration_202507050855",
    "0028_migration_202507050918",
    "0029_migration_202507050944",
    "0030_migration_202507092145",
    "0031_migration_202507121050",
    "0032_migration_202603280001",
    "0033_migration_202603281041",
    "0034_migration_202604010001",
    "0035_migration_202604042314",
    "0036_migration_202604050001",
    "0037_migration_202604050002",
    "0038_migration_202604111722",
];

/// Ids the dump gives its 31 history rows (30 is missing), then 33.. for pem's.
fn history_id(index: usize) -> usize {
    if index < 29 {
        index + 1
    } else {
        index + 2
    }
}

/// The reference's migrations after 0031, as it performed them.
pub const LATER_MIGRATIONS: [&str; 7] = [
    // 0032
    "DROP INDEX `game_id` ON `game`;",
    // 0033
    "CREATE UNIQUE INDEX `game_id` ON `game` (`id`);",
    // 0034
    "ALTER TABLE `player` MODIFY `name` VARCHAR(64) NOT NULL DEFAULT '';
     CREATE INDEX `player_name` ON `player` (`name`);",
    // 0035: an unnamed FK, named player_ibfk_4 by the server
    "ALTER TABLE `player` ADD COLUMN `region_id` INT NULL;
     CREATE INDEX `player_region_id` ON `player` (`region_id`);
     ALTER TABLE `player` ADD FOREIGN KEY (`region_id`) REFERENCES `zone` (`id`);",
    // 0036
    "ALTER TABLE `playerseason` ADD COLUMN `club_tag` VARCHAR(64) NULL;",
    // 0037
    "UPDATE `playerseason` ps JOIN `player` p ON p.`uuid` = ps.`player_id`
       SET ps.`club_tag` = p.`club_tag` WHERE ps.`club_tag` IS NULL;",
    // 0038: nullable, filled, then NOT NULL without a default
    "ALTER TABLE `player` ADD COLUMN `points_fetch_retries` INT NULL;
     UPDATE `player` SET `points_fetch_retries` = 0;
     ALTER TABLE `player` MODIFY `points_fetch_retries` INT NOT NULL;",
];

/// Fills `db` with a reference database whose history records the first
/// `applied` reference migrations (31 to 38), with seed data.
pub fn build(db: &TestDb, applied: usize) -> MysqlConnection {
    assert!((31..=38).contains(&applied));
    let mut conn = db.conn();
    conn.batch_execute(TABLES_AT_0031).unwrap();
    conn.batch_execute(SEED_DATA).unwrap();
    for (index, name) in HISTORY[..31].iter().enumerate() {
        record(&mut conn, history_id(index), name, "2025-07-12 10:50:00");
    }
    for step in 31..applied {
        conn.batch_execute(LATER_MIGRATIONS[step - 31]).unwrap();
        let name = HISTORY[step];
        record(&mut conn, history_id(step), name, "2026-04-11 17:22:00");
    }
    conn
}

fn record(conn: &mut MysqlConnection, id: usize, name: &str, when: &str) {
    conn.batch_execute(&format!(
        "INSERT INTO `migratehistory` (`id`, `name`, `migrated`) VALUES ({id}, '{name}', '{when}')"
    ))
    .unwrap();
}

#[test]
fn history_ids_skip_thirty_like_the_dump() {
    let ids: Vec<usize> = (0..38).map(history_id).collect();
    assert_eq!(&ids[27..32], &[28, 29, 31, 32, 33]);
    assert_eq!(ids[37], 39);
}
