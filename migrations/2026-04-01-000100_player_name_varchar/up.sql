-- Reference migration 0034: names become an indexed varchar for name search.
-- One statement, so an interrupted run leaves the table either before or after.
ALTER TABLE `player`
  MODIFY `name` varchar(64) NOT NULL DEFAULT '',
  ADD KEY `player_name` (`name`);
