DROP TABLE `collector_state`;
