"""Registry service: divisions, households (扶贫手册, 一户一档) and their members."""
