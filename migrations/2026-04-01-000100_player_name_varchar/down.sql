ALTER TABLE `player`
  DROP KEY `player_name`,
  MODIFY `name` text NOT NULL;
