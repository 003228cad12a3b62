-- Baseline: the reference schema as it stood after its migration 0031
-- (reference migrations 0001-0031 map to this one version when a reference
-- database is adopted). Index and constraint names follow the reference's
-- Peewee/server conventions so later ALTERs and the web server find them.
-- Explicit ENGINE/CHARSET/COLLATE on every table: on MySQL 8 the server default
-- collation differs, and FKs between columns of different collations fail.

CREATE TABLE `map` (
  `uid` varchar(64) NOT NULL,
  `name` varchar(128) NOT NULL,
  PRIMARY KEY (`uid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `zone` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `uuid` varchar(40) NOT NULL,
  `name` text NOT NULL,
  `parent_id` int(11) DEFAULT NULL,
  `country_alpha3` varchar(10) DEFAULT NULL,
  `file_name` text NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `zone_uuid` (`uuid`),
  KEY `zone_parent_id` (`parent_id`),
  CONSTRAINT `zone_ibfk_1` FOREIGN KEY (`parent_id`) REFERENCES `zone` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `game` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `map_id` varchar(64) NOT NULL,
  `min_elo` int(11) NOT NULL,
  `average_elo` int(11) NOT NULL,
  `max_elo` int(11) NOT NULL,
  `time` datetime NOT NULL,
  `is_finished` tinyint(1) NOT NULL,
  `trackmaster_limit` int(11) NOT NULL,
  `rounds` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `game_id` (`id`),
  KEY `game_map_id` (`map_id`),
  KEY `game_max_elo` (`max_elo`),
  KEY `game_average_elo` (`average_elo`),
  KEY `game_min_elo` (`min_elo`),
  KEY `game_time` (`time`),
  CONSTRAINT `game_ibfk_1` FOREIGN KEY (`map_id`) REFERENCES `map` (`uid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `player` (
  `uuid` varchar(40) NOT NULL,
  `name` text NOT NULL,
  `points` int(11) NOT NULL,
  `rank` int(11) NOT NULL,
  `last_points_update` datetime NOT NULL,
  `last_match_id` int(11) DEFAULT NULL,
  `last_name_update` datetime NOT NULL,
  `zone_id` int(11) DEFAULT NULL,
  `country_id` int(11) DEFAULT NULL,
  `club_tag` varchar(64) DEFAULT NULL,
  PRIMARY KEY (`uuid`),
  KEY `player_rank` (`rank`),
  KEY `player_points` (`points`),
  KEY `player_last_match_id` (`last_match_id`),
  KEY `player_zone_id` (`zone_id`),
  KEY `player_country_id` (`country_id`),
  CONSTRAINT `player_ibfk_1` FOREIGN KEY (`last_match_id`) REFERENCES `game` (`id`),
  CONSTRAINT `player_ibfk_2` FOREIGN KEY (`zone_id`) REFERENCES `zone` (`id`),
  CONSTRAINT `player_ibfk_3` FOREIGN KEY (`country_id`) REFERENCES `zone` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `playergame` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `game_id` int(11) NOT NULL,
  `player_id` varchar(40) NOT NULL,
  `is_mvp` tinyint(1) NOT NULL,
  `is_win` tinyint(1) NOT NULL,
  `position` int(11) DEFAULT NULL,
  `points` int(11) DEFAULT NULL,
  `rank_after_match` int(11) DEFAULT NULL,
  `points_after_match` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `playergame_game_id` (`game_id`),
  KEY `playergame_player_id` (`player_id`),
  CONSTRAINT `playergame_ibfk_1` FOREIGN KEY (`game_id`) REFERENCES `game` (`id`),
  CONSTRAINT `playergame_ibfk_2` FOREIGN KEY (`player_id`) REFERENCES `player` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `season` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `name` varchar(32) NOT NULL,
  `start_time` datetime NOT NULL,
  `end_time` datetime NOT NULL,
  `is_aggregated` tinyint(1) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `playerseason` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `season_id` int(11) NOT NULL,
  `player_id` varchar(40) NOT NULL,
  `points` int(11) NOT NULL,
  `rank` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `playerseason_season_id` (`season_id`),
  KEY `playerseason_player_id` (`player_id`),
  KEY `playerseason_points` (`points`),
  KEY `playerseason_rank` (`rank`),
  CONSTRAINT `playerseason_ibfk_1` FOREIGN KEY (`season_id`) REFERENCES `season` (`id`),
  CONSTRAINT `playerseason_ibfk_2` FOREIGN KEY (`player_id`) REFERENCES `player` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `rankstatrollup` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `start_time` datetime NOT NULL,
  `end_time` datetime NOT NULL,
  `period` int(11) NOT NULL,
  `rank` int(11) NOT NULL,
  `count` int(11) NOT NULL,
  `last_game_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `rankstatrollup_rank` (`rank`),
  KEY `rankstatrollup_period` (`period`),
  KEY `rankstatrollup_start_time` (`start_time`),
  KEY `rankstatrollup_end_time` (`end_time`),
  KEY `rankstatrollup_last_game_time` (`last_game_time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
