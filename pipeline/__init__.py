"""What every pipeline step shares: configuration, paths, the landing writer and the publish step."""
